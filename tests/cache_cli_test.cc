// End-to-end `sphere_aae cache list|clean` with the real binary on a scratch SPHERE_AAE_HOME.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/fake_hub.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {
namespace fs = std::filesystem;
using aae::testing::run_command;
using aae::testing::shell_quote;

// write_file that first creates the parent directories.
void put(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  aae::testing::write_file(path, bytes);
}

class CacheCli : public ::testing::Test {
 protected:
  fs::path home() const { return scratch_.path() / "home"; }
  fs::path model_dir(const std::string& org_repo) const { return home() / "model_weights/hf" / org_repo; }

  void place_model(const std::string& org_repo) const {
    for (const auto& [name, bytes] : aae::testing::tiny_converted_model(2, 4096)) {
      put(model_dir(org_repo) / name, bytes);
    }
  }

  aae::testing::CommandResult cache(const std::string& args) const {
    return run_command("env SPHERE_AAE_HOME=" + shell_quote(home().string()) + " " +
                       shell_quote(AAE_CLI_PATH) + " cache " + args);
  }

  aae::testing::ScratchDir scratch_;
};

TEST_F(CacheCli, ListOnEmptyCacheSaysSo) {
  auto result = cache("list");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("cache root: " + home().string()), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("no cached model weights"), std::string::npos) << result.output;
}

TEST_F(CacheCli, ListShowsAPlacedModelAsComplete) {
  place_model("org/repo");
  auto result = cache("list");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("HF://org/repo"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("complete"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("5 files"), std::string::npos) << result.output;
}

TEST_F(CacheCli, ListJsonHasRootAndWeightFields) {
  place_model("org/repo");
  place_model("org/pinned@v1");
  put(home() / "model_weights/.staging/org--partial/params_shard_0.bin.part", "xyz");
  auto result = cache("list --json");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto report = nlohmann::json::parse(result.output, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(report.is_discarded()) << result.output;
  EXPECT_EQ(report.at("root"), home().string());
  const auto& weights = report.at("weights");
  ASSERT_EQ(weights.size(), 3u) << result.output;
  int complete = 0;
  for (const auto& item : weights) {
    for (const char* key : {"model", "path", "bytes", "files", "status"}) {
      EXPECT_TRUE(item.contains(key)) << key << " in " << item.dump();
    }
    if (item.at("status") == "complete") ++complete;
    if (item.at("model") == "HF://org/partial") {
      EXPECT_EQ(item.at("status"), "incomplete");
      EXPECT_EQ(item.at("bytes"), 3);
    }
    if (item.at("model") == "HF://org/pinned@v1") {
      EXPECT_EQ(item.at("path"), model_dir("org/pinned@v1").string());
    }
  }
  EXPECT_EQ(complete, 2);
}

TEST_F(CacheCli, CleanRemovesOnlyTheNamedModel) {
  place_model("org/a");
  place_model("org/b");
  auto result = cache("clean HF://org/a");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("removed HF://org/a"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("freed"), std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(model_dir("org/a")));
  EXPECT_TRUE(fs::exists(model_dir("org/b") / "tensor-cache.json"));
  // Nothing was left aside under another name.
  EXPECT_EQ(std::distance(fs::directory_iterator(home() / "model_weights/hf/org"), fs::directory_iterator()), 1);
}

TEST_F(CacheCli, CleanAllRemovesEverything) {
  place_model("org/a");
  place_model("other/b@rev");
  auto result = cache("clean --all");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_FALSE(fs::exists(model_dir("org/a")));
  EXPECT_FALSE(fs::exists(model_dir("other/b@rev")));
  auto list = cache("list");
  EXPECT_NE(list.output.find("no cached model weights"), std::string::npos) << list.output;
}

TEST_F(CacheCli, DryRunRemovesNothing) {
  place_model("org/a");
  auto result = cache("clean --all --dry-run");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("would remove HF://org/a"), std::string::npos) << result.output;
  EXPECT_TRUE(fs::exists(model_dir("org/a") / "tensor-cache.json"));
}

TEST_F(CacheCli, UnknownModelIsAnErrorWithAHint) {
  place_model("org/a");
  auto result = cache("clean HF://org/a HF://org/missing");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("HF://org/missing"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("cache list"), std::string::npos) << result.output;
  EXPECT_TRUE(fs::exists(model_dir("org/a")));  // names are resolved before anything is removed
}

TEST_F(CacheCli, CleanWithoutModelsOrAllIsAUsageError) {
  auto result = cache("clean");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("--all"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace aae
