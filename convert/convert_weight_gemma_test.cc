// convert_weight on gemma2 checkpoints: names, no lm_head, and every RMSNorm weight stored as
// 1 + w with the sum rounded in the source dtype (mlc-model-params.md §3.2).
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "convert/convert_weight.h"
#include "convert/source/safetensors_writer.h"
#include "runtime/base/half.h"
#include "runtime/format/weights.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kH = 32, kD = 16, kHeads = 2, kKvHeads = 1, kI = 64, kV = 64;

// A one-layer gemma2 checkpoint whose tensors are `dtype`; every norm holds `norm_value`, every
// other tensor a small ramp.
void write_gemma2(const fs::path& dir, DType dtype, float norm_value) {
  fs::create_directories(dir);
  const nlohmann::json config = {
      {"model_type", "gemma2"},        {"hidden_size", kH},
      {"intermediate_size", kI},       {"attention_bias", false},
      {"num_attention_heads", kHeads}, {"num_key_value_heads", kKvHeads},
      {"head_dim", kD},                {"num_hidden_layers", 1},
      {"rms_norm_eps", 1e-6},          {"vocab_size", kV},
      {"hidden_act", "gelu_pytorch_tanh"}, {"max_position_embeddings", 128},
      {"sliding_window", 64},          {"final_logit_softcapping", 30.0}};
  testing::write_file(dir / "config.json", config.dump());
  SafetensorsWriter writer;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, bool norm) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::vector<uint8_t> bytes;
    for (int64_t i = 0; i < n; ++i) {
      const float v = norm ? norm_value : static_cast<float>(i % 7 - 3) / 64.0f;
      if (dtype == DType::kFloat32) {
        const auto* b = reinterpret_cast<const uint8_t*>(&v);
        bytes.insert(bytes.end(), b, b + 4);
      } else {
        const uint16_t h = float_to_bfloat16(v);
        bytes.push_back(static_cast<uint8_t>(h & 0xff));
        bytes.push_back(static_cast<uint8_t>(h >> 8));
      }
    }
    writer.add(name, dtype, shape, std::move(bytes));
  };
  const std::string p = "model.layers.0.";
  add("model.embed_tokens.weight", {kV, kH}, false);
  add("model.norm.weight", {kH}, true);
  for (const char* norm : {"input_layernorm", "post_attention_layernorm",
                           "pre_feedforward_layernorm", "post_feedforward_layernorm"})
    add(p + norm + ".weight", {kH}, true);
  add(p + "self_attn.q_proj.weight", {kHeads * kD, kH}, false);
  add(p + "self_attn.k_proj.weight", {kKvHeads * kD, kH}, false);
  add(p + "self_attn.v_proj.weight", {kKvHeads * kD, kH}, false);
  add(p + "self_attn.o_proj.weight", {kH, kHeads * kD}, false);
  add(p + "mlp.gate_proj.weight", {kI, kH}, false);
  add(p + "mlp.up_proj.weight", {kI, kH}, false);
  add(p + "mlp.down_proj.weight", {kH, kI}, false);
  const Status written = writer.write((dir / "model.safetensors").string());
  ASSERT_TRUE(written.ok()) << written.error().to_string();
}

// The first value of every norm tensor of the converted model, and the record count.
std::vector<float> converted_norms(const fs::path& out, size_t* records) {
  auto weights = ModelWeights::open(out.string());
  EXPECT_TRUE(weights.ok()) << weights.error().to_string();
  std::vector<float> firsts;
  if (!weights.ok()) return firsts;
  *records = 0;
  for (const auto& shard : weights->cache().shards) {
    for (const auto& r : shard.records) {
      ++*records;
      EXPECT_EQ(r.name.find("lm_head"), std::string::npos) << r.name;
      if (r.name.find("norm") == std::string::npos) continue;
      auto values = weights->read_f32(r.name);
      EXPECT_TRUE(values.ok());
      if (values.ok()) firsts.push_back(values->front());
    }
  }
  return firsts;
}

Result<ConvertSummary> convert(const fs::path& src, const std::string& q, const fs::path& out) {
  ConvertOptions options;
  options.source = src;
  options.quantization = q;
  options.output = out;
  return convert_weight(options, nullptr);
}

TEST(ConvertWeightGemma, Bf16NormsGetOneAddedInBf16BeforeTheFp16Cast) {
  testing::ScratchDir dir;
  // 1.5 * 2^-8 is exact in bf16; 1 + it is exact in fp16 (1.005859375) but rounds to
  // 1.0078125 in bf16 (8 significant bits), which is what MLC stores.
  write_gemma2(dir / "hf", DType::kBFloat16, 0.005859375f);
  auto summary = convert(dir / "hf", "q0f16", dir / "out");
  ASSERT_TRUE(summary.ok()) << summary.error().to_string();
  size_t records = 0;
  const std::vector<float> norms = converted_norms(dir / "out", &records);
  EXPECT_EQ(records, 10u);  // embed, model.norm; 4 norms, qkv, o, gate_up, down
  ASSERT_EQ(norms.size(), 5u);
  for (float v : norms) EXPECT_EQ(v, 1.0078125f);
}

TEST(ConvertWeightGemma, Float32NormsGetOneAddedInFloat32) {
  testing::ScratchDir dir;
  write_gemma2(dir / "hf", DType::kFloat32, 0.005859375f);
  auto summary = convert(dir / "hf", "q0f32", dir / "out");
  ASSERT_TRUE(summary.ok()) << summary.error().to_string();
  size_t records = 0;
  const std::vector<float> norms = converted_norms(dir / "out", &records);
  ASSERT_EQ(norms.size(), 5u);
  for (float v : norms) EXPECT_EQ(v, 1.005859375f);
}

}  // namespace
}  // namespace aae
