// sphere_aae_make_example --arch gpt_neox: RedPajama-INCITE's Hugging Face layout (fused
// per-head query_key_value, two LayerNorms per layer, embed_out), read back from the written
// files independently of the maker's code.
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

// name -> shape, from model.safetensors' header (8-byte little-endian length, then JSON).
std::map<std::string, std::vector<int64_t>> neox_tensor_shapes(const fs::path& file) {
  const std::string bytes = testing::read_file(file);
  std::map<std::string, std::vector<int64_t>> out;
  if (bytes.size() < 8) return out;
  uint64_t length = 0;
  for (int i = 0; i < 8; ++i) length |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[i])) << (8 * i);
  const json header = json::parse(bytes.substr(8, length));
  for (const auto& item : header.items())
    if (item.key() != "__metadata__") out[item.key()] = item.value()["shape"].get<std::vector<int64_t>>();
  return out;
}

TEST(MakeExampleNeox, GptNeoxHasRedPajamaKeysAndHuggingFaceTensorNames) {
  testing::ScratchDir scratch;
  auto r = testing::run_command(testing::shell_quote(AAE_MAKE_EXAMPLE_PATH) +
                                " --arch gpt_neox --preset tiny --dtype float32 -o " +
                                testing::shell_quote((scratch / "m").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json config = json::parse(testing::read_file(scratch / "m" / "config.json"));
  EXPECT_EQ(config["model_type"], "gpt_neox");
  EXPECT_EQ(config["architectures"][0], "GPTNeoXForCausalLM");
  EXPECT_EQ(config["hidden_act"], "gelu");
  EXPECT_EQ(config["rotary_pct"], 0.25);
  EXPECT_EQ(config["use_parallel_residual"], false);
  EXPECT_TRUE(config.contains("layer_norm_eps"));
  EXPECT_FALSE(config.contains("rms_norm_eps"));
  EXPECT_FALSE(config.contains("num_key_value_heads"));

  const auto shapes = neox_tensor_shapes(scratch / "m" / "model.safetensors");
  const int64_t vocab = config["vocab_size"];
  EXPECT_EQ(shapes.size(), 1u + 2 * 12 + 3);  // embed_in, 12 per layer, final norm (2), embed_out
  EXPECT_EQ(shapes.at("gpt_neox.embed_in.weight"), (std::vector<int64_t>{vocab, 64}));
  EXPECT_EQ(shapes.at("gpt_neox.layers.1.attention.query_key_value.weight"),
            (std::vector<int64_t>{192, 64}));
  EXPECT_EQ(shapes.at("gpt_neox.layers.1.attention.query_key_value.bias"),
            (std::vector<int64_t>{192}));
  EXPECT_EQ(shapes.at("gpt_neox.layers.0.mlp.dense_h_to_4h.weight"), (std::vector<int64_t>{176, 64}));
  EXPECT_EQ(shapes.at("gpt_neox.layers.0.post_attention_layernorm.bias"), (std::vector<int64_t>{64}));
  EXPECT_EQ(shapes.at("gpt_neox.final_layer_norm.bias"), (std::vector<int64_t>{64}));
  EXPECT_EQ(shapes.at("embed_out.weight"), (std::vector<int64_t>{vocab, 64}));
  EXPECT_EQ(shapes.count("embed_out.bias"), 0u);
}

}  // namespace
}  // namespace aae
