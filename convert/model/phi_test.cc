// phi (Phi-2, transformers layout) definitions: MLC's Phi1Config and phi1_huggingface mapping.
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

// microsoft/phi-2's config.json.
json phi2() {
  return json::parse(R"({
    "architectures": ["PhiForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 50256,
    "embd_pdrop": 0.0, "eos_token_id": 50256, "hidden_act": "gelu_new", "hidden_size": 2560,
    "initializer_range": 0.02, "intermediate_size": 10240, "layer_norm_eps": 1e-05,
    "max_position_embeddings": 2048, "model_type": "phi", "num_attention_heads": 32,
    "num_hidden_layers": 32, "num_key_value_heads": 32, "partial_rotary_factor": 0.4,
    "qk_layernorm": false, "resid_pdrop": 0.1, "rope_scaling": null, "rope_theta": 10000.0,
    "tie_word_embeddings": false, "torch_dtype": "float16", "use_cache": true,
    "vocab_size": 51200})");
}

TEST(PhiDefinition, ModelConfigIsPhi1ConfigAfterPostInit) {
  auto def = make_model_definition(phi2(), q4f16_1());
  ASSERT_TRUE(def.ok()) << def.error().to_string();
  const ordered_json expected = ordered_json::parse(R"({
    "vocab_size": 51200, "hidden_size": 2560, "intermediate_size": 10240,
    "num_hidden_layers": 32, "num_attention_heads": 32, "layer_norm_eps": 1e-05,
    "position_embedding_base": 10000.0, "partial_rotary_factor": 0.4,
    "num_key_value_heads": 32, "context_window_size": 2048, "prefill_chunk_size": 2048,
    "head_dim": 80, "tensor_parallel_shards": 1, "max_batch_size": 1})");
  EXPECT_EQ(def->model_config.dump(), expected.dump());
  EXPECT_EQ(def->context_window_size, 2048);
}

TEST(PhiDefinition, DefaultsFillMissingFieldsAsMlcDoes) {
  json hf = phi2();
  hf.erase("intermediate_size");
  hf["num_key_value_heads"] = nullptr;  // Phi-2's own config has null here
  hf.erase("rope_theta");
  auto def = make_model_definition(hf, q4f16_1());
  ASSERT_TRUE(def.ok()) << def.error().to_string();
  EXPECT_EQ(def->model_config["intermediate_size"], 8192);  // the dataclass default, not 4 * H
  EXPECT_EQ(def->model_config["num_key_value_heads"], 32);
  EXPECT_EQ(def->model_config["position_embedding_base"], 10000);

  hf = phi2();
  hf.erase("max_position_embeddings");
  auto no_context = make_model_definition(hf, q4f16_1());
  ASSERT_FALSE(no_context.ok());
  EXPECT_NE(no_context.error().message().find("context window"), std::string::npos)
      << no_context.error().message();
}

TEST(PhiDefinition, PlansRenamedModulesFusedQkvAndEveryBias) {
  auto def = make_model_definition(phi2(), q4f16_1());
  ASSERT_TRUE(def.ok()) << def.error().to_string();
  EXPECT_EQ(def->params.size(), 10u * 32 + 5);
  // q4f16_1: Wqkv, out_proj, fc1, fc2 and lm_head.linear quantize (two records), plus the
  // embedding; norms and biases stay.
  EXPECT_EQ(testing::expand_q4f16_1(def->params).size(), 14u * 32 + 7);
  std::map<std::string, ParamPlan> by_name;
  for (const auto& p : def->params) by_name[p.name] = p;
  const ParamPlan& qkv = by_name.at("transformer.h.7.mixer.Wqkv.weight");
  EXPECT_EQ(qkv.shape, (std::vector<int64_t>{7680, 2560}));
  EXPECT_EQ(qkv.sources, (std::vector<std::string>{"model.layers.7.self_attn.q_proj.weight",
                                                   "model.layers.7.self_attn.k_proj.weight",
                                                   "model.layers.7.self_attn.v_proj.weight"}));
  EXPECT_EQ(by_name.at("transformer.h.7.mixer.Wqkv.bias").sources.size(), 3u);
  EXPECT_EQ(by_name.at("transformer.h.7.mixer.out_proj.bias").sources[0],
            "model.layers.7.self_attn.dense.bias");
  EXPECT_EQ(by_name.at("transformer.h.7.ln.bias").sources[0],
            "model.layers.7.input_layernorm.bias");
  EXPECT_EQ(by_name.at("transformer.h.7.mlp.fc1.weight").shape,
            (std::vector<int64_t>{10240, 2560}));
  EXPECT_EQ(by_name.at("transformer.h.7.mlp.fc2.bias").role, TensorRole::kOther);
  EXPECT_EQ(by_name.at("lm_head.ln.weight").sources[0], "model.final_layernorm.weight");
  EXPECT_EQ(by_name.at("lm_head.linear.weight").role, TensorRole::kLmHead);
  EXPECT_EQ(by_name.at("lm_head.linear.bias").shape, (std::vector<int64_t>{51200}));
  EXPECT_EQ(by_name.at("transformer.embd.weight").sources[0], "model.embed_tokens.weight");
}

TEST(PhiDefinition, RefusesHeadDimThatDoesNotSplitHidden) {
  json hf = phi2();
  hf["num_attention_heads"] = 33;
  auto bad = make_model_definition(hf, q4f16_1());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("head_dim"), std::string::npos) << bad.error().message();
}

}  // namespace
}  // namespace aae
