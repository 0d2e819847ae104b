// Code generation for phi3 (longrope constants in the llama-family Config) and phi (PhiFamily).
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "compiler/codegen.h"
#include "compiler/model_input.h"
#include "compiler/tinyllama_test_config.h"

namespace aae {
namespace {

using nlohmann::json;

// A one-layer phi3 chat config as gen_config writes it: head_dim 16, longrope with max 512 over
// an original 128.
json phi3_chat() {
  json chat = testing::tinyllama_chat_config();
  chat["model_type"] = "phi3";
  chat["model_config"] = json::parse(R"({
    "model_type": "phi3", "hidden_size": 64, "vocab_size": 100, "num_hidden_layers": 1,
    "num_attention_heads": 4, "intermediate_size": 96, "rms_norm_eps": 1e-05,
    "num_key_value_heads": 2, "max_position_embeddings": 512,
    "position_embedding_base": 10000.0,
    "rope_scaling": {"long_factor": [1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5],
                     "short_factor": [1, 1, 1, 1, 1, 1, 1, 1], "type": "longrope",
                     "rope_type": "longrope", "max_position_embeddings": 512,
                     "original_max_position_embeddings": 128},
    "original_max_position_embeddings": 128, "context_window_size": 32,
    "prefill_chunk_size": 8, "head_dim": 16, "tensor_parallel_shards": 1, "max_batch_size": 1,
    "tie_word_embeddings": false, "partial_rotary_factor": 1.0})");
  chat["vocab_size"] = 100;
  chat["context_window_size"] = 32;
  chat["prefill_chunk_size"] = 8;
  return chat;
}

json phi_chat() {
  json chat = testing::tinyllama_chat_config();
  chat["model_type"] = "phi";
  chat["model_config"] = json::parse(R"({
    "vocab_size": 100, "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 1,
    "num_attention_heads": 4, "layer_norm_eps": 1e-05, "position_embedding_base": 10000.0,
    "partial_rotary_factor": 0.5, "num_key_value_heads": 4, "context_window_size": 32,
    "prefill_chunk_size": 8, "head_dim": 16, "tensor_parallel_shards": 1, "max_batch_size": 1})");
  chat["vocab_size"] = 100;
  chat["context_window_size"] = 32;
  chat["prefill_chunk_size"] = 8;
  return chat;
}

TEST(CodegenPhi, Phi3WritesLongFactorsAndTheAttentionFactor) {
  auto input = make_model_input(phi3_chat(), "phi3.json", {});
  ASSERT_TRUE(input.ok()) << input.error().to_string();
  auto lib = generate_model_lib(*input, "phi3_q4f16_1_abc");
  ASSERT_TRUE(lib.ok()) << lib.error().to_string();
  // long_factor only (MLC's kernel never reads short_factor), and sqrt(1 + ln 4 / ln 128).
  EXPECT_NE(lib->source.find("rope_ext_factors[] = {1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5}"),
            std::string::npos)
      << lib->source;
  EXPECT_NE(lib->source.find("rope_attention_factor = 1.1338934190276817"), std::string::npos)
      << lib->source;
  EXPECT_NE(lib->source.find("LlamaFamily<Config>"), std::string::npos);
  // MLC's module names in the template's order: embd first, then layer 0's ln, qkv, out_proj.
  const json meta = json::parse(lib->metadata_json);
  const auto& params = meta.at("params");
  ASSERT_GE(params.size(), 5u);
  EXPECT_EQ(params[0].at("name"), "transformer.embd.q_weight");
  EXPECT_EQ(params[2].at("name"), "transformer.h.0.ln.weight");
  EXPECT_EQ(params[3].at("name"), "transformer.h.0.mixer.qkv_proj.q_weight");
}

TEST(CodegenPhi, Phi3WithoutRopeScalingUsesPlainRopeAndPartialRotaryIsRefused) {
  json chat = phi3_chat();
  chat["model_config"]["rope_scaling"] = nullptr;
  auto plain = make_model_input(chat, "phi3.json", {});
  ASSERT_TRUE(plain.ok()) << plain.error().to_string();
  auto lib = generate_model_lib(*plain, "phi3_q4f16_1_abc");
  ASSERT_TRUE(lib.ok()) << lib.error().to_string();
  EXPECT_EQ(lib->source.find("rope_ext_factors"), std::string::npos);

  chat = phi3_chat();
  chat["model_config"]["partial_rotary_factor"] = 0.75;
  auto partial = make_model_input(chat, "phi3.json", {});
  ASSERT_TRUE(partial.ok()) << partial.error().to_string();
  auto refused = generate_model_lib(*partial, "phi3_q4f16_1_abc");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("partial_rotary_factor"), std::string::npos)
      << refused.error().message();
}

TEST(CodegenPhi, PhiUsesPhiFamilyWithRotaryDimAndLayerNormEps) {
  auto input = make_model_input(phi_chat(), "phi.json", {});
  ASSERT_TRUE(input.ok()) << input.error().to_string();
  auto lib = generate_model_lib(*input, "phi_q4f16_1_abc");
  ASSERT_TRUE(lib.ok()) << lib.error().to_string();
  EXPECT_NE(lib->source.find("#include \"modellib/arch/phi.h\""), std::string::npos);
  EXPECT_NE(lib->source.find("PhiFamily<Config>"), std::string::npos);
  EXPECT_NE(lib->source.find("rotary_dim = 8;"), std::string::npos) << lib->source;
  EXPECT_NE(lib->source.find("layer_norm_eps = 1.0000000000000001e-05"), std::string::npos);
  const json meta = json::parse(lib->metadata_json);
  const auto& params = meta.at("params");
  // embd (2), ln weight, ln bias, Wqkv (2), Wqkv bias, ...; the head's four tensors + bias last.
  ASSERT_GE(params.size(), 8u);
  EXPECT_EQ(params[2].at("name"), "transformer.h.0.ln.weight");
  EXPECT_EQ(params[3].at("name"), "transformer.h.0.ln.bias");
  EXPECT_EQ(params[4].at("name"), "transformer.h.0.mixer.Wqkv.q_weight");
  EXPECT_EQ(params[6].at("name"), "transformer.h.0.mixer.Wqkv.bias");
  EXPECT_EQ(params.back().at("name"), "lm_head.linear.bias");

  json odd = phi_chat();
  odd["model_config"]["partial_rotary_factor"] = 0.3;  // int(16 * 0.3) = 4: even, accepted
  auto accepted = make_model_input(odd, "phi.json", {});
  ASSERT_TRUE(accepted.ok());
  EXPECT_TRUE(generate_model_lib(*accepted, "phi_q4f16_1_abc").ok());
  odd["model_config"]["partial_rotary_factor"] = 0.2;  // int(3.2) = 3: odd, refused
  auto refused_input = make_model_input(odd, "phi.json", {});
  ASSERT_TRUE(refused_input.ok());
  auto refused = generate_model_lib(*refused_input, "phi_q4f16_1_abc");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("rotary width of 3"), std::string::npos)
      << refused.error().message();
}

}  // namespace
}  // namespace aae
