#include "package/model_source.h"

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace aae {
namespace {

// A minimal chat config the runtime parses; `model_type`, `quantization` and the context
// window vary per test.
std::string chat_config(const std::string& model_type, const std::string& quantization,
                        int context_window = 2048) {
  return R"({"model_type": ")" + model_type + R"(", "quantization": ")" + quantization +
         R"(", "model_config": {}, "vocab_size": 32000, "context_window_size": )" +
         std::to_string(context_window) + "}";
}

TEST(ModelSource, HfUrlIsAHubModel) {
  auto source = classify_model_source("HF://sphere-aae/Qwen3-0.6B-q0f16", "/app", hub::kDefaultEndpoint);
  ASSERT_TRUE(source.ok()) << source.error().to_string();
  EXPECT_FALSE(source->is_local());
  EXPECT_EQ(source->hub_ref.org, "sphere-aae");
  EXPECT_EQ(source->hub_ref.repo, "Qwen3-0.6B-q0f16");
  EXPECT_FALSE(source->hub_ref.pinned);
}

TEST(ModelSource, HfUrlWithRevisionIsPinned) {
  auto source = classify_model_source("HF://org/repo@v2", "/app", hub::kDefaultEndpoint);
  ASSERT_TRUE(source.ok()) << source.error().to_string();
  EXPECT_EQ(source->hub_ref.revision, "v2");
  EXPECT_TRUE(source->hub_ref.pinned);
}

TEST(ModelSource, HttpsHuggingFaceUrlIsAHubModelNotAPath) {
  // MLC counts https:// as remote but then fails to download it; AAE parses it.
  auto source = classify_model_source("https://huggingface.co/org/repo", "/app", hub::kDefaultEndpoint);
  ASSERT_TRUE(source.ok()) << source.error().to_string();
  EXPECT_FALSE(source->is_local());
  EXPECT_EQ(source->hub_ref.repo, "repo");
}

TEST(ModelSource, UrlOnAnotherHostIsAnError) {
  auto source = classify_model_source("https://example.com/org/repo", "/app", hub::kDefaultEndpoint);
  ASSERT_FALSE(source.ok());
  EXPECT_NE(source.error().to_string().find("https://example.com/org/repo"), std::string::npos);
}

TEST(ModelSource, RelativePathResolvesAgainstTheConfigDirectory) {
  auto source = classify_model_source("../dist/gemma-q4", "/srv/app/ios", hub::kDefaultEndpoint);
  ASSERT_TRUE(source.ok());
  EXPECT_TRUE(source->is_local());
  EXPECT_EQ(source->local_dir, std::filesystem::path("/srv/app/dist/gemma-q4"));
}

TEST(ModelSource, TrailingSlashIsDropped) {
  auto source = classify_model_source("models/m/", "/app", hub::kDefaultEndpoint);
  ASSERT_TRUE(source.ok());
  EXPECT_EQ(source->local_dir, std::filesystem::path("/app/models/m"));
}

TEST(ModelSource, AbsolutePathIsKept) {
  auto source = classify_model_source("/models/m", "/app", hub::kDefaultEndpoint);
  ASSERT_TRUE(source.ok());
  EXPECT_EQ(source->local_dir, std::filesystem::path("/models/m"));
}

TEST(ModelSource, EmptyModelIsAnError) {
  auto source = classify_model_source("", "/app", hub::kDefaultEndpoint);
  ASSERT_FALSE(source.ok());
  EXPECT_NE(source.error().message().find("empty"), std::string::npos);
}

TEST(ModelSource, HubPrefixIsCaseInsensitive) {
  EXPECT_TRUE(is_hub_model("hf://a/b"));
  EXPECT_TRUE(is_hub_model("HTTPS://huggingface.co/a/b"));
  EXPECT_FALSE(is_hub_model("./hf/a"));
}

TEST(ChatConfigRunnable, SupportedArchitectureAndQuantizationPass) {
  Status status = check_chat_config_runnable(chat_config("qwen3", "q4f16_1"), "c.json", {});
  EXPECT_TRUE(status.ok()) << status.error().to_string();
}

