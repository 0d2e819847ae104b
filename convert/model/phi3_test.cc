// phi3 definitions (mlc-model-params.md §1.7, §2.7).
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "convert/model/model.h"
#include "convert/model/model_test_util.h"

namespace aae {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

const QuantizationSpec& q4f16_1() { return *find_quantization("q4f16_1"); }

// Phi-3-mini-128k-instruct's config.json, with the factor lists cut to the 48 entries the
// model has (head_dim 96 / 2) but only their first values written out.
json phi3_mini_128k() {
  json factors = json::array();
  for (int i = 0; i < 48; ++i) factors.push_back(1.0 + 0.25 * i);
  json config = json::parse(R"({
    "architectures": ["Phi3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
    "bos_token_id": 1, "embd_pdrop": 0.0, "eos_token_id": 32000, "hidden_act": "silu",
    "hidden_size": 3072, "initializer_range": 0.02, "intermediate_size": 8192,
    "max_position_embeddings": 131072, "model_type": "phi3", "num_attention_heads": 32,
    "num_hidden_layers": 32, "num_key_value_heads": 32, "original_max_position_embeddings": 4096,
    "pad_token_id": 32000, "resid_pdrop": 0.0, "rms_norm_eps": 1e-05, "rope_theta": 10000.0,
    "sliding_window": 262144, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
    "use_cache": true, "vocab_size": 32064})");
  config["rope_scaling"] = {{"long_factor", factors}, {"short_factor", factors}, {"type", "su"}};
  return config;
}

TEST(Phi3Definition, ModelConfigFollowsMlcDerivations) {
  auto def = make_model_definition(phi3_mini_128k(), q4f16_1());
  ASSERT_TRUE(def.ok()) << def.error().to_string();
  const ordered_json& mc = def->model_config;
  EXPECT_EQ(mc["model_type"], "phi3");
  EXPECT_EQ(mc["position_embedding_base"], 10000.0);  // rope_theta moved in
  EXPECT_FALSE(mc.contains("rope_theta"));
  EXPECT_EQ(mc["context_window_size"], 131072);
  EXPECT_EQ(mc["prefill_chunk_size"], 8192);
  EXPECT_EQ(mc["head_dim"], 96);
  EXPECT_EQ(mc["partial_rotary_factor"], 1.0);
  // "su" is renamed, and the dict gains rope_type and both context lengths.
  const ordered_json& rs = mc["rope_scaling"];
  EXPECT_EQ(rs["type"], "longrope");
  EXPECT_EQ(rs["rope_type"], "longrope");
  EXPECT_EQ(rs["max_position_embeddings"], 131072);
  EXPECT_EQ(rs["original_max_position_embeddings"], 4096);
  EXPECT_EQ(def->context_window_size, 131072);
  EXPECT_EQ(def->sliding_window_size, -1);  // sliding_window is ignored
  // Field order is the dataclass's.
  std::vector<std::string> keys;
  for (auto it = mc.begin(); it != mc.end(); ++it) keys.push_back(it.key());
  const std::vector<std::string> expected = {
      "model_type", "hidden_size", "vocab_size", "num_hidden_layers", "num_attention_heads",
      "intermediate_size", "rms_norm_eps", "num_key_value_heads", "max_position_embeddings",
      "position_embedding_base", "rope_scaling", "original_max_position_embeddings",
      "context_window_size", "prefill_chunk_size", "head_dim", "tensor_parallel_shards",
      "max_batch_size", "tie_word_embeddings", "partial_rotary_factor"};
  EXPECT_EQ(keys, expected);
}

TEST(Phi3Definition, PlansMlcModuleNamesCopiedOneToOne) {
  auto def = make_model_definition(phi3_mini_128k(), q4f16_1());
  ASSERT_TRUE(def.ok()) << def.error().to_string();
  EXPECT_EQ(def->params.size(), 6u * 32 + 3);  // untied: + lm_head
  EXPECT_EQ(testing::expand_q4f16_1(def->params).size(), 10u * 32 + 3 + 2);
  std::map<std::string, ParamPlan> by_name;
  for (const auto& p : def->params) by_name[p.name] = p;
  const ParamPlan& qkv = by_name.at("transformer.h.3.mixer.qkv_proj.weight");
  EXPECT_EQ(qkv.shape, (std::vector<int64_t>{9216, 3072}));
  EXPECT_EQ(qkv.sources, (std::vector<std::string>{"model.layers.3.self_attn.qkv_proj.weight"}));
  EXPECT_EQ(qkv.role, TensorRole::kLinear);
  EXPECT_EQ(by_name.at("transformer.h.3.mixer.out_proj.weight").sources[0],
            "model.layers.3.self_attn.o_proj.weight");
  EXPECT_EQ(by_name.at("transformer.h.3.ln.weight").sources[0],
            "model.layers.3.input_layernorm.weight");
  EXPECT_EQ(by_name.at("transformer.h.3.mlp.gate_up_proj.weight").shape,
            (std::vector<int64_t>{16384, 3072}));
  EXPECT_EQ(by_name.at("transformer.embd.weight").role, TensorRole::kEmbedding);
  EXPECT_EQ(by_name.at("transformer.norm.weight").sources[0], "model.norm.weight");
  EXPECT_EQ(by_name.at("lm_head.weight").role, TensorRole::kLmHead);
  EXPECT_EQ(by_name.count("model.embed_tokens.weight"), 0u);
}

TEST(Phi3Definition, RefusesOtherRopeScalingTypesAndMissingFactors) {
  json hf = phi3_mini_128k();
  hf["rope_scaling"]["type"] = "yarn";
  auto refused = make_model_definition(hf, q4f16_1());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("rope_scaling"), std::string::npos);
  EXPECT_NE(refused.error().message().find("yarn"), std::string::npos);

  hf = phi3_mini_128k();
  hf["rope_scaling"].erase("long_factor");
  auto missing = make_model_definition(hf, q4f16_1());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("rope_scaling.long_factor"), std::string::npos);

  hf = phi3_mini_128k();
  hf["rope_scaling"] = {{"rope_type", "longrope"}};  // no "type": dropped, as MLC does
  auto dropped = make_model_definition(hf, q4f16_1());
  ASSERT_TRUE(dropped.ok()) << dropped.error().to_string();
  EXPECT_TRUE(dropped->model_config["rope_scaling"].is_null());
}

TEST(Phi3Definition, TiedModelHasNoLmHeadAndHeadDimMustDivide) {
  json hf = phi3_mini_128k();
  hf["tie_word_embeddings"] = true;
  auto tied = make_model_definition(hf, q4f16_1());
  ASSERT_TRUE(tied.ok()) << tied.error().to_string();
  for (const auto& p : tied->params) EXPECT_NE(p.name, "lm_head.weight");

  hf = phi3_mini_128k();
  hf["head_dim"] = 64;  // 64 * 32 != 3072
  auto bad = make_model_definition(hf, q4f16_1());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("head_dim"), std::string::npos);
}

}  // namespace
}  // namespace aae
