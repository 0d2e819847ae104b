// llama and mistral definitions: config derivations (mlc-model-params.md §1.1, §1.2) and the
// parameter plan (§2.2).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "convert/model/model.h"
#include "convert/model/model_test_util.h"

namespace aae {
namespace {

using nlohmann::json;

const QuantizationSpec& q4f16_1() { return *find_quantization("q4f16_1"); }

// A small Llama-3-style config: H=256, 4 layers, 8 heads, 2 KV heads, I=688, V=1000.
json small_llama() {
  return json::parse(R"({
    "model_type": "llama", "hidden_size": 256, "intermediate_size": 688,
    "num_attention_heads": 8, "num_key_value_heads": 2, "num_hidden_layers": 4,
    "rms_norm_eps": 1e-05, "vocab_size": 1000, "max_position_embeddings": 131072,
    "rope_theta": 500000.0, "tie_word_embeddings": true, "hidden_act": "silu"})");
}

json small_mistral() {
  json hf = small_llama();
  hf["model_type"] = "mistral";
  hf.erase("tie_word_embeddings");
  hf["max_position_embeddings"] = 32768;
  hf["sliding_window"] = 4096;
  return hf;
}

TEST(LlamaDefinition, DerivesConfigLikeMlc) {
  auto def = make_model_definition(small_llama(), q4f16_1());
  ASSERT_TRUE(def.ok()) << def.error().to_string();
  const auto& mc = def->model_config;
  const std::vector<std::string> keys = {
      "hidden_size", "intermediate_size", "num_attention_heads", "num_hidden_layers",
      "rms_norm_eps", "vocab_size", "tie_word_embeddings", "position_embedding_base",
      "rope_scaling", "context_window_size", "prefill_chunk_size", "num_key_value_heads",
      "head_dim", "tensor_parallel_shards", "pipeline_parallel_stages", "max_batch_size",
      "disaggregation"};
  std::vector<std::string> found;
  for (auto it = mc.begin(); it != mc.end(); ++it) found.push_back(it.key());
  EXPECT_EQ(found, keys);
  EXPECT_EQ(mc["position_embedding_base"].dump(), "500000.0");  // rope_theta, kept as written
  EXPECT_TRUE(mc["rope_scaling"].is_null());
  EXPECT_EQ(mc["context_window_size"], 131072);
  EXPECT_EQ(mc["prefill_chunk_size"], 8192);
  EXPECT_EQ(mc["head_dim"], 32);
  EXPECT_EQ(def->sliding_window_size, -1);
  EXPECT_EQ(def->attention_sink_size, -1);
  EXPECT_EQ(def->pipeline_parallel_stages, 1);
}

TEST(LlamaDefinition, DefaultsRopeBaseKvHeadsAndUsesMaxSequenceLength) {
  json hf = small_llama();
  hf.erase("rope_theta");
  hf.erase("num_key_value_heads");
  hf.erase("max_position_embeddings");
  hf["max_sequence_length"] = 2048;
  auto def = make_model_definition(hf, q4f16_1());
  ASSERT_TRUE(def.ok()) << def.error().to_string();
  EXPECT_EQ(def->model_config["position_embedding_base"], 10000);
  EXPECT_EQ(def->model_config["num_key_value_heads"], 8);
  EXPECT_EQ(def->context_window_size, 2048);
  EXPECT_EQ(def->prefill_chunk_size, 2048);
}

TEST(LlamaDefinition, HandlesRopeScalingLikeMlc) {
  json hf = small_llama();
  hf["rope_scaling"] = {{"type", "linear"}, {"factor", 2.0}};
  auto dropped = make_model_definition(hf, q4f16_1());
  ASSERT_TRUE(dropped.ok());
  EXPECT_TRUE(dropped->model_config["rope_scaling"].is_null());

  hf["rope_scaling"] = json::parse(R"({"factor": 32.0, "high_freq_factor": 4.0,
      "low_freq_factor": 1.0, "original_max_position_embeddings": 8192, "rope_type": "llama3"})");
  auto kept = make_model_definition(hf, q4f16_1());
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->model_config["rope_scaling"]["original_max_position_embeddings"], 8192);

  hf["rope_scaling"]["rope_type"] = "yarn";
  auto refused = make_model_definition(hf, q4f16_1());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("rope_scaling"), std::string::npos);
  EXPECT_NE(refused.error().message().find("yarn"), std::string::npos);
}

TEST(LlamaDefinition, OverridesRerunDerivations) {
  ConfigOverrides overrides;
  overrides.context_window_size = 4096;
  overrides.max_batch_size = 128;
  overrides.sliding_window_size = 512;  // llama has no such field: ignored, as in MLC
  auto def = make_model_definition(small_llama(), q4f16_1(), overrides);
  ASSERT_TRUE(def.ok()) << def.error().to_string();
  EXPECT_EQ(def->context_window_size, 4096);
  EXPECT_EQ(def->prefill_chunk_size, 4096);  // 8192 > ctx, so clamped on the second pass
  EXPECT_EQ(def->sliding_window_size, -1);
  EXPECT_EQ(def->model_config["max_batch_size"], 128);
}