TEST(ChatConfigRunnable, UnsupportedArchitectureIsNamedWithTheSupportedOnes) {
  Status status = check_chat_config_runnable(chat_config("mixtral", "q4f16_1"), "c.json", {});
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message().find("model_type \"mixtral\""), std::string::npos);
  EXPECT_NE(status.error().message().find("c.json"), std::string::npos);
  EXPECT_NE(status.error().hint().find("qwen3"), std::string::npos);
}

TEST(ChatConfigRunnable, EveryArchitectureRunsInEveryQuantizationCode) {
  for (const char* type : {"llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "phi3", "phi",
                           "gpt_neox"}) {
    for (const char* code : {"q0f32", "q0f16", "q0bf16", "q3f16_0", "q3f16_1", "q4f16_0",
                             "q4f16_1", "q4f32_1", "q4f16_2"}) {
      Status status = check_chat_config_runnable(chat_config(type, code), "c.json", {});
      EXPECT_TRUE(status.ok()) << type << " " << code << ": " << status.error().to_string();
    }
  }
}

TEST(ChatConfigRunnable, MissingContextWindowNeedsAnOverride) {
  Status status = check_chat_config_runnable(chat_config("llama", "q4f16_1", -1), "c.json", {});
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message().find("context_window_size is -1"), std::string::npos);
  EXPECT_NE(status.error().hint().find("overrides"), std::string::npos);

  ModelLibOverrides overrides;
  overrides.context_window_size = 1024;
  EXPECT_TRUE(check_chat_config_runnable(chat_config("llama", "q4f16_1", -1), "c.json", overrides).ok());
}

TEST(ChatConfigRunnable, MalformedChatConfigIsAnError) {
  Status status = check_chat_config_runnable("{\"model_type\": ", "c.json", {});
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().to_string().find("c.json"), std::string::npos);
}

TEST(LocalModelDir, GoodDirectoryHasNoProblems) {
  testing::ScratchDir dir;
  testing::write_file(dir / "mlc-chat-config.json", chat_config("llama", "q4f16_1"));
  testing::write_file(dir / "tensor-cache.json", "{}");
  Diagnostics diags;
  check_local_model_dir(dir.path(), true, {}, "$.model_list[0].model", &diags);
  EXPECT_TRUE(diags.items().empty()) << diags.items()[0].to_string();
}

TEST(LocalModelDir, MissingDirectoryIsReportedAtTheModelPath) {
  testing::ScratchDir dir;
  Diagnostics diags;
  check_local_model_dir(dir / "absent", true, {}, "$.model_list[2].model", &diags);
  ASSERT_EQ(diags.items().size(), 1u);
  EXPECT_EQ(diags.items()[0].json_path, "$.model_list[2].model");
  EXPECT_NE(diags.items()[0].message.find("does not exist"), std::string::npos);
}

TEST(LocalModelDir, MissingChatConfigAndWeightsAreBothReported) {
  testing::ScratchDir dir;
  Diagnostics diags;
  check_local_model_dir(dir.path(), true, {}, "$.model_list[0].model", &diags);
  ASSERT_EQ(diags.count(Severity::kError), 2u);
  EXPECT_NE(diags.items()[0].message.find("mlc-chat-config.json"), std::string::npos);
  EXPECT_NE(diags.items()[1].message.find("tensor-cache.json"), std::string::npos);
}

TEST(LocalModelDir, UnsupportedArchitectureIsReported) {
  testing::ScratchDir dir;
  testing::write_file(dir / "sphere-aae-chat-config.json", chat_config("mixtral", "q4f16_1"));
  Diagnostics diags;
  check_local_model_dir(dir.path(), false, {}, "$.model_list[0].model", &diags);
  ASSERT_EQ(diags.count(Severity::kError), 1u);
  EXPECT_NE(diags.items()[0].message.find("mixtral"), std::string::npos);
}

TEST(LocalModelDir, LegacyNdarrayCacheCountsAsWeights) {
  testing::ScratchDir dir;
  testing::write_file(dir / "mlc-chat-config.json", chat_config("mistral", "q3f16_1"));
  testing::write_file(dir / "ndarray-cache.json", "{}");
  Diagnostics diags;
  check_local_model_dir(dir.path(), true, {}, "$.model_list[0].model", &diags);
  EXPECT_FALSE(diags.has_errors());
}

}  // namespace
}  // namespace aae
