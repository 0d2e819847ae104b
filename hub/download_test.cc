// get_or_download_model against a fake hub on loopback that misbehaves on demand.
#include "hub/download.h"

#include <gtest/gtest.h>

#include <chrono>

#include "runtime/base/md5.h"
#include "tests/support/fake_hub.h"
#include "tests/support/test_support.h"

namespace aae::hub {
namespace {
namespace fs = std::filesystem;
using aae::testing::FakeFault;
using aae::testing::FakeHub;

constexpr int kShards = 3;
constexpr size_t kShardBytes = 256 * 1024;  // float16 tensors of 128 Ki elements

std::string md5_hex(const std::string& bytes) {
  Md5 md5;
  md5.update(bytes.data(), bytes.size());
  return md5.hex_digest();
}

std::string shard_name(int i) { return "params_shard_" + std::to_string(i) + ".bin"; }

// A tiny converted model served at /org/repo/resolve/main/<file>.
struct TinyModel {
  std::map<std::string, std::string> files = aae::testing::tiny_converted_model(kShards, kShardBytes);

  void serve(FakeHub& hub, const std::string& repo = "/org/repo") const {
    for (const auto& [name, bytes] : files) hub.put(repo + "/resolve/main/" + name, bytes);
  }
};

std::string path_of(const std::string& file) { return "/org/repo/resolve/main/" + file; }

class Download : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(hub_.base_url().empty());
    model_.serve(hub_);
    options_.env.endpoint = hub_.base_url();
    options_.env.home = scratch_.path() / "home";
    options_.transfer.initial_backoff = std::chrono::milliseconds(20);
    options_.transfer.max_backoff = std::chrono::milliseconds(2000);
    options_.transfer.max_attempts = 4;
    options_.transfer.stall_timeout_s = 1;
    options_.log = nullptr;
  }

  fs::path final_dir() const { return options_.env.home / "model_weights/hf/org/repo"; }

  void expect_complete(const fs::path& dir) {
    for (const auto& [name, bytes] : model_.files) {
      EXPECT_EQ(aae::testing::read_file(dir / name), bytes) << name;
    }
  }

  int count_requests(const std::string& file) {
    int n = 0;
    for (const auto& request : hub_.requests()) n += request.path == path_of(file);
    return n;
  }

  aae::testing::ScratchDir scratch_;
  FakeHub hub_;
  TinyModel model_;
  DownloadOptions options_;
};

TEST_F(Download, CleanDownloadThenCacheHitWithHubStopped) {
  auto dir = get_or_download_model("HF://org/repo", options_);
  ASSERT_TRUE(dir.ok()) << dir.error().to_string();
  EXPECT_EQ(*dir, final_dir());
  expect_complete(*dir);
  EXPECT_FALSE(fs::exists(staging_dir(options_.env.home, {"org", "repo", "main", false})));
  hub_.stop();
  options_.verify = true;
  auto again = get_or_download_model("HF://org/repo", options_);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(*again, final_dir());
}

TEST_F(Download, ResetMidwayResumesWithRangeRequest) {
  hub_.fault(path_of(shard_name(1)), FakeFault::make(FakeFault::Kind::kResetAfter, 1, 100000));
  auto dir = get_or_download_model("HF://org/repo", options_);
  ASSERT_TRUE(dir.ok()) << dir.error().to_string();
  expect_complete(*dir);
  bool saw_range = false;
  for (const auto& request : hub_.requests()) {
    if (request.path == path_of(shard_name(1)) && !request.range.empty()) {
      saw_range = true;
      // Resumed from a byte > 0, at most where the server stopped.
      long start = std::stol(request.range.substr(6));
      EXPECT_GT(start, 0);
      EXPECT_LE(start, 100000);
    }
  }
  EXPECT_TRUE(saw_range);
}

TEST_F(Download, TruncatedBody500And429AllRecover) {
  hub_.fault(path_of(shard_name(0)), FakeFault::make(FakeFault::Kind::kTruncate, 1, 5000));
  hub_.fault(path_of(shard_name(1)), FakeFault::http_status(500, 2));
  FakeFault too_many = FakeFault::http_status(429, 1, /*retry_after_s=*/1);
  hub_.fault(path_of(shard_name(2)), too_many);
  auto start = std::chrono::steady_clock::now();
  auto dir = get_or_download_model("HF://org/repo", options_);
  ASSERT_TRUE(dir.ok()) << dir.error().to_string();
  expect_complete(*dir);
  EXPECT_EQ(count_requests(shard_name(1)), 3);
  // Retry-After: 1 was honoured although our own backoff is 20 ms.
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(950));
}

TEST_F(Download, PersistentServerErrorFailsClearlyWithoutFinalFile) {
  hub_.fault(path_of(shard_name(2)), FakeFault::http_status(503, -1));
  auto dir = get_or_download_model("HF://org/repo", options_);
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.error().to_string().find("503"), std::string::npos) << dir.error().to_string();
  EXPECT_FALSE(fs::exists(final_dir()));
}

TEST_F(Download, StalledTransferTimesOutAndResumes) {
  hub_.fault(path_of(shard_name(0)), FakeFault::make(FakeFault::Kind::kStall, 1, 4096));
  auto dir = get_or_download_model("HF://org/repo", options_);
  ASSERT_TRUE(dir.ok()) << dir.error().to_string();
  expect_complete(*dir);
}

