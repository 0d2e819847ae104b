// The architecture registry and errors common to every architecture.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "convert/model/model.h"

namespace aae {
namespace {

using nlohmann::json;

const QuantizationSpec& q4f16_1() { return *find_quantization("q4f16_1"); }

TEST(ModelRegistry, ListsSupportedTypes) {
  EXPECT_EQ(supported_model_types(),
            (std::vector<std::string>{"llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2",
                                      "phi3", "phi", "gpt_neox"}));
}

TEST(ModelRegistry, UnknownModelTypeListsSupportedTypes) {
  auto def = make_model_definition(json{{"model_type", "gpt2"}}, q4f16_1());
  ASSERT_FALSE(def.ok());
  EXPECT_NE(def.error().message().find("gpt2"), std::string::npos);
  EXPECT_NE(def.error().hint().find("llama, mistral, qwen2, qwen3"), std::string::npos);
}

TEST(ModelRegistry, MissingModelTypeIsAnError) {
  auto def = make_model_definition(json{{"hidden_size", 8}}, q4f16_1());
  ASSERT_FALSE(def.ok());
  EXPECT_NE(def.error().message().find("model_type"), std::string::npos);
}

TEST(ModelRegistry, MissingRequiredFieldNamesConfigAndField) {
  json hf = {{"model_type", "llama"}, {"hidden_size", 64}, {"intermediate_size", 128},
             {"num_attention_heads", 4}, {"num_hidden_layers", 2}, {"vocab_size", 100},
             {"max_position_embeddings", 256}};
  auto def = make_model_definition(hf, q4f16_1());
  ASSERT_FALSE(def.ok());
  EXPECT_NE(def.error().message().find("config.json"), std::string::npos);
  EXPECT_NE(def.error().message().find("rms_norm_eps"), std::string::npos);
  EXPECT_NE(def.error().hint().find("rms_norm_eps"), std::string::npos);
}

TEST(ModelRegistry, WrongFieldTypeIsAnError) {
  json hf = {{"model_type", "llama"}, {"hidden_size", "64"}, {"intermediate_size", 128},
             {"num_attention_heads", 4}, {"num_hidden_layers", 2}, {"vocab_size", 100},
             {"rms_norm_eps", 1e-5}, {"max_position_embeddings", 256}};
  auto def = make_model_definition(hf, q4f16_1());
  ASSERT_FALSE(def.ok());
  EXPECT_NE(def.error().message().find("hidden_size"), std::string::npos);
  EXPECT_NE(def.error().message().find("integer"), std::string::npos);
}

TEST(ModelRegistry, MissingContextWindowSuggestsOverride) {
  json hf = {{"model_type", "llama"}, {"hidden_size", 64}, {"intermediate_size", 128},
             {"num_attention_heads", 4}, {"num_hidden_layers", 2}, {"vocab_size", 100},
             {"rms_norm_eps", 1e-5}};
  auto def = make_model_definition(hf, q4f16_1());
  ASSERT_FALSE(def.ok());
  EXPECT_NE(def.error().message().find("max_position_embeddings"), std::string::npos);
  EXPECT_NE(def.error().hint().find("--context-window-size"), std::string::npos);

  ConfigOverrides overrides;
  overrides.context_window_size = 512;
  auto fixed = make_model_definition(hf, q4f16_1(), overrides);
  ASSERT_TRUE(fixed.ok()) << fixed.error().to_string();
  EXPECT_EQ(fixed->context_window_size, 512);
  EXPECT_EQ(fixed->prefill_chunk_size, 512);
}

TEST(ModelRegistry, RejectsNonPositivePrefillOverride) {
  json hf = {{"model_type", "llama"}, {"hidden_size", 64}, {"intermediate_size", 128},
             {"num_attention_heads", 4}, {"num_hidden_layers", 2}, {"vocab_size", 100},
             {"rms_norm_eps", 1e-5}, {"max_position_embeddings", 256}};
  ConfigOverrides overrides;
  overrides.prefill_chunk_size = -5;
  auto def = make_model_definition(hf, q4f16_1(), overrides);
  ASSERT_FALSE(def.ok());
  EXPECT_NE(def.error().message().find("prefill_chunk_size"), std::string::npos);
}

}  // namespace
}  // namespace aae
