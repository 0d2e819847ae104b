#include "runtime/format/chat_config.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/test_support.h"

namespace aae {
namespace {

const char kMinimal[] =
    R"({"model_type": "llama", "quantization": "q0f16", "model_config": {"hidden_size": 64},
        "vocab_size": 32000})";

std::string config_error(const std::string& text) {
  auto config = parse_chat_config(text, "mlc-chat-config.json");
  EXPECT_FALSE(config.ok()) << "parsed unexpectedly: " << text;
  return config.ok() ? std::string() : config.error().message();
}

TEST(ChatConfig, ReadsRealQwenConfig) {
  AAE_REQUIRE_TESTDATA(data);
  auto config = read_chat_config((data / "mlc-real" / "qwen2.5-0.5b-med-q4f16_1-MLC").string());
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  EXPECT_EQ(config->file_name, "mlc-chat-config.json");
  EXPECT_EQ(config->version, "0.1.0");
  EXPECT_EQ(config->model_type, "qwen2");
  EXPECT_EQ(config->quantization, "q4f16_1");
  EXPECT_EQ(config->model_config.find("hidden_size")->as_int64(), 896);
  EXPECT_EQ(config->model_config.find("rope_theta")->as_double(), 1000000.0);
  EXPECT_EQ(config->vocab_size, 151936);
  EXPECT_EQ(config->context_window_size, 2048);
  EXPECT_EQ(config->sliding_window_size, -1);
  EXPECT_EQ(config->prefill_chunk_size, 2048);
  EXPECT_EQ(config->attention_sink_size, -1);
  EXPECT_EQ(config->tensor_parallel_shards, 1);
  EXPECT_EQ(config->pipeline_parallel_stages, 1);
  EXPECT_EQ(config->active_vocab_size, 151665);
  EXPECT_EQ(config->temperature, 0.7);
  EXPECT_EQ(config->presence_penalty, 0.0);
  EXPECT_EQ(config->frequency_penalty, 0.0);
  EXPECT_EQ(config->repetition_penalty, 1.1);
  EXPECT_EQ(config->top_p, 0.8);
  EXPECT_EQ(config->tokenizer_files,
            (std::vector<std::string>{"tokenizer.json", "vocab.json", "merges.txt",
                                      "added_tokens.json", "tokenizer_config.json"}));
  EXPECT_EQ(config->tokenizer_info.token_postproc_method, "byte_level");
  EXPECT_FALSE(config->tokenizer_info.prepend_space_in_encode);
  EXPECT_FALSE(config->tokenizer_info.strip_space_in_decode);
  ASSERT_TRUE(config->conv_template.is_object());
  EXPECT_EQ(config->conv_template.find("name")->as_string(), "chatml");
  EXPECT_EQ(config->pad_token_id, 151643);
  EXPECT_EQ(config->bos_token_id, 151643);
  EXPECT_EQ(config->eos_token_ids, (std::vector<int64_t>{151645, 151643}));
}

TEST(ChatConfig, ReadsRealReaderLMConfig) {
  AAE_REQUIRE_TESTDATA(data);
  auto config = read_chat_config((data / "mlc-real" / "ReaderLM-v2-q4f16_1-MLC").string());
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  EXPECT_EQ(config->context_window_size, 8192);
  EXPECT_EQ(config->prefill_chunk_size, 4096);
  EXPECT_EQ(config->temperature, 0.65);
  EXPECT_EQ(config->repetition_penalty, 1.08);
  EXPECT_EQ(config->model_config.find("hidden_size")->as_int64(), 1536);
}

TEST(ChatConfig, FillsDefaultsForAbsentOptionalFields) {
  auto config = parse_chat_config(kMinimal, "dir/mlc-chat-config.json");
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  EXPECT_EQ(config->file_name, "mlc-chat-config.json");
  EXPECT_EQ(config->version, "0.1.0");
  EXPECT_EQ(config->context_window_size, -1);
  EXPECT_EQ(config->sliding_window_size, -1);
  EXPECT_EQ(config->prefill_chunk_size, -1);
  EXPECT_EQ(config->attention_sink_size, -1);
  EXPECT_EQ(config->tensor_parallel_shards, 1);
  EXPECT_EQ(config->pipeline_parallel_stages, 1);
  EXPECT_FALSE(config->active_vocab_size.has_value());
  EXPECT_EQ(config->temperature, 1.0);
  EXPECT_EQ(config->presence_penalty, 0.0);
  EXPECT_EQ(config->frequency_penalty, 0.0);
  EXPECT_EQ(config->repetition_penalty, 1.0);
  EXPECT_EQ(config->top_p, 1.0);
  EXPECT_TRUE(config->tokenizer_files.empty());
  EXPECT_EQ(config->tokenizer_info.token_postproc_method, "byte_fallback");
  EXPECT_TRUE(config->conv_template.is_null());
  EXPECT_EQ(config->pad_token_id, 0);
  EXPECT_EQ(config->bos_token_id, 1);
  EXPECT_EQ(config->eos_token_ids, (std::vector<int64_t>{2}));
}

TEST(ChatConfig, TakesWindowSizesFromModelConfigWhenAbsentAtTopLevel) {
  auto config = parse_chat_config(
      R"({"model_type": "llama", "quantization": "q4f16_1", "vocab_size": 10,
          "model_config": {"context_window_size": 4096, "tensor_parallel_shards": 2},
          "sliding_window_size": 1024})",
      "mlc-chat-config.json");
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  EXPECT_EQ(config->context_window_size, 4096);
  EXPECT_EQ(config->prefill_chunk_size, 4096);  // falls back to the context window
  EXPECT_EQ(config->tensor_parallel_shards, 2);
  EXPECT_EQ(config->sliding_window_size, 1024);
}

