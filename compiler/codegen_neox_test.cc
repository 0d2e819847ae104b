// Code generation for gpt_neox (NeoxFamily, modellib/arch/gpt_neox.h).
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "compiler/codegen.h"
#include "compiler/model_input.h"
#include "compiler/tinyllama_test_config.h"

namespace aae {
namespace {

using nlohmann::json;

// A one-layer gpt_neox chat config as gen_config writes it (MLC's GPTNeoXConfig fields).
json neox_chat() {
  json chat = testing::tinyllama_chat_config();
  chat["model_type"] = "gpt_neox";
  chat["model_config"] = json::parse(R"({
    "use_parallel_residual": true, "hidden_size": 64, "intermediate_size": 96,
    "num_attention_heads": 4, "num_hidden_layers": 1, "layer_norm_eps": 1e-05,
    "vocab_size": 100, "rotary_pct": 0.25, "position_embedding_base": 10000,
    "context_window_size": 32, "head_dim": 16, "prefill_chunk_size": 8,
    "tensor_parallel_shards": 1, "ffn_out_dtype": "float32", "max_batch_size": 1})");
  chat["vocab_size"] = 100;
  chat["context_window_size"] = 32;
  chat["prefill_chunk_size"] = 8;
  return chat;
}

TEST(CodegenNeox, GptNeoxUsesNeoxFamilyWithItsParameterOrder) {
  auto input = make_model_input(neox_chat(), "neox.json", {});
  ASSERT_TRUE(input.ok()) << input.error().to_string();
  auto lib = generate_model_lib(*input, "gpt_neox_q4f16_1_abc");
  ASSERT_TRUE(lib.ok()) << lib.error().to_string();
  EXPECT_NE(lib->source.find("#include \"modellib/arch/gpt_neox.h\""), std::string::npos);
  EXPECT_NE(lib->source.find("NeoxFamily<Config>"), std::string::npos);
  EXPECT_NE(lib->source.find("rotary_dim = 4;"), std::string::npos) << lib->source;
  EXPECT_NE(lib->source.find("kv_heads = 4;"), std::string::npos) << lib->source;
  EXPECT_NE(lib->source.find("parallel_residual = true;"), std::string::npos) << lib->source;
  const json meta = json::parse(lib->metadata_json);
  const auto& params = meta.at("params");
  // embed_in (2); input_layernorm w/b, post_attention_layernorm w/b, query_key_value (2), its
  // bias, ...; final_layer_norm w/b and embed_out (2) last.
  ASSERT_GE(params.size(), 10u);
  EXPECT_EQ(params[0].at("name"), "gpt_neox.embed_in.q_weight");
  EXPECT_EQ(params[2].at("name"), "gpt_neox.layers.0.input_layernorm.weight");
  EXPECT_EQ(params[5].at("name"), "gpt_neox.layers.0.post_attention_layernorm.bias");
  EXPECT_EQ(params[6].at("name"), "gpt_neox.layers.0.attention.query_key_value.q_weight");
  EXPECT_EQ(params[8].at("name"), "gpt_neox.layers.0.attention.query_key_value.bias");
  EXPECT_EQ(params[params.size() - 3].at("name"), "gpt_neox.final_layer_norm.bias");
  EXPECT_EQ(params.back().at("name"), "embed_out.q_scale");

  json sequential = neox_chat();
  sequential["model_config"]["use_parallel_residual"] = false;
  auto seq_input = make_model_input(sequential, "neox.json", {});
  ASSERT_TRUE(seq_input.ok());
  auto seq_lib = generate_model_lib(*seq_input, "gpt_neox_q4f16_1_abc");
  ASSERT_TRUE(seq_lib.ok());
  EXPECT_NE(seq_lib->source.find("parallel_residual = false;"), std::string::npos);

  json missing = neox_chat();
  missing["model_config"].erase("use_parallel_residual");
  auto missing_input = make_model_input(missing, "neox.json", {});
  if (missing_input.ok()) {  // make_model_input may already refuse the incomplete config
    auto refused = generate_model_lib(*missing_input, "gpt_neox_q4f16_1_abc");
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message().find("use_parallel_residual"), std::string::npos)
        << refused.error().message();
  }
}

// The parameter table states MLC's dtypes: the MLP biases float32 (ffn_out_dtype), q_weight
// uint32, everything else (scales, norms, other biases) the model dtype.
TEST(CodegenNeox, DeclaresTheMlpBiasesFloat32AndRefusesAnotherFfnOutDtype) {
  auto input = make_model_input(neox_chat(), "neox.json", {});
  ASSERT_TRUE(input.ok()) << input.error().to_string();
  auto lib = generate_model_lib(*input, "gpt_neox_q4f16_1_abc");
  ASSERT_TRUE(lib.ok()) << lib.error().to_string();
  const json meta = json::parse(lib->metadata_json);
  int float32_params = 0;
  for (const auto& p : meta.at("params")) {
    const std::string name = p.at("name").get<std::string>();
    const std::string dtype = p.at("dtype").get<std::string>();
    const bool mlp_bias = name == "gpt_neox.layers.0.mlp.dense_h_to_4h.bias" ||
                          name == "gpt_neox.layers.0.mlp.dense_4h_to_h.bias";
    const bool q_weight = name.size() > 9 && name.compare(name.size() - 9, 9, ".q_weight") == 0;
    EXPECT_EQ(dtype, mlp_bias ? "float32" : q_weight ? "uint32" : "float16") << name;
    float32_params += dtype == "float32";
  }
  EXPECT_EQ(float32_params, 2);

  json half_ffn = neox_chat();
  half_ffn["model_config"]["ffn_out_dtype"] = "float16";
  auto half_input = make_model_input(half_ffn, "neox.json", {});
  ASSERT_TRUE(half_input.ok()) << half_input.error().to_string();
  auto refused = generate_model_lib(*half_input, "gpt_neox_q4f16_1_abc");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("ffn_out_dtype"), std::string::npos)
      << refused.error().message();
}

}  // namespace
}  // namespace aae
