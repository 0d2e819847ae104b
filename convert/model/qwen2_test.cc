// qwen2 definitions checked against what MLC LLM wrote for two real models
// (testdata/mlc-real: Qwen2.5-0.5B fine-tune and ReaderLM-v2, both q4f16_1).
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "convert/model/model.h"
#include "convert/model/model_test_util.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

const QuantizationSpec& q4f16_1() { return *find_quantization("q4f16_1"); }

// config.json of Qwen2.5-0.5B as saved by a recent transformers (which writes "dtype").
json qwen25_05b_config() {
  return json::parse(R"({
    "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
    "dtype": "float16", "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 896,
    "initializer_range": 0.02, "intermediate_size": 4864, "max_position_embeddings": 32768,
    "max_window_layers": 21, "model_type": "qwen2", "num_attention_heads": 14,
    "num_hidden_layers": 24, "num_key_value_heads": 2, "rms_norm_eps": 1e-06,
    "rope_scaling": null, "rope_theta": 1000000.0, "sliding_window": 32768,
    "tie_word_embeddings": true, "transformers_version": "4.57.1", "use_cache": true,
    "use_sliding_window": false, "vocab_size": 151936})");
}

// config.json of ReaderLM-v2 (Qwen2.5-1.5B based; bf16, written with "torch_dtype").
json readerlm_v2_config() {
  return json::parse(R"({
    "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
    "eos_token_id": 151645, "hidden_act": "silu", "hidden_size": 1536,
    "initializer_range": 0.02, "intermediate_size": 8960, "max_position_embeddings": 512000,
    "max_window_layers": 28, "model_type": "qwen2", "num_attention_heads": 12,
    "num_hidden_layers": 28, "num_key_value_heads": 2, "rms_norm_eps": 1e-06,
    "rope_theta": 5000000, "sliding_window": null, "tie_word_embeddings": true,
    "torch_dtype": "bfloat16", "transformers_version": "4.43.4", "use_cache": true,
    "use_sliding_window": false, "vocab_size": 151936})");
}

ordered_json read_ordered(const std::filesystem::path& path) {
  std::ifstream in(path);
  return ordered_json::parse(in);
}

void expect_matches_real_model(const std::filesystem::path& dir, const json& hf,
                               const ConfigOverrides& overrides) {
  auto def = make_model_definition(hf, q4f16_1(), overrides);
  ASSERT_TRUE(def.ok()) << def.error().to_string();
  const ordered_json chat = read_ordered(dir / "mlc-chat-config.json");
  // dump() compares values, key order and number formatting (1000000.0 vs 5000000).
  EXPECT_EQ(def->model_config.dump(), chat.at("model_config").dump());
  EXPECT_EQ(def->vocab_size, chat.at("vocab_size").get<int64_t>());
  EXPECT_EQ(def->context_window_size, chat.at("context_window_size").get<int64_t>());
  EXPECT_EQ(def->sliding_window_size, chat.at("sliding_window_size").get<int64_t>());
  EXPECT_EQ(def->prefill_chunk_size, chat.at("prefill_chunk_size").get<int64_t>());
  EXPECT_EQ(def->attention_sink_size, chat.at("attention_sink_size").get<int64_t>());
  EXPECT_EQ(def->tensor_parallel_shards, chat.at("tensor_parallel_shards").get<int64_t>());
  EXPECT_EQ(def->pipeline_parallel_stages, chat.at("pipeline_parallel_stages").get<int64_t>());

  const auto expected = testing::read_tensor_cache_records((dir / "tensor-cache.json").string());
  const auto planned = testing::expand_q4f16_1(def->params);
  ASSERT_EQ(planned.size(), expected.size());
  for (size_t i = 0; i < planned.size(); ++i) {
    EXPECT_EQ(planned[i].name, expected[i].name) << "record " << i;
    EXPECT_EQ(planned[i].shape, expected[i].shape) << expected[i].name;
    EXPECT_EQ(planned[i].dtype, expected[i].dtype) << expected[i].name;
  }
}

