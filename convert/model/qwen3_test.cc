// qwen3 definitions (mlc-model-params.md §1.4, §2.4).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "convert/model/model.h"
#include "convert/model/model_test_util.h"

namespace aae {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

const QuantizationSpec& q4f16_1() { return *find_quantization("q4f16_1"); }

// Qwen3-0.6B's config.json.
json qwen3_06b() {
  return json::parse(R"({
    "architectures": ["Qwen3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
    "bos_token_id": 151643, "eos_token_id": 151645, "head_dim": 128, "hidden_act": "silu",
    "hidden_size": 1024, "initializer_range": 0.02, "intermediate_size": 3072,
    "max_position_embeddings": 40960, "max_window_layers": 28, "model_type": "qwen3",
    "num_attention_heads": 16, "num_hidden_layers": 28, "num_key_value_heads": 8,
    "rms_norm_eps": 1e-06, "rope_scaling": null, "rope_theta": 1000000,
    "sliding_window": null, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
    "transformers_version": "4.51.0", "use_cache": true, "use_sliding_window": false,
    "vocab_size": 151936})");
}

TEST(Qwen3Definition, ModelConfigMatchesMlcLayout) {
  ConfigOverrides overrides;
  overrides.max_batch_size = 128;
  auto def = make_model_definition(qwen3_06b(), q4f16_1(), overrides);
  ASSERT_TRUE(def.ok()) << def.error().to_string();
  // The model_config of mlc-package-reference.md §4.1 (Qwen3-0.6B layout).
  const ordered_json expected = ordered_json::parse(R"({
    "hidden_act": "silu", "hidden_size": 1024, "intermediate_size": 3072,
    "attention_bias": false, "num_attention_heads": 16, "num_hidden_layers": 28,
    "num_key_value_heads": 8, "rms_norm_eps": 1e-06, "rope_theta": 1000000,
    "vocab_size": 151936, "tie_word_embeddings": true, "context_window_size": 40960,
    "prefill_chunk_size": 2048, "tensor_parallel_shards": 1, "head_dim": 128,
    "dtype": "float32", "max_batch_size": 128, "weight_block_size": null})");
  EXPECT_EQ(def->model_config.dump(), expected.dump());
  EXPECT_EQ(def->prefill_chunk_size, 2048);  // min(ctx, 2048), not 8192
  EXPECT_EQ(def->context_window_size, 40960);
}

TEST(Qwen3Definition, PlansQkNormsWithoutBiases) {
  auto def = make_model_definition(qwen3_06b(), q4f16_1());
  ASSERT_TRUE(def.ok());
  const auto records = testing::expand_q4f16_1(def->params);
  EXPECT_EQ(records.size(), 12u * 28 + 3);  // 339
  EXPECT_EQ(def->params.size(), 8u * 28 + 2);
  bool saw_q_norm = false;
  for (const auto& p : def->params) {
    EXPECT_EQ(p.name.find(".bias"), std::string::npos) << p.name;
    if (p.name == "model.layers.0.self_attn.q_norm.weight") {
      saw_q_norm = true;
      EXPECT_EQ(p.shape, (std::vector<int64_t>{128}));
      EXPECT_EQ(p.role, TensorRole::kOther);
    }
    if (p.name == "model.layers.0.self_attn.c_attn.weight") {
      EXPECT_EQ(p.shape, (std::vector<int64_t>{(16 + 16) * 128, 1024}));
    }
    if (p.name == "model.layers.0.self_attn.o_proj.weight") {
      EXPECT_EQ(p.shape, (std::vector<int64_t>{1024, 16 * 128}));
    }
  }
  EXPECT_TRUE(saw_q_norm);
}

TEST(Qwen3Definition, AttentionBiasAddsBothBiases) {
  json hf = qwen3_06b();
  hf["attention_bias"] = true;
  hf["tie_word_embeddings"] = false;
  auto def = make_model_definition(hf, q4f16_1());
  ASSERT_TRUE(def.ok());
  int biases = 0;
  for (const auto& p : def->params) {
    if (p.name == "model.layers.5.self_attn.o_proj.bias") {
      ++biases;
      EXPECT_EQ(p.shape, (std::vector<int64_t>{1024}));
    }
    if (p.name == "model.layers.5.self_attn.c_attn.bias") {
      ++biases;
      EXPECT_EQ(p.shape, (std::vector<int64_t>{4096}));
    }
  }
  EXPECT_EQ(biases, 2);
  EXPECT_EQ(testing::expand_q4f16_1(def->params).size(), 14u * 28 + 5);
}

TEST(Qwen3Definition, RequiresHeadDimAndAttentionBias) {
  json hf = qwen3_06b();
  hf.erase("head_dim");
  auto no_head_dim = make_model_definition(hf, q4f16_1());
  ASSERT_FALSE(no_head_dim.ok());
  EXPECT_NE(no_head_dim.error().message().find("head_dim"), std::string::npos);

  hf = qwen3_06b();
  hf.erase("attention_bias");
  auto no_bias = make_model_definition(hf, q4f16_1());
  ASSERT_FALSE(no_bias.ok());
  EXPECT_NE(no_bias.error().message().find("config.json"), std::string::npos);
  EXPECT_NE(no_bias.error().message().find("attention_bias"), std::string::npos);
  EXPECT_FALSE(no_bias.error().hint().empty());
}

TEST(Qwen3Definition, RefusesPreQuantizedCheckpoints) {
  json hf = qwen3_06b();
  hf["quantization_config"] = {{"quant_method", "awq"}};
  auto def = make_model_definition(hf, q4f16_1());
  ASSERT_FALSE(def.ok());
  EXPECT_NE(def.error().message().find("quantization_config"), std::string::npos);
}

}  // namespace
}  // namespace aae
