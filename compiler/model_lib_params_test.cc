#include "compiler/model_lib_params.h"

#include <fstream>
#include <set>
#include <tuple>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "compiler/model_input.h"
#include "compiler/tinyllama_test_config.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

using Record = std::tuple<std::string, std::vector<int64_t>, std::string>;

std::multiset<Record> tensor_cache_records(const std::filesystem::path& path) {
  auto cache = nlohmann::json::parse(testing::read_file(path));
  std::multiset<Record> out;
  for (const auto& shard : cache.at("records")) {
    for (const auto& r : shard.at("records")) {
      out.insert({r.at("name"), r.at("shape").get<std::vector<int64_t>>(), r.at("dtype")});
    }
  }
  return out;
}

TEST(ModelLibParams, MatchRealMlcTensorCaches) {
  AAE_REQUIRE_TESTDATA(testdata);
  for (const char* model : {"ReaderLM-v2-q4f16_1-MLC", "qwen2.5-0.5b-med-q4f16_1-MLC"}) {
    const auto dir = testdata / "mlc-real" / model;
    auto input = load_model_input(dir.string(), {});
    ASSERT_TRUE(input.ok()) << input.error().to_string();
    const auto params = model_lib_params(input->definition.params, *input->quantization);
    std::multiset<Record> declared;
    for (const auto& p : params) {
      declared.insert({p.name, p.shape, std::string(dtype_name(p.dtype))});
    }
    const auto expected = tensor_cache_records(dir / "tensor-cache.json");
    EXPECT_EQ(declared.size(), expected.size()) << model;
    EXPECT_EQ(declared, expected) << model;
  }
}

TEST(ModelLibParams, TinyLlamaHas225ParametersInMlcForm) {
  auto input = make_model_input(testing::tinyllama_chat_config(), "x", {});
  ASSERT_TRUE(input.ok()) << input.error().to_string();
  const auto params = model_lib_params(input->definition.params, *input->quantization);
  // 22 layers * (2 norms + 4 linears * 2) + embedding 2 + lm_head 2 + final norm.
  EXPECT_EQ(params.size(), 22u * 10 + 5);
  // q4f16_1 bytes per weight element: 0.5 + 2/32 = 0.5625; norms in fp16.
  const int64_t linear_elems =
      22LL * (2560 * 2048 + 2048 * 2048 + 11264 * 2048 + 2048 * 5632) + 2LL * 32000 * 2048;
  const int64_t norm_bytes = (22LL * 2 + 1) * 2048 * 2;
  EXPECT_EQ(total_param_bytes(params), linear_elems * 9 / 16 + norm_bytes);
}

TEST(ModelLibParams, KnLayoutForUnderscoreZeroCodes) {
  auto chat = testing::tinyllama_chat_config();
  chat["quantization"] = "q4f16_0";
  auto input = make_model_input(chat, "x", {});
  ASSERT_TRUE(input.ok()) << input.error().to_string();
  for (const auto& p : model_lib_params(input->definition.params, *input->quantization)) {
    if (p.name == "model.layers.0.mlp.down_proj.q_weight") {
      EXPECT_EQ(p.shape, (std::vector<int64_t>{5632 / 8, 2048}));
    }
    if (p.name == "model.embed_tokens.q_weight") {
      EXPECT_EQ(p.shape, (std::vector<int64_t>{32000, 2048 / 8}));
    }
  }
}

}  // namespace
}  // namespace aae