TEST(ChatConfig, AcceptsSingleEosId) {
  auto config = parse_chat_config(
      R"({"model_type": "llama", "quantization": "q0f32", "model_config": {}, "vocab_size": 10,
          "eos_token_id": 7, "conv_template": "llama-2"})",
      "mlc-chat-config.json");
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  EXPECT_EQ(config->eos_token_ids, (std::vector<int64_t>{7}));
  EXPECT_EQ(config->conv_template.as_string(), "llama-2");
}

TEST(ChatConfig, PrefersSphereAaeConfigFile) {
  testing::ScratchDir dir;
  testing::write_file(dir / "mlc-chat-config.json", kMinimal);
  auto mlc = read_chat_config(dir.path().string());
  ASSERT_TRUE(mlc.ok()) << mlc.error().to_string();
  EXPECT_EQ(mlc->file_name, "mlc-chat-config.json");
  EXPECT_EQ(mlc->model_type, "llama");
  testing::write_file(dir / "sphere-aae-chat-config.json",
                      R"({"model_type": "qwen3", "quantization": "q4f16_1", "model_config": {},
                          "vocab_size": 5})");
  auto aae = read_chat_config(dir.path().string());
  ASSERT_TRUE(aae.ok()) << aae.error().to_string();
  EXPECT_EQ(aae->file_name, "sphere-aae-chat-config.json");
  EXPECT_EQ(aae->model_type, "qwen3");
}

TEST(ChatConfig, MissingFileIsAnError) {
  testing::ScratchDir dir;
  auto config = read_chat_config(dir.path().string());
  ASSERT_FALSE(config.ok());
  EXPECT_NE(
      config.error().message().find("neither sphere-aae-chat-config.json nor mlc-chat-config.json"),
      std::string::npos);
}

TEST(ChatConfig, ReadErrorsNameTheFilePath) {
  testing::ScratchDir dir;
  testing::write_file(dir / "mlc-chat-config.json", "{\"model_type\": ");
  auto config = read_chat_config(dir.path().string());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message().rfind(
                (dir / "mlc-chat-config.json").string() + ": line 1, column 16", 0),
            0u)
      << config.error().message();
}

TEST(ChatConfigErrors, UnknownQuantizationListsSupportedOnes) {
  auto config = parse_chat_config(
      R"({"model_type": "llama", "quantization": "q4f16_awq", "model_config": {}, "vocab_size": 1})",
      "mlc-chat-config.json");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message(),
            "mlc-chat-config.json: quantization: unsupported quantization \"q4f16_awq\"");
  EXPECT_NE(config.error().hint().find("q0f32"), std::string::npos);
  EXPECT_NE(config.error().hint().find("q4f16_1"), std::string::npos);
}

TEST(ChatConfigErrors, RequiredFieldsAndTypes) {
  EXPECT_EQ(config_error(R"({"model_type": "llama", "quantization": "q0f16", "vocab_size": 1})"),
            "mlc-chat-config.json: missing required field \"model_config\"");
  EXPECT_EQ(config_error(R"({"quantization": "q0f16", "model_config": {}, "vocab_size": 1})"),
            "mlc-chat-config.json: missing required field \"model_type\"");
  EXPECT_EQ(config_error(R"({"model_type": "llama", "quantization": "q0f16", "model_config": {}})"),
            "mlc-chat-config.json: missing required field \"vocab_size\"");
  EXPECT_EQ(config_error(R"({"model_type": "llama", "quantization": "q0f16", "model_config": [],
                             "vocab_size": 1})"),
            "mlc-chat-config.json: model_config: expected an object, found array");
  EXPECT_EQ(config_error(R"({"model_type": "llama", "quantization": "q0f16", "model_config": {},
                             "vocab_size": 0})"),
            "mlc-chat-config.json: vocab_size: must be positive, found 0");
  EXPECT_EQ(config_error(R"({"model_type": "llama", "quantization": "q0f16", "model_config": {},
                             "vocab_size": 1, "temperature": "hot"})"),
            "mlc-chat-config.json: temperature: expected a number, found string");
  EXPECT_EQ(config_error(R"({"model_type": "llama", "quantization": "q0f16", "model_config": {},
                             "vocab_size": 1, "tokenizer_info": {"strip_space_in_decode": 1}})"),
            "mlc-chat-config.json: tokenizer_info.strip_space_in_decode: expected a boolean, found "
            "number");
  EXPECT_EQ(config_error(R"({"model_type": "llama", "quantization": "q0f16", "model_config": {},
                             "vocab_size": 1, "tokenizer_info": {"token_postproc_method": "x"}})"),
            "mlc-chat-config.json: tokenizer_info.token_postproc_method: unknown method \"x\"");
  EXPECT_EQ(config_error(R"({"model_type": "llama", "quantization": "q0f16", "model_config": {},
                             "vocab_size": 1, "eos_token_id": [1, "2"]})"),
            "mlc-chat-config.json: eos_token_id[1]: expected an integer, found string");
  EXPECT_EQ(config_error(R"({"model_type": "llama", "quantization": "q0f16", "model_config": {},
                             "vocab_size": 1, "tokenizer_files": ["a", 3]})"),
            "mlc-chat-config.json: tokenizer_files[1]: expected a string, found number");
  EXPECT_EQ(config_error(R"({"model_type": "llama", "quantization": "q0f16", "model_config": {},
                             "vocab_size": 1, "conv_template": 3})"),
            "mlc-chat-config.json: conv_template: expected an object, found number");
}

}  // namespace
}  // namespace aae