TEST(Qwen2Definition, MatchesRealQwen25Conversion) {
  AAE_REQUIRE_TESTDATA(testdata);
  ConfigOverrides overrides;
  overrides.context_window_size = 2048;
  overrides.prefill_chunk_size = 2048;
  overrides.max_batch_size = 128;
  expect_matches_real_model(testdata / "mlc-real/qwen2.5-0.5b-med-q4f16_1-MLC",
                            qwen25_05b_config(), overrides);
}

TEST(Qwen2Definition, MatchesRealReaderLmConversion) {
  AAE_REQUIRE_TESTDATA(testdata);
  ConfigOverrides overrides;
  overrides.context_window_size = 8192;
  overrides.prefill_chunk_size = 4096;
  overrides.max_batch_size = 128;
  expect_matches_real_model(testdata / "mlc-real/ReaderLM-v2-q4f16_1-MLC", readerlm_v2_config(),
                            overrides);
}

TEST(Qwen2Definition, DerivesWindowsWithoutOverrides) {
  auto def = make_model_definition(qwen25_05b_config(), q4f16_1());
  ASSERT_TRUE(def.ok()) << def.error().to_string();
  EXPECT_EQ(def->context_window_size, 32768);
  EXPECT_EQ(def->prefill_chunk_size, 8192);  // min(ctx, 8192)
  EXPECT_EQ(def->sliding_window_size, -1);   // qwen2 ignores sliding_window
  EXPECT_EQ(def->attention_sink_size, -1);
  EXPECT_EQ(def->model_config.at("head_dim"), 64);
  EXPECT_EQ(def->model_config.at("max_batch_size"), 1);
  EXPECT_EQ(def->params.size(), 24u * 7 + 2);  // 7 per layer incl. c_attn.bias
}

TEST(Qwen2Definition, PlansFusedSourcesAndUntiedHead) {
  json hf = qwen25_05b_config();
  hf["tie_word_embeddings"] = false;
  auto def = make_model_definition(hf, q4f16_1());
  ASSERT_TRUE(def.ok()) << def.error().to_string();
  EXPECT_EQ(def->params.front().name, "lm_head.weight");
  EXPECT_EQ(def->params.front().role, TensorRole::kLmHead);
  EXPECT_EQ(def->params.front().shape, (std::vector<int64_t>{151936, 896}));
  const ParamPlan* bias = nullptr;
  for (const auto& p : def->params) {
    if (p.name == "model.layers.3.self_attn.c_attn.bias") bias = &p;
  }
  ASSERT_NE(bias, nullptr);
  EXPECT_EQ(bias->shape, (std::vector<int64_t>{1152}));
  EXPECT_EQ(bias->role, TensorRole::kOther);
  EXPECT_EQ(bias->sources, (std::vector<std::string>{"model.layers.3.self_attn.q_proj.bias",
                                                      "model.layers.3.self_attn.k_proj.bias",
                                                      "model.layers.3.self_attn.v_proj.bias"}));
}

TEST(Qwen2Definition, RejectsHeadDimNotMatchingHidden) {
  json hf = qwen25_05b_config();
  hf["head_dim"] = 128;  // 14 * 128 != 896
  auto def = make_model_definition(hf, q4f16_1());
  ASSERT_FALSE(def.ok());
  EXPECT_NE(def.error().message().find("head_dim"), std::string::npos);
}

TEST(Qwen2Definition, RejectsUnknownActivation) {
  json hf = qwen25_05b_config();
  hf["hidden_act"] = "mish";
  auto def = make_model_definition(hf, q4f16_1());
  ASSERT_FALSE(def.ok());
  EXPECT_NE(def.error().message().find("hidden_act"), std::string::npos);
  EXPECT_NE(def.error().hint().find("silu"), std::string::npos);
}

}  // namespace
}  // namespace aae
