// gpt_neox definitions: MLC's GPTNeoXConfig and its huggingface loader mapping.
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "convert/model/model.h"

namespace aae {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

const QuantizationSpec& q4f16_1() { return *find_quantization("q4f16_1"); }

// togethercomputer/RedPajama-INCITE-Chat-3B-v1's config.json.
json redpajama_3b() {
  return json::parse(R"({
    "architectures": ["GPTNeoXForCausalLM"], "bos_token_id": 0, "eos_token_id": 0,
    "hidden_act": "gelu", "hidden_size": 2560, "initializer_range": 0.02,
    "intermediate_size": 10240, "layer_norm_eps": 1e-05, "max_position_embeddings": 2048,
    "model_type": "gpt_neox", "num_attention_heads": 32, "num_hidden_layers": 32,
    "rotary_emb_base": 10000, "rotary_pct": 1.0, "tie_word_embeddings": false,
    "torch_dtype": "float16", "use_cache": true, "use_parallel_residual": false,
    "vocab_size": 50432})");
}

TEST(GptNeoxDefinition, ModelConfigIsGptNeoxConfigAfterPostInit) {
  auto def = make_model_definition(redpajama_3b(), q4f16_1());
  ASSERT_TRUE(def.ok()) << def.error().to_string();
  const ordered_json expected = ordered_json::parse(R"({
    "use_parallel_residual": false, "hidden_size": 2560, "intermediate_size": 10240,
    "num_attention_heads": 32, "num_hidden_layers": 32, "layer_norm_eps": 1e-05,
    "vocab_size": 50432, "rotary_pct": 1.0, "position_embedding_base": 10000,
    "context_window_size": 2048, "head_dim": 80, "prefill_chunk_size": 2048,
    "tensor_parallel_shards": 1, "ffn_out_dtype": "float32", "max_batch_size": 1})");
  EXPECT_EQ(def->model_config.dump(), expected.dump());
  EXPECT_EQ(def->context_window_size, 2048);
}

TEST(GptNeoxDefinition, RopeThetaBecomesTheBaseAndRequiredFieldsAreChecked) {
  json hf = redpajama_3b();
  hf["rope_theta"] = 500000.0;
  auto def = make_model_definition(hf, q4f16_1());
  ASSERT_TRUE(def.ok()) << def.error().to_string();
  EXPECT_EQ(def->model_config["position_embedding_base"], 500000.0);

  hf = redpajama_3b();
  hf.erase("rotary_pct");
  auto missing = make_model_definition(hf, q4f16_1());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("rotary_pct"), std::string::npos)
      << missing.error().message();

  hf = redpajama_3b();
  hf["num_attention_heads"] = 33;
  auto bad = make_model_definition(hf, q4f16_1());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("head_dim"), std::string::npos) << bad.error().message();
}

TEST(GptNeoxDefinition, PlansHuggingFaceNamesWithQkvRowsDeinterleaved) {
  auto def = make_model_definition(redpajama_3b(), q4f16_1());
  ASSERT_TRUE(def.ok()) << def.error().to_string();
  EXPECT_EQ(def->params.size(), 12u * 32 + 4);
  std::map<std::string, ParamPlan> by_name;
  for (const auto& p : def->params) by_name[p.name] = p;
  const ParamPlan& qkv = by_name.at("gpt_neox.layers.7.attention.query_key_value.weight");
  EXPECT_EQ(qkv.shape, (std::vector<int64_t>{7680, 2560}));
  EXPECT_EQ(qkv.sources, (std::vector<std::string>{qkv.name}));
  EXPECT_EQ(qkv.deinterleave_qkv_heads, 32);
  EXPECT_EQ(qkv.role, TensorRole::kLinear);
  const ParamPlan& qkv_bias = by_name.at("gpt_neox.layers.7.attention.query_key_value.bias");
  EXPECT_EQ(qkv_bias.deinterleave_qkv_heads, 32);
  EXPECT_EQ(qkv_bias.shape, (std::vector<int64_t>{7680}));
  EXPECT_EQ(by_name.at("gpt_neox.layers.7.attention.dense.weight").deinterleave_qkv_heads, 0);
  EXPECT_EQ(by_name.at("gpt_neox.layers.7.mlp.dense_h_to_4h.weight").shape,
            (std::vector<int64_t>{10240, 2560}));
  EXPECT_EQ(by_name.at("gpt_neox.layers.7.mlp.dense_4h_to_h.bias").role, TensorRole::kOther);
  EXPECT_EQ(by_name.at("gpt_neox.layers.7.post_attention_layernorm.bias").shape,
            (std::vector<int64_t>{2560}));
  EXPECT_EQ(by_name.at("gpt_neox.final_layer_norm.weight").role, TensorRole::kOther);
  EXPECT_EQ(by_name.at("gpt_neox.embed_in.weight").role, TensorRole::kEmbedding);
  EXPECT_EQ(by_name.at("embed_out.weight").role, TensorRole::kLmHead);
  EXPECT_EQ(by_name.count("embed_out.bias"), 0u);
}

// MLC's MLP linears output ffn_out_dtype and keep their biases in it (gpt_neox_loader.py casts
// exactly ".dense_h_to_4h.bias" / ".dense_4h_to_h.bias" to it); nothing else has its own dtype.
TEST(GptNeoxDefinition, OnlyTheMlpBiasesAreStoredInFfnOutDtype) {
  auto def = make_model_definition(redpajama_3b(), q4f16_1());
  ASSERT_TRUE(def.ok()) << def.error().to_string();
  int stored = 0;
  for (const auto& p : def->params) {
    const bool mlp_bias = p.name.ends_with(".mlp.dense_h_to_4h.bias") ||
                          p.name.ends_with(".mlp.dense_4h_to_h.bias");
    EXPECT_EQ(p.stored_dtype.has_value(), mlp_bias) << p.name;
    if (p.stored_dtype) {
      EXPECT_EQ(*p.stored_dtype, DType::kFloat32) << p.name;
      ++stored;
    }
  }
  EXPECT_EQ(stored, 2 * 32);

  json hf = redpajama_3b();
  hf["ffn_out_dtype"] = "float16";
  auto half = make_model_definition(hf, q4f16_1());
  ASSERT_TRUE(half.ok()) << half.error().to_string();
  EXPECT_EQ(half->model_config["ffn_out_dtype"], "float16");
  for (const auto& p : half->params) {
    if (p.stored_dtype) {
      EXPECT_EQ(*p.stored_dtype, DType::kFloat16) << p.name;
    }
  }

  hf["ffn_out_dtype"] = "int8";
  auto bad = make_model_definition(hf, q4f16_1());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("ffn_out_dtype"), std::string::npos)
      << bad.error().message();
}

}  // namespace
}  // namespace aae
