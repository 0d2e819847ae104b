// End-to-end: `sphere_aae cache list|clean` with model libraries in the JIT cache
// ($SPHERE_AAE_HOME/model_lib, docs/jit-cache.md), using the real binary. Entries are placed
// the way jit_compile installs them (<key>.so + <key>.json sidecar); compiling them is covered
// by compiler/jit_cache_test.cc.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

namespace aae {
namespace {
namespace fs = std::filesystem;
using aae::testing::run_command;
using aae::testing::shell_quote;

class JitCacheCli : public ::testing::Test {
 protected:
  fs::path home() const { return scratch_.path() / "home"; }
  fs::path root() const { return home() / "model_lib"; }

  // A complete entry: library bytes plus a sidecar naming it.
  void place_lib(const std::string& key, const std::string& model_lib) const {
    fs::create_directories(root());
    aae::testing::write_file(root() / (key + ".so"), std::string(1000, 'x'));
    nlohmann::json sidecar = {{"key", key},          {"model_lib", model_lib},
                              {"device", "linux"},    {"target", "x86_64-linux-gnu"},
                              {"kind", ".so"},        {"library", key + ".so"},
                              {"created", "2026-01-01T00:00:00Z"}};
    aae::testing::write_file(root() / (key + ".json"), sidecar.dump(2));
  }

  aae::testing::CommandResult cache(const std::string& args) const {
    return run_command("env SPHERE_AAE_HOME=" + shell_quote(home().string()) + " " +
                       shell_quote(AAE_CLI_PATH) + " cache " + args);
  }

  aae::testing::ScratchDir scratch_;
};

TEST_F(JitCacheCli, ListJsonShowsModelLibraries) {
  place_lib("0123456789abcdef0123456789abcdef", "llama_q0f32_aaaa");
  auto result = cache("list --json");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  auto j = nlohmann::json::parse(result.output);
  ASSERT_TRUE(j["weights"].is_array());
  ASSERT_EQ(j["model_libs"].size(), 1u) << result.output;
  const auto& lib = j["model_libs"][0];
  EXPECT_EQ(lib["key"], "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(lib["model_lib"], "llama_q0f32_aaaa");
  EXPECT_EQ(lib["device"], "linux");
  EXPECT_EQ(lib["target"], "x86_64-linux-gnu");
  EXPECT_EQ(lib["path"], (root() / "0123456789abcdef0123456789abcdef.so").string());
  EXPECT_GT(lib["bytes"].get<int64_t>(), 1000);
  EXPECT_EQ(lib["created"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(lib["status"], "complete");
}

TEST_F(JitCacheCli, ListTextShowsModelLibrariesAndEmptyCaches) {
  auto empty = cache("list");
  ASSERT_EQ(empty.exit_code, 0) << empty.output;
  EXPECT_NE(empty.output.find("no cached model libraries"), std::string::npos) << empty.output;
  place_lib("k1", "llama_q0f32_aaaa");
  auto result = cache("list");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("llama_q0f32_aaaa [linux .so] key k1"), std::string::npos)
      << result.output;
}

TEST_F(JitCacheCli, LibraryWithoutSidecarIsShownIncomplete) {
  place_lib("k1", "llama_q0f32_aaaa");
  aae::testing::write_file(root() / "k1.json", "{\"key\": \"other\"}");
  auto result = cache("list --json");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  auto j = nlohmann::json::parse(result.output);
  ASSERT_EQ(j["model_libs"].size(), 1u);
  EXPECT_EQ(j["model_libs"][0]["status"], "incomplete");
}

TEST_F(JitCacheCli, CleanRemovesByNameOrKeyOnly) {
  place_lib("k1", "llama_a");
  place_lib("k2", "llama_a");
  place_lib("k3", "llama_b");
  auto by_key = cache("clean k3");
  ASSERT_EQ(by_key.exit_code, 0) << by_key.output;
  EXPECT_NE(by_key.output.find("removed llama_b"), std::string::npos) << by_key.output;
  EXPECT_FALSE(fs::exists(root() / "k3.so"));
  EXPECT_FALSE(fs::exists(root() / "k3.json"));
  EXPECT_TRUE(fs::exists(root() / "k1.so"));

  auto by_name = cache("clean llama_a");
  ASSERT_EQ(by_name.exit_code, 0) << by_name.output;
  EXPECT_FALSE(fs::exists(root() / "k1.so"));
  EXPECT_FALSE(fs::exists(root() / "k2.json"));
}

TEST_F(JitCacheCli, CleanAllRemovesModelLibrariesAndInterruptedCompiles) {
  place_lib("k1", "llama_a");
  fs::create_directories(root() / ".tmp-k2-12345");
  aae::testing::write_file(root() / ".tmp-k2-12345" / "model_lib.cc", "partial");
  auto dry = cache("clean --all --dry-run");
  ASSERT_EQ(dry.exit_code, 0) << dry.output;
  EXPECT_NE(dry.output.find("would remove llama_a"), std::string::npos) << dry.output;
  EXPECT_TRUE(fs::exists(root() / "k1.so"));
  auto result = cache("clean --all");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("interrupted compile"), std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(root() / "k1.so"));
  EXPECT_FALSE(fs::exists(root() / ".tmp-k2-12345"));
  auto list = cache("list");
  EXPECT_NE(list.output.find("no cached model libraries"), std::string::npos) << list.output;
}

TEST_F(JitCacheCli, UnknownLibraryNameIsAnErrorAndRemovesNothing) {
  place_lib("k1", "llama_a");
  auto result = cache("clean k1 llama_missing");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("llama_missing"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("cache list"), std::string::npos) << result.output;
  EXPECT_TRUE(fs::exists(root() / "k1.so"));
}

}  // namespace
}  // namespace aae