TEST_F(Download, WrongBytesAreRejectedByMd5) {
  hub_.fault(path_of(shard_name(1)), FakeFault::make(FakeFault::Kind::kWrongBytes, -1));
  auto dir = get_or_download_model("HF://org/repo", options_);
  ASSERT_FALSE(dir.ok());
  std::string text = dir.error().to_string();
  EXPECT_NE(text.find(shard_name(1)), std::string::npos) << text;
  EXPECT_NE(text.find("md5: expected " + md5_hex(model_.files[shard_name(1)])), std::string::npos) << text;
  EXPECT_FALSE(fs::exists(final_dir()));
  auto staging = staging_dir(options_.env.home, {"org", "repo", "main", false});
  EXPECT_FALSE(fs::exists(staging / shard_name(1)));
  EXPECT_FALSE(fs::exists(staging / (shard_name(1) + ".part")));
}

TEST_F(Download, RedirectToAnotherHostWorksAndTokenStaysHome) {
  FakeHub cdn("127.0.0.2");
  if (cdn.base_url().empty()) GTEST_SKIP() << "127.0.0.2 is not bindable here";
  model_.serve(cdn);
  hub_.fault(path_of(shard_name(0)), FakeFault::redirect(cdn.base_url()));
  options_.env.token = "hf_secret";
  auto dir = get_or_download_model("HF://org/repo", options_);
  ASSERT_TRUE(dir.ok()) << dir.error().to_string();
  expect_complete(*dir);
  bool hub_got_token = false;
  for (const auto& r : hub_.requests()) hub_got_token |= r.authorization == "Bearer hf_secret";
  EXPECT_TRUE(hub_got_token);
  auto cdn_requests = cdn.requests();
  ASSERT_FALSE(cdn_requests.empty());
  for (const auto& r : cdn_requests) EXPECT_EQ(r.authorization, "") << r.path;
}

TEST_F(Download, AnnouncedSha256Mismatch) {
  FakeHub cdn("127.0.0.1");
  model_.serve(cdn);
  hub_.fault(path_of(shard_name(2)), FakeFault::redirect(cdn.base_url(), std::string(64, 'a')));
  auto dir = get_or_download_model("HF://org/repo", options_);
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.error().to_string().find("sha256: the hub announced " + std::string(64, 'a')),
            std::string::npos) << dir.error().to_string();
}

TEST_F(Download, RepoWithoutChatConfigFailsBeforeAnyShard) {
  FakeHub raw;
  raw.put("/org/raw/resolve/main/config.json", "{}");
  raw.put("/org/raw/resolve/main/model.safetensors", std::string(1000, 'x'));
  options_.env.endpoint = raw.base_url();
  auto dir = get_or_download_model("HF://org/raw", options_);
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.error().to_string().find("not a converted model"), std::string::npos);
  EXPECT_NE(dir.error().hint().find("convert_weight"), std::string::npos);
  for (const auto& r : raw.requests()) EXPECT_EQ(r.path.find(".safetensors"), std::string::npos);
}

TEST_F(Download, OffPolicyUsesCacheButNeverNetwork) {
  options_.env.policy = CachePolicy::kOff;
  auto miss = get_or_download_model("HF://org/repo", options_);
  ASSERT_FALSE(miss.ok());
  EXPECT_TRUE(hub_.requests().empty());
  options_.env.policy = CachePolicy::kOn;
  ASSERT_TRUE(get_or_download_model("HF://org/repo", options_).ok());
  options_.env.policy = CachePolicy::kOff;
  hub_.stop();
  EXPECT_TRUE(get_or_download_model("HF://org/repo", options_).ok());
}

TEST_F(Download, DamagedCacheIsCaughtByVerifyAndRedownloaded) {
  ASSERT_TRUE(get_or_download_model("HF://org/repo", options_).ok());
  std::string bytes = model_.files[shard_name(2)];
  bytes[10] ^= 1;
  aae::testing::write_file(final_dir() / shard_name(2), bytes);  // same size: cheap check passes
  options_.verify = true;
  auto dir = get_or_download_model("HF://org/repo", options_);
  ASSERT_TRUE(dir.ok()) << dir.error().to_string();
  expect_complete(*dir);
}

TEST_F(Download, StagedShardsOfAnOlderIndexAreDiscarded) {
  fs::path staging = staging_dir(options_.env.home, {"org", "repo", "main", false});
  fs::create_directories(staging);
  aae::testing::write_file(staging / "tensor-cache.json", "{\"records\": []}");
  aae::testing::write_file(staging / shard_name(0), std::string(kShardBytes, 'z'));  // right size
  auto dir = get_or_download_model("HF://org/repo", options_);
  ASSERT_TRUE(dir.ok()) << dir.error().to_string();
  expect_complete(*dir);
}

TEST_F(Download, RedoReplacesTheCachedCopy) {
  ASSERT_TRUE(get_or_download_model("HF://org/repo", options_).ok());
  aae::testing::write_file(final_dir() / "stale-marker", "x");
  options_.env.policy = CachePolicy::kRedo;
  auto dir = get_or_download_model("HF://org/repo", options_);
  ASSERT_TRUE(dir.ok()) << dir.error().to_string();
  expect_complete(*dir);
  EXPECT_FALSE(fs::exists(final_dir() / "stale-marker"));
  EXPECT_EQ(count_requests(shard_name(0)), 2);
}

}  // namespace
}  // namespace aae::hub
