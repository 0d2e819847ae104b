// convert_weight on gpt_neox checkpoints: Hugging Face's per-head interleaved query_key_value
// rows ([q, k, v] of head 0, then head 1, ...) land in MLC's layout (all q heads, all k heads,
// all v heads), for the weight and the bias; every other tensor is copied unchanged. The MLP
// biases are stored float32 in every code (MLC's ffn_out_dtype), everything else as MLC does.
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "convert/convert_weight.h"
#include "convert/source/safetensors_writer.h"
#include "runtime/format/dtype.h"
#include "runtime/format/quantization.h"
#include "runtime/format/weights.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kH = 8, kHeads = 2, kD = 4, kI = 16, kV = 32;

// The value at (row, col) of the Hugging Face query_key_value: row * 100 + col identifies both
// (exact in float32); the bias is row.
float hf_qkv(int64_t row, int64_t col) { return static_cast<float>(row * 100 + col); }

void write_neox(const fs::path& dir) {
  fs::create_directories(dir);
  const nlohmann::json config = {
      {"model_type", "gpt_neox"},       {"hidden_size", kH},
      {"intermediate_size", kI},        {"num_attention_heads", kHeads},
      {"num_hidden_layers", 1},         {"layer_norm_eps", 1e-5},
      {"vocab_size", kV},               {"rotary_pct", 0.5},
      {"use_parallel_residual", true},  {"max_position_embeddings", 64},
      {"hidden_act", "gelu"}};
  testing::write_file(dir / "config.json", config.dump());
  SafetensorsWriter writer;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, auto value) {
    const int64_t cols = shape.size() == 2 ? shape[1] : 1;
    std::vector<uint8_t> bytes;
    for (int64_t r = 0; r < shape[0]; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        const float v = value(r, c);
        const auto* b = reinterpret_cast<const uint8_t*>(&v);
        bytes.insert(bytes.end(), b, b + 4);
      }
    writer.add(name, DType::kFloat32, shape, std::move(bytes));
  };
  auto ramp = [](int64_t r, int64_t c) { return static_cast<float>((r + c) % 5) / 8.0f; };
  const std::string p = "gpt_neox.layers.0.";
  add("gpt_neox.embed_in.weight", {kV, kH}, ramp);
  for (const char* norm : {"input_layernorm", "post_attention_layernorm"}) {
    add(p + norm + ".weight", {kH}, ramp);
    add(p + norm + ".bias", {kH}, ramp);
  }
  add(p + "attention.query_key_value.weight", {3 * kH, kH}, hf_qkv);
  add(p + "attention.query_key_value.bias", {3 * kH},
      [](int64_t r, int64_t) { return static_cast<float>(r); });
  add(p + "attention.dense.weight", {kH, kH}, ramp);
  add(p + "attention.dense.bias", {kH}, ramp);
  add(p + "mlp.dense_h_to_4h.weight", {kI, kH}, ramp);
  // 1/3 + r is not exact in fp16 or bf16: reading it back unchanged proves float32 storage.
  auto third = [](int64_t r, int64_t) { return 1.0f / 3.0f + static_cast<float>(r); };
  add(p + "mlp.dense_h_to_4h.bias", {kI}, third);
  add(p + "mlp.dense_4h_to_h.weight", {kH, kI}, ramp);
  add(p + "mlp.dense_4h_to_h.bias", {kH}, third);
  add("gpt_neox.final_layer_norm.weight", {kH}, ramp);
  add("gpt_neox.final_layer_norm.bias", {kH}, ramp);
  add("embed_out.weight", {kV, kH}, ramp);
  const Status written = writer.write((dir / "model.safetensors").string());
  ASSERT_TRUE(written.ok()) << written.error().to_string();
}

TEST(ConvertWeightNeox, QueryKeyValueRowsAreRegroupedIntoAllQThenKThenV) {
  testing::ScratchDir dir;
  write_neox(dir / "hf");
  ConvertOptions options;
  options.source = dir / "hf";
  options.quantization = "q0f32";
  options.output = dir / "out";
  auto summary = convert_weight(options, nullptr);
  ASSERT_TRUE(summary.ok()) << summary.error().to_string();
  auto weights = ModelWeights::open((dir / "out").string());
  ASSERT_TRUE(weights.ok()) << weights.error().to_string();
  auto w = weights->read_f32("gpt_neox.layers.0.attention.query_key_value.weight");
  auto b = weights->read_f32("gpt_neox.layers.0.attention.query_key_value.bias");
  ASSERT_TRUE(w.ok() && b.ok());
  ASSERT_EQ(w->size(), static_cast<size_t>(3 * kH * kH));
  ASSERT_EQ(b->size(), static_cast<size_t>(3 * kH));
  // MLC row (part, head, r) comes from Hugging Face row (head, part, r).
  for (int64_t part = 0; part < 3; ++part)
    for (int64_t head = 0; head < kHeads; ++head)
      for (int64_t r = 0; r < kD; ++r) {
        const int64_t mlc_row = (part * kHeads + head) * kD + r;
        const int64_t hf_row = (head * 3 + part) * kD + r;
        EXPECT_EQ((*b)[mlc_row], static_cast<float>(hf_row)) << "row " << mlc_row;
        for (int64_t c = 0; c < kH; ++c)
          ASSERT_EQ((*w)[mlc_row * kH + c], hf_qkv(hf_row, c)) << "row " << mlc_row;
      }
  // Row 4 (head 0's k) moved to row 8 (the first k row): the layout really changed.
  EXPECT_EQ((*b)[8], 4.0f);
  // Other tensors are copied as they are.
  auto dense = weights->read_f32("gpt_neox.layers.0.attention.dense.weight");
  ASSERT_TRUE(dense.ok());
  EXPECT_EQ((*dense)[9], static_cast<float>((1 + 1) % 5) / 8.0f);
}

