// The weight-cache inventory and safe removal, on fake cache trees in a scratch dir.
#include "hub/cache_inventory.h"

#include <gtest/gtest.h>

#include "hub/model_cache.h"
#include "tests/support/fake_hub.h"
#include "tests/support/test_support.h"

namespace aae::hub {
namespace {
namespace fs = std::filesystem;
using aae::testing::ScratchDir;

constexpr int kShards = 2;
constexpr size_t kShardBytes = 4096;

// write_file that first creates the parent directories.
void put(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  aae::testing::write_file(path, bytes);
}

// Writes a tiny converted model into `dir`; returns its total size in bytes.
int64_t place_model(const fs::path& dir) {
  int64_t total = 0;
  for (const auto& [name, bytes] : aae::testing::tiny_converted_model(kShards, kShardBytes)) {
    put(dir / name, bytes);
    total += static_cast<int64_t>(bytes.size());
  }
  return total;
}

const CacheEntry* find(const std::vector<CacheEntry>& entries, const std::string& url, CacheEntryKind kind) {
  for (const auto& entry : entries) {
    if (entry.model_url() == url && entry.kind == kind) return &entry;
  }
  return nullptr;
}

TEST(CacheInventory, MissingRootIsEmpty) {
  ScratchDir scratch;
  auto entries = list_weight_cache(scratch / "nothing-here");
  ASSERT_TRUE(entries.ok()) << entries.error().to_string();
  EXPECT_TRUE(entries->empty());
}

TEST(CacheInventory, ClassifiesCompleteDamagedAndStagingEntries) {
  ScratchDir scratch;
  const fs::path home = scratch.path();
  const fs::path hf = home / "model_weights" / "hf";
  const int64_t good_bytes = place_model(hf / "org" / "good");
  place_model(hf / "org" / "bad@v1");
  // One byte short: the cheap size check must call it damaged.
  put(hf / "org" / "bad@v1" / "params_shard_1.bin", std::string(kShardBytes - 1, 'x'));
  put(home / "model_weights" / ".staging" / "org--half" / "params_shard_0.bin.part",
                           std::string(100, 'p'));
  put(hf / "org" / "half" / "notes.txt", "no configs");

  auto entries = list_weight_cache(home);
  ASSERT_TRUE(entries.ok()) << entries.error().to_string();
  ASSERT_EQ(entries->size(), 4u);

  const CacheEntry* good = find(*entries, "HF://org/good", CacheEntryKind::kModel);
  ASSERT_NE(good, nullptr);
  EXPECT_EQ(good->status, CacheEntryStatus::kComplete);
  EXPECT_EQ(good->bytes, good_bytes);
  EXPECT_EQ(good->files, 2 + 1 + kShards);  // chat config, tensor cache, tokenizer.json, shards
  EXPECT_FALSE(good->ref.pinned);

  const CacheEntry* bad = find(*entries, "HF://org/bad@v1", CacheEntryKind::kModel);
  ASSERT_NE(bad, nullptr);
  EXPECT_EQ(bad->status, CacheEntryStatus::kDamaged);
  EXPECT_TRUE(bad->ref.pinned);
  EXPECT_EQ(bad->ref.revision, "v1");
  EXPECT_NE(bad->problem.find("params_shard_1.bin"), std::string::npos) << bad->problem;

  const CacheEntry* no_configs = find(*entries, "HF://org/half", CacheEntryKind::kModel);
  ASSERT_NE(no_configs, nullptr);
  EXPECT_EQ(no_configs->status, CacheEntryStatus::kIncomplete);

  const CacheEntry* staging = find(*entries, "HF://org/half", CacheEntryKind::kStaging);
  ASSERT_NE(staging, nullptr);
  EXPECT_EQ(staging->status, CacheEntryStatus::kIncomplete);
  EXPECT_EQ(staging->bytes, 100);
  EXPECT_EQ(staging->files, 1);
}

TEST(CacheInventory, EntriesForModelMatchPinnedRevisionExactly) {
  ScratchDir scratch;
  const fs::path hf = scratch / "model_weights/hf";
  place_model(hf / "org" / "m");
  place_model(hf / "org" / "m@v2");
  auto entries = list_weight_cache(scratch.path());
  ASSERT_TRUE(entries.ok());
  ModelRef plain{"org", "m"};
  ModelRef pinned{"org", "m", "v2", true};
  auto a = entries_for_model(*entries, plain);
  auto b = entries_for_model(*entries, pinned);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].path, hf / "org" / "m");
  EXPECT_EQ(b[0].path, hf / "org" / "m@v2");
}

TEST(CacheInventory, RemoveDeletesOnlyTheEntryAndLeavesNothingAside) {
  ScratchDir scratch;
  const fs::path hf = scratch / "model_weights/hf";
  place_model(hf / "org" / "keep");
  place_model(hf / "org" / "drop");
  auto entries = list_weight_cache(scratch.path());
  ASSERT_TRUE(entries.ok());
  auto drop = entries_for_model(*entries, ModelRef{"org", "drop"});
  ASSERT_EQ(drop.size(), 1u);
  Status removed = remove_cache_entry(scratch.path(), drop[0], nullptr);
  ASSERT_TRUE(removed.ok()) << removed.error().to_string();
  EXPECT_FALSE(fs::exists(hf / "org" / "drop"));
  EXPECT_TRUE(check_cached_model(hf / "org" / "keep", false).ok());
  auto after = list_weight_cache(scratch.path());
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);  // no ".removing-<pid>" leftover
  EXPECT_EQ((*after)[0].model_url(), "HF://org/keep");
}

TEST(CacheInventory, ListsAndRemovesInterruptedRemovalLeftovers) {
  ScratchDir scratch;
  const fs::path leftover = scratch / "model_weights/hf/org/m.removing-1234";
  put(leftover / "params_shard_0.bin", "abc");
  auto entries = list_weight_cache(scratch.path());
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].kind, CacheEntryKind::kLeftover);
  EXPECT_EQ((*entries)[0].model_url(), "HF://org/m");
  ASSERT_TRUE(remove_cache_entry(scratch.path(), (*entries)[0], nullptr).ok());
  EXPECT_FALSE(fs::exists(leftover));
}

TEST(CacheInventory, RemoveWaitsForAHeldRepoLock) {
  ScratchDir scratch;
  place_model(scratch / "model_weights/hf/org/m");
  auto entries = list_weight_cache(scratch.path());
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  // Hold the lock from a child process (flock is per open file, so a thread would not block).
  const fs::path lock = lock_file_path(scratch.path(), ModelRef{"org", "m"});
  const std::string hold = "flock " + aae::testing::shell_quote(lock.string()) + " sleep 1 >/dev/null 2>&1 &";
  fs::create_directories(lock.parent_path());
  if (aae::testing::run_command("command -v flock").exit_code != 0) GTEST_SKIP() << "no flock(1)";
  ASSERT_EQ(aae::testing::run_command(hold).exit_code, 0);
  // Give the background flock a moment to take the lock.
  aae::testing::run_command("sleep 0.3");
  std::string note;
  Status removed = remove_cache_entry(scratch.path(), (*entries)[0],
                                      [&](const std::string& text) { note = text; });
  ASSERT_TRUE(removed.ok()) << removed.error().to_string();
  EXPECT_NE(note.find("waiting"), std::string::npos);
  EXPECT_FALSE(fs::exists(scratch / "model_weights/hf/org/m"));
}

}  // namespace
}  // namespace aae::hub