TEST(LlamaDefinition, PlansTiedAndUntiedParameters) {
  auto tied = make_model_definition(small_llama(), q4f16_1());
  ASSERT_TRUE(tied.ok());
  EXPECT_EQ(testing::expand_q4f16_1(tied->params).size(), 10u * 4 + 3);
  EXPECT_EQ(tied->params.size(), 6u * 4 + 2);

  json hf = small_llama();
  hf["tie_word_embeddings"] = false;
  auto untied = make_model_definition(hf, q4f16_1());
  ASSERT_TRUE(untied.ok());
  const auto records = testing::expand_q4f16_1(untied->params);
  EXPECT_EQ(records.size(), 10u * 4 + 3 + 2);
  EXPECT_EQ(records[0].name, "lm_head.q_weight");
  EXPECT_EQ(records[0].shape, (std::vector<int64_t>{1000, 32}));

  // Byte-wise name order, so layer 1's tensors precede layer 10's would, and qkv is fused.
  std::vector<std::string> names;
  for (const auto& p : untied->params) names.push_back(p.name);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  const ParamPlan* qkv = nullptr;
  const ParamPlan* gate_up = nullptr;
  for (const auto& p : untied->params) {
    if (p.name == "model.layers.2.self_attn.qkv_proj.weight") qkv = &p;
    if (p.name == "model.layers.2.mlp.gate_up_proj.weight") gate_up = &p;
  }
  ASSERT_NE(qkv, nullptr);
  ASSERT_NE(gate_up, nullptr);
  EXPECT_EQ(qkv->shape, (std::vector<int64_t>{(8 + 2 * 2) * 32, 256}));
  EXPECT_EQ(qkv->sources, (std::vector<std::string>{"model.layers.2.self_attn.q_proj.weight",
                                                     "model.layers.2.self_attn.k_proj.weight",
                                                     "model.layers.2.self_attn.v_proj.weight"}));
  EXPECT_EQ(gate_up->shape, (std::vector<int64_t>{2 * 688, 256}));
  EXPECT_EQ(gate_up->sources, (std::vector<std::string>{"model.layers.2.mlp.gate_proj.weight",
                                                         "model.layers.2.mlp.up_proj.weight"}));
}

TEST(LlamaDefinition, Llama3_8bLmHeadMatchesPublishedRecord) {
  json hf = json::parse(R"({"model_type": "llama", "hidden_size": 4096,
      "intermediate_size": 14336, "num_attention_heads": 32, "num_key_value_heads": 8,
      "num_hidden_layers": 32, "rms_norm_eps": 1e-05, "vocab_size": 128256,
      "max_position_embeddings": 8192, "rope_theta": 500000.0, "tie_word_embeddings": false})");
  auto def = make_model_definition(hf, q4f16_1());
  ASSERT_TRUE(def.ok());
  const auto records = testing::expand_q4f16_1(def->params);
  EXPECT_EQ(records.size(), 325u);
  EXPECT_EQ(records[0].name, "lm_head.q_weight");
  EXPECT_EQ(records[0].shape, (std::vector<int64_t>{128256, 512}));
}

TEST(LlamaDefinition, RejectsIndivisibleHeadsAndBadPipeline) {
  json hf = small_llama();
  hf["num_key_value_heads"] = 3;
  auto heads = make_model_definition(hf, q4f16_1());
  ASSERT_FALSE(heads.ok());
  EXPECT_NE(heads.error().message().find("num_key_value_heads"), std::string::npos);

  hf = small_llama();
  hf["pipeline_parallel_stages"] = 9;
  auto stages = make_model_definition(hf, q4f16_1());
  ASSERT_FALSE(stages.ok());
  EXPECT_NE(stages.error().message().find("pipeline_parallel_stages"), std::string::npos);
}

TEST(MistralDefinition, SlidingWindowV01) {
  auto def = make_model_definition(small_mistral(), q4f16_1());
  ASSERT_TRUE(def.ok()) << def.error().to_string();
  EXPECT_EQ(def->context_window_size, -1);
  EXPECT_EQ(def->sliding_window_size, 4096);
  EXPECT_EQ(def->prefill_chunk_size, 4096);
  EXPECT_EQ(def->attention_sink_size, 4);
  EXPECT_EQ(def->model_config["position_embedding_base"].dump(), "500000.0");
  // mistral always has lm_head: 10L + 3 + 2 records.
  EXPECT_EQ(testing::expand_q4f16_1(def->params).size(), 10u * 4 + 5);
}

TEST(MistralDefinition, NullSlidingWindowV02) {
  json hf = small_mistral();
  hf["sliding_window"] = nullptr;
  auto def = make_model_definition(hf, q4f16_1());
  ASSERT_TRUE(def.ok()) << def.error().to_string();
  EXPECT_EQ(def->context_window_size, 32768);
  EXPECT_EQ(def->sliding_window_size, -1);
  EXPECT_EQ(def->prefill_chunk_size, 8192);
  const auto& mc = def->model_config;
  std::vector<std::string> found;
  for (auto it = mc.begin(); it != mc.end(); ++it) found.push_back(it.key());
  EXPECT_EQ(found, (std::vector<std::string>{
                       "hidden_size", "intermediate_size", "num_attention_heads",
                       "num_hidden_layers", "rms_norm_eps", "vocab_size", "position_embedding_base",
                       "num_key_value_heads", "head_dim", "context_window_size",
                       "sliding_window_size", "prefill_chunk_size", "attention_sink_size",
                       "tensor_parallel_shards", "max_batch_size"}));
}

TEST(MistralDefinition, HonoursHeadDimFromConfig) {
  json hf = small_mistral();
  hf["head_dim"] = 64;
  auto def = make_model_definition(hf, q4f16_1());
  ASSERT_TRUE(def.ok()) << def.error().to_string();
  for (const auto& p : def->params) {
    if (p.name == "model.layers.0.self_attn.o_proj.weight") {
      EXPECT_EQ(p.shape, (std::vector<int64_t>{256, 8 * 64}));
    }
  }
}

}  // namespace
}  // namespace aae
