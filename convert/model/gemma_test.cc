// gemma and gemma2 definitions (mlc-model-params.md §1.5, §1.6, §2.5, §2.6, §3.2).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "convert/model/model.h"
#include "convert/model/model_test_util.h"

namespace aae {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

const QuantizationSpec& q4f16_1() { return *find_quantization("q4f16_1"); }

// google/gemma-2b's config.json.
json gemma_2b() {
  return json::parse(R"({
    "architectures": ["GemmaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
    "bos_token_id": 2, "eos_token_id": 1, "head_dim": 256, "hidden_act": "gelu",
    "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 16384,
    "max_position_embeddings": 8192, "model_type": "gemma", "num_attention_heads": 8,
    "num_hidden_layers": 18, "num_key_value_heads": 1, "pad_token_id": 0,
    "rms_norm_eps": 1e-06, "rope_scaling": null, "rope_theta": 10000.0,
    "torch_dtype": "bfloat16", "use_cache": true, "vocab_size": 256000})");
}

// google/gemma-2-2b-it's config.json.
json gemma2_2b() {
  return json::parse(R"({
    "architectures": ["Gemma2ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
    "attn_logit_softcapping": 50.0, "bos_token_id": 2, "cache_implementation": "hybrid",
    "eos_token_id": [1, 107], "final_logit_softcapping": 30.0, "head_dim": 256,
    "hidden_act": "gelu_pytorch_tanh", "hidden_activation": "gelu_pytorch_tanh",
    "hidden_size": 2304, "initializer_range": 0.02, "intermediate_size": 9216,
    "max_position_embeddings": 8192, "model_type": "gemma2", "num_attention_heads": 8,
    "num_hidden_layers": 26, "num_key_value_heads": 4, "pad_token_id": 0,
    "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06, "rope_theta": 10000.0,
    "sliding_window": 4096, "torch_dtype": "float32", "use_cache": true, "vocab_size": 256000})");
}

TEST(GemmaDefinition, ModelConfigTakesHiddenActAndRopeTheta) {
  auto def = make_model_definition(gemma_2b(), q4f16_1());
  ASSERT_TRUE(def.ok()) << def.error().to_string();
  const ordered_json expected = ordered_json::parse(R"({
    "hidden_size": 2048, "intermediate_size": 16384, "attention_bias": false,
    "num_attention_heads": 8, "num_key_value_heads": 1, "head_dim": 256,
    "num_hidden_layers": 18, "rms_norm_eps": 1e-06, "vocab_size": 256000,
    "hidden_activation": "gelu", "position_embedding_base": 10000.0,
    "context_window_size": 8192, "prefill_chunk_size": 8192, "tensor_parallel_shards": 1,
    "max_batch_size": 1})");
  EXPECT_EQ(def->model_config.dump(), expected.dump());
  EXPECT_EQ(def->context_window_size, 8192);
  EXPECT_EQ(def->sliding_window_size, -1);
}

TEST(GemmaDefinition, PlansTiedWeightsWithNormsPlusOne) {
  auto def = make_model_definition(gemma_2b(), q4f16_1());
  ASSERT_TRUE(def.ok()) << def.error().to_string();
  EXPECT_EQ(testing::expand_q4f16_1(def->params).size(), 10u * 18 + 3);
  int norms = 0;
  for (const auto& p : def->params) {
    EXPECT_EQ(p.name.find("lm_head"), std::string::npos) << p.name;
    const bool norm = p.name.find("norm") != std::string::npos;
    EXPECT_EQ(p.add_one, norm) << p.name;
    norms += norm ? 1 : 0;
    if (p.name == "model.layers.3.self_attn.qkv_proj.weight") {
      EXPECT_EQ(p.shape, (std::vector<int64_t>{(8 + 2) * 256, 2048}));
      EXPECT_EQ(p.sources.size(), 3u);
    }
    if (p.name == "model.layers.3.self_attn.o_proj.weight") {
      EXPECT_EQ(p.shape, (std::vector<int64_t>{2048, 8 * 256}));  // head_dim, not H / heads
    }
  }
  EXPECT_EQ(norms, 2 * 18 + 1);
}

TEST(GemmaDefinition, RejectsOtherActivationsAndAttentionBias) {
  json hf = gemma_2b();
  hf["hidden_act"] = "silu";
  auto def = make_model_definition(hf, q4f16_1());
  ASSERT_FALSE(def.ok());
  EXPECT_NE(def.error().message().find("hidden_activation"), std::string::npos)
      << def.error().message();
  hf = gemma_2b();
  hf["attention_bias"] = true;
  def = make_model_definition(hf, q4f16_1());
  ASSERT_FALSE(def.ok());
  EXPECT_NE(def.error().message().find("attention_bias"), std::string::npos);
}

TEST(Gemma2Definition, ContextWindowIsTheSlidingWindowAndPrefillStays) {
  auto def = make_model_definition(gemma2_2b(), q4f16_1());
  ASSERT_TRUE(def.ok()) << def.error().to_string();
  EXPECT_EQ(def->context_window_size, 4096);
  EXPECT_EQ(def->prefill_chunk_size, 8192);  // not clamped again (§1.6)
  EXPECT_EQ(def->model_config["final_logit_softcapping"], 30.0);
  EXPECT_EQ(def->model_config["attn_logit_softcapping"], 50.0);
  EXPECT_EQ(def->model_config["query_pre_attn_scalar"], 256);
  EXPECT_EQ(def->model_config["hidden_activation"], "gelu_pytorch_tanh");
  // An override of the context window is replaced again by sliding_window, as in MLC.
  ConfigOverrides overrides;
  overrides.context_window_size = 1024;
  auto overridden = make_model_definition(gemma2_2b(), q4f16_1(), overrides);
  ASSERT_TRUE(overridden.ok());
  EXPECT_EQ(overridden->context_window_size, 4096);
}

TEST(Gemma2Definition, PlansFourNormsPerLayer) {
  auto def = make_model_definition(gemma2_2b(), q4f16_1());
  ASSERT_TRUE(def.ok()) << def.error().to_string();
  EXPECT_EQ(testing::expand_q4f16_1(def->params).size(), 12u * 26 + 3);
  int feedforward = 0;
  for (const auto& p : def->params) {
    if (p.name.find("feedforward_layernorm") != std::string::npos) {
      ++feedforward;
      EXPECT_TRUE(p.add_one) << p.name;
      EXPECT_EQ(p.shape, (std::vector<int64_t>{2304}));
      EXPECT_EQ(p.role, TensorRole::kOther);
    }
  }
  EXPECT_EQ(feedforward, 2 * 26);
}

}  // namespace
}  // namespace aae
