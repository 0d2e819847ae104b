// The generated TU and metadata for gemma/gemma2: GemmaFamily, the embedding scale in the model
// dtype, gemma2's norms and final soft-cap, and the template's parameter order.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "compiler/codegen.h"
#include "compiler/tinyllama_test_config.h"

namespace aae {
namespace {

// A gemma-2-2b-shaped chat config (H=2304: fp16(sqrt(H)) = 48 exactly, float sqrt(H) = 48.0).
nlohmann::json gemma_chat(const std::string& type, const std::string& quant, int64_t hidden) {
  nlohmann::json chat = testing::tinyllama_chat_config();
  chat["model_type"] = type;
  chat["quantization"] = quant;
  chat["vocab_size"] = 1000;
  chat["context_window_size"] = 64;
  chat["model_config"] = {{"hidden_size", hidden}, {"intermediate_size", 96},
                          {"attention_bias", false}, {"num_attention_heads", 8},
                          {"num_key_value_heads", 4}, {"head_dim", 32},
                          {"num_hidden_layers", 2}, {"rms_norm_eps", 1e-6},
                          {"vocab_size", 1000}, {"hidden_activation", "gelu_pytorch_tanh"},
                          {"position_embedding_base", 10000.0}, {"context_window_size", 64},
                          {"prefill_chunk_size", 16}, {"tensor_parallel_shards", 1},
                          {"max_batch_size", 1}};
  if (type == "gemma2") {
    chat["model_config"]["final_logit_softcapping"] = 30.0;
    chat["model_config"]["attn_logit_softcapping"] = 50.0;
    chat["model_config"]["query_pre_attn_scalar"] = 32;
    chat["model_config"]["sliding_window"] = 64;
  }
  return chat;
}

TEST(CodegenGemma, Gemma2SourceUsesGemmaFamilyWithItsConstants) {
  auto input = make_model_input(gemma_chat("gemma2", "q4f16_1", 2048), "x", {});
  ASSERT_TRUE(input.ok()) << input.error().to_string();
  auto lib = generate_model_lib(*input, "gemma2_q4f16_1_abc");
  ASSERT_TRUE(lib.ok()) << lib.error().to_string();
  const std::string& tu = lib->source;
  for (const char* piece : {"#include \"modellib/arch/gemma.h\"",
                            "using Model = aae::modellib::GemmaFamily<Config>;",
                            "static constexpr bool tie_embeddings = true;",
                            "static constexpr double embed_scale = 45.25;",  // fp16(45.2548)
                            "static constexpr bool feedforward_norms = true;",
                            "static constexpr double final_logit_softcap = 30;"}) {
    EXPECT_NE(tu.find(piece), std::string::npos) << piece << "\n" << tu;
  }
  // Metadata order: per layer ..., down_proj, pre_feedforward, post_feedforward; no lm_head.
  const auto meta = nlohmann::json::parse(lib->metadata_json);
  std::vector<std::string> names;
  for (const auto& p : meta.at("params")) names.push_back(p.at("name"));
  ASSERT_GE(names.size(), 3u);
  EXPECT_EQ(names.back(), "model.norm.weight");
  EXPECT_EQ(names[names.size() - 2], "model.layers.1.post_feedforward_layernorm.weight");
  EXPECT_EQ(names[names.size() - 3], "model.layers.1.pre_feedforward_layernorm.weight");
  EXPECT_EQ(meta.at("architecture"), "gemma2");
}

TEST(CodegenGemma, EmbeddingScaleIsRoundedOnlyForHalfDtypes) {
  for (const auto& [quant, expected] :
       std::vector<std::pair<std::string, std::string>>{{"q0f32", "45.254833221435547"},
                                                        {"q4f32_1", "45.254833221435547"},
                                                        {"q0f16", "45.25"},
                                                        {"q0bf16", "45.25"}}) {
    SCOPED_TRACE(quant);
    auto input = make_model_input(gemma_chat("gemma", quant, 2048), "x", {});
    ASSERT_TRUE(input.ok()) << input.error().to_string();
    auto lib = generate_model_lib(*input, "gemma_test_abc");
    ASSERT_TRUE(lib.ok()) << lib.error().to_string();
    EXPECT_NE(lib->source.find("embed_scale = " + expected + ";"), std::string::npos)
        << lib->source;
    EXPECT_EQ(lib->source.find("final_logit_softcap = 30"), std::string::npos);
  }
}

}  // namespace
}  // namespace aae