// name -> dtype of every record in dir/tensor-cache.json.
std::map<std::string, std::string> record_dtypes(const fs::path& dir) {
  std::ifstream in(dir / "tensor-cache.json");
  const nlohmann::json cache = nlohmann::json::parse(in);
  std::map<std::string, std::string> out;
  for (const auto& shard : cache.at("records"))
    for (const auto& r : shard.at("records"))
      out[r.at("name").get<std::string>()] = r.at("dtype").get<std::string>();
  return out;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// MLC (gpt_neox_model.py GPTNeoXMLP, gpt_neox_loader.py): dense_h_to_4h / dense_4h_to_h have
// out_dtype = ffn_out_dtype ("float32"), so nn.Linear.to(model dtype) leaves their biases float32
// and the loader casts them to it; embed_out's weight follows the model dtype (Linear.to converts
// weights whatever they were declared) and is group-quantized with model-dtype scales except in
// q4f16_2. Exactly the two MLP biases per layer are float32 in a non-float32 model.
TEST(ConvertWeightNeox, MlpBiasesAreFloat32AndEverythingElseAsMlcStoresIt) {
  testing::ScratchDir dir;
  write_neox(dir / "hf");
  const std::string fc1_bias = "gpt_neox.layers.0.mlp.dense_h_to_4h.bias";
  const std::string fc2_bias = "gpt_neox.layers.0.mlp.dense_4h_to_h.bias";
  for (const char* code : {"q0f16", "q0bf16", "q0f32", "q4f16_1", "q4f16_0", "q3f16_1", "q4f16_2"}) {
    SCOPED_TRACE(code);
    const QuantizationSpec* spec = find_quantization(code);
    ASSERT_NE(spec, nullptr);
    const std::string model_dtype(dtype_name(spec->model_dtype));
    ConvertOptions options;
    options.source = dir / "hf";
    options.quantization = code;
    options.output = dir / code;
    auto summary = convert_weight(options, nullptr);
    ASSERT_TRUE(summary.ok()) << summary.error().to_string();
    const auto dtypes = record_dtypes(dir / code);
    ASSERT_EQ(dtypes.count(fc1_bias), 1u);
    ASSERT_EQ(dtypes.count(fc2_bias), 1u);
    for (const auto& [name, dtype] : dtypes) {
      if (name == fc1_bias || name == fc2_bias) {
        EXPECT_EQ(dtype, "float32") << name;
      } else if (ends_with(name, ".q_weight")) {
        EXPECT_EQ(dtype, "uint32") << name;
      } else {
        EXPECT_EQ(dtype, model_dtype) << name;
      }
    }
    const bool head_quantized = spec->kind == QuantizationKind::kGroup && spec->quantize_final_fc;
    EXPECT_EQ(dtypes.count("embed_out.q_weight"), head_quantized ? 1u : 0u);
    EXPECT_EQ(dtypes.count("embed_out.q_scale"), head_quantized ? 1u : 0u);
    EXPECT_EQ(dtypes.count("embed_out.weight"), head_quantized ? 0u : 1u);

    auto weights = ModelWeights::open((dir / code).string());
    ASSERT_TRUE(weights.ok()) << weights.error().to_string();
    auto fc1 = weights->read_f32(fc1_bias);
    auto fc2 = weights->read_f32(fc2_bias);
    ASSERT_TRUE(fc1.ok() && fc2.ok());
    ASSERT_EQ(fc1->size(), static_cast<size_t>(kI));
    ASSERT_EQ(fc2->size(), static_cast<size_t>(kH));
    EXPECT_EQ((*fc1)[kI - 1], 1.0f / 3.0f + static_cast<float>(kI - 1));
    EXPECT_EQ((*fc2)[2], 1.0f / 3.0f + 2.0f);
  }
}

}  // namespace
}  // namespace aae
