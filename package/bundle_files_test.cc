#include "package/bundle_files.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace aae {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

// A minimal converted model: chat config listing tokenizer.json, a one-shard tensor cache.
void write_model(const fs::path& dir) {
  testing::write_file(dir / "sphere-aae-chat-config.json",
                      R"({"model_type": "llama", "quantization": "q0f32", "vocab_size": 4,
                          "model_config": {}, "tokenizer_files": ["tokenizer.json"]})");
  testing::write_file(dir / "tensor-cache.json",
                      R"({"metadata": {}, "records": [{"dataPath": "params_shard_0.bin",
                          "format": "raw-shard", "nbytes": 8, "md5sum": "", "records": [
                          {"name": "w", "shape": [2], "dtype": "float32", "format": "raw",
                           "nbytes": 8, "byteOffset": 0}]}]})");
  testing::write_file(dir / "params_shard_0.bin", std::string(8, '\0'));
  testing::write_file(dir / "tokenizer.json", "{}");
  testing::write_file(dir / "merges.txt", "");
  testing::write_file(dir / "notes.md", "not needed by the app");
}

TEST(BundleFiles, ListsConfigCacheTokenizerAndShardsOnly) {
  ScratchDir dir;
  write_model(dir.path());
  auto files = model_bundle_files(dir.path().string());
  ASSERT_TRUE(files.ok()) << files.error().to_string();
  std::vector<std::string> names;
  for (const auto& f : *files) names.push_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string>{"sphere-aae-chat-config.json", "tensor-cache.json",
                                             "tokenizer.json", "merges.txt",
                                             "params_shard_0.bin"}));
  EXPECT_EQ(files->back().bytes, 8);
}

TEST(BundleFiles, MissingWeightsSayHowToProduceThem) {
  ScratchDir dir;
  write_model(dir.path());
  fs::remove(dir / "tensor-cache.json");
  auto files = model_bundle_files(dir.path().string());
  ASSERT_FALSE(files.ok());
  EXPECT_NE(files.error().message().find("bundle_weight needs the weights"), std::string::npos);
  EXPECT_NE(files.error().hint().find("convert_weight"), std::string::npos);
}

TEST(BundleFiles, TruncatedShardIsReported) {
  ScratchDir dir;
  write_model(dir.path());
  testing::write_file(dir / "params_shard_0.bin", "1234");
  auto files = model_bundle_files(dir.path().string());
  ASSERT_FALSE(files.ok());
  EXPECT_NE(files.error().to_string().find("params_shard_0.bin"), std::string::npos);
}

TEST(BundleFiles, ListedTokenizerFileMustExist) {
  ScratchDir dir;
  write_model(dir.path());
  fs::remove(dir / "tokenizer.json");
  auto files = model_bundle_files(dir.path().string());
  ASSERT_FALSE(files.ok());
  EXPECT_NE(files.error().message().find("tokenizer.json"), std::string::npos);
}

}  // namespace
}  // namespace aae
