// sphere_aae_make_example --arch phi3 / phi: the Hugging Face layouts those architectures ship
// (fused phi3 projections with a longrope config; Phi-2's LayerNorms and biases), read back from
// the written files independently of the maker's code.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

namespace aae {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::run_command;
using testing::shell_quote;

// The tiny model of `arch` in `dir` (float32 weights).
bool make_tiny(const std::string& arch, const fs::path& dir) {
  auto r = run_command(shell_quote(AAE_MAKE_EXAMPLE_PATH) + " --arch " + arch +
                       " --preset tiny --dtype float32 -o " + shell_quote(dir.string()));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return r.exit_code == 0;
}

// name -> shape, from model.safetensors' header (8-byte little-endian length, then JSON).
std::map<std::string, std::vector<int64_t>> tensor_shapes(const fs::path& file) {
  const std::string bytes = testing::read_file(file);
  std::map<std::string, std::vector<int64_t>> out;
  if (bytes.size() < 8) return out;
  uint64_t length = 0;
  for (int i = 0; i < 8; ++i) length |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[i])) << (8 * i);
  const json header = json::parse(bytes.substr(8, length));
  for (const auto& item : header.items()) {
    if (item.key() != "__metadata__") out[item.key()] = item.value()["shape"].get<std::vector<int64_t>>();
  }
  return out;
}

TEST(MakeExamplePhi, Phi3HasFusedProjectionsAndALongRopeConfig) {
  testing::ScratchDir scratch;
  ASSERT_TRUE(make_tiny("phi3", scratch / "m"));
  const json config = json::parse(testing::read_file(scratch / "m" / "config.json"));
  EXPECT_EQ(config["model_type"], "phi3");
  EXPECT_EQ(config["architectures"][0], "Phi3ForCausalLM");
  EXPECT_EQ(config["rope_scaling"]["type"], "longrope");
  EXPECT_EQ(config["rope_scaling"]["long_factor"].size(), 8u);  // head_dim 16 / 2
  EXPECT_NE(config["rope_scaling"]["long_factor"], config["rope_scaling"]["short_factor"]);
  EXPECT_EQ(config["original_max_position_embeddings"], 128);
  EXPECT_EQ(config["max_position_embeddings"], 512);
  EXPECT_EQ(config["tie_word_embeddings"], false);

  const auto shapes = tensor_shapes(scratch / "m" / "model.safetensors");
  const int64_t vocab = config["vocab_size"];
  EXPECT_EQ(shapes.size(), 1u + 2 * 6 + 2);  // embed, 6 per layer, norm, lm_head
  EXPECT_EQ(shapes.at("model.layers.1.self_attn.qkv_proj.weight"), (std::vector<int64_t>{128, 64}));
  EXPECT_EQ(shapes.at("model.layers.1.mlp.gate_up_proj.weight"), (std::vector<int64_t>{352, 64}));
  EXPECT_EQ(shapes.at("lm_head.weight"), (std::vector<int64_t>{vocab, 64}));
  EXPECT_EQ(shapes.count("model.layers.0.self_attn.q_proj.weight"), 0u);
  EXPECT_EQ(shapes.count("model.layers.0.mlp.gate_proj.weight"), 0u);
}

TEST(MakeExamplePhi, PhiHasPhi2KeysLayerNormsAndEveryBias) {
  testing::ScratchDir scratch;
  ASSERT_TRUE(make_tiny("phi", scratch / "m"));
  const json config = json::parse(testing::read_file(scratch / "m" / "config.json"));
  EXPECT_EQ(config["model_type"], "phi");
  EXPECT_EQ(config["architectures"][0], "PhiForCausalLM");
  EXPECT_EQ(config["hidden_act"], "gelu_new");
  EXPECT_EQ(config["partial_rotary_factor"], 0.5);
  EXPECT_TRUE(config.contains("layer_norm_eps"));
  EXPECT_FALSE(config.contains("rms_norm_eps"));

  const auto shapes = tensor_shapes(scratch / "m" / "model.safetensors");
  const int64_t vocab = config["vocab_size"];
  EXPECT_EQ(shapes.size(), 1u + 2 * 14 + 4);  // embed, 14 per layer, final LN (2), lm_head (2)
  const std::string p = "model.layers.0.";
  EXPECT_EQ(shapes.at(p + "input_layernorm.bias"), (std::vector<int64_t>{64}));
  EXPECT_EQ(shapes.at(p + "self_attn.k_proj.bias"), (std::vector<int64_t>{32}));
  EXPECT_EQ(shapes.at(p + "self_attn.dense.weight"), (std::vector<int64_t>{64, 64}));
  EXPECT_EQ(shapes.at(p + "mlp.fc1.weight"), (std::vector<int64_t>{176, 64}));
  EXPECT_EQ(shapes.at(p + "mlp.fc2.bias"), (std::vector<int64_t>{64}));
  EXPECT_EQ(shapes.at("model.final_layernorm.weight"), (std::vector<int64_t>{64}));
  EXPECT_EQ(shapes.at("lm_head.bias"), (std::vector<int64_t>{vocab}));
  EXPECT_EQ(shapes.count("model.norm.weight"), 0u);
  EXPECT_EQ(shapes.count(p + "post_attention_layernorm.weight"), 0u);
}

}  // namespace
}  // namespace aae
