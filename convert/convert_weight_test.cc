#include "convert/convert_weight.h"

#include <cmath>
#include <cstring>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "convert/convert_weight_progress.h"
#include "convert/source/gguf.h"
#include "convert/source/safetensors_writer.h"
#include "runtime/format/tensor_cache.h"
#include "runtime/format/weights.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

// A tiny checkpoint: H=64, Hq=4, Hkv=2 (D=16), I=96, L=2, V=128.
constexpr int64_t kH = 64, kKv = 32, kI = 96, kV = 128, kLayers = 2;

// Deterministic, distinct, exactly representable values.
std::vector<float> values_for(const std::string& name, int64_t count) {
  uint32_t seed = 2166136261u;
  for (char c : name) seed = (seed ^ static_cast<uint8_t>(c)) * 16777619u;
  std::vector<float> out(static_cast<size_t>(count));
  for (auto& v : out) {
    seed = seed * 1664525u + 1013904223u;
    v = static_cast<float>(static_cast<int32_t>(seed >> 8) % 2001 - 1000) / 1024.0f;
  }
  return out;
}

class TinyCheckpoint {
 public:
  void add(const std::string& name, std::vector<int64_t> shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    tensors_[name] = {shape, values_for(name, n)};
  }
  void remove(const std::string& name) { tensors_.erase(name); }
  std::vector<float>& values(const std::string& name) { return tensors_.at(name).second; }
  nlohmann::json config;

  void write(const fs::path& dir) const {
    fs::create_directories(dir);
    testing::write_file(dir / "config.json", config.dump(2));
    SafetensorsWriter writer;
    for (const auto& [name, tensor] : tensors_) {
      std::vector<uint8_t> bytes(tensor.second.size() * 4);
      std::memcpy(bytes.data(), tensor.second.data(), bytes.size());
      writer.add(name, DType::kFloat32, tensor.first, std::move(bytes));
    }
    const Status written = writer.write((dir / "model.safetensors").string());
    ASSERT_TRUE(written.ok()) << written.error().to_string();
  }

 private:
  std::map<std::string, std::pair<std::vector<int64_t>, std::vector<float>>> tensors_;
};

void add_layers(TinyCheckpoint& model, bool qkv_bias) {
  model.add("model.embed_tokens.weight", {kV, kH});
  model.add("model.norm.weight", {kH});
  for (int i = 0; i < kLayers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    model.add(p + "input_layernorm.weight", {kH});
    model.add(p + "post_attention_layernorm.weight", {kH});
    model.add(p + "self_attn.q_proj.weight", {kH, kH});
    model.add(p + "self_attn.k_proj.weight", {kKv, kH});
    model.add(p + "self_attn.v_proj.weight", {kKv, kH});
    model.add(p + "self_attn.o_proj.weight", {kH, kH});
    model.add(p + "mlp.gate_proj.weight", {kI, kH});
    model.add(p + "mlp.up_proj.weight", {kI, kH});
    model.add(p + "mlp.down_proj.weight", {kH, kI});
    model.add(p + "self_attn.rotary_emb.inv_freq", {8});
    if (qkv_bias) {
      model.add(p + "self_attn.q_proj.bias", {kH});
      model.add(p + "self_attn.k_proj.bias", {kKv});
      model.add(p + "self_attn.v_proj.bias", {kKv});
    }
  }
}

TinyCheckpoint tiny_llama() {
  TinyCheckpoint model;
  model.config = {{"model_type", "llama"},       {"hidden_size", kH},
                  {"intermediate_size", kI},     {"num_attention_heads", 4},
                  {"num_key_value_heads", 2},    {"num_hidden_layers", kLayers},
                  {"rms_norm_eps", 1e-5},        {"vocab_size", kV},
                  {"max_position_embeddings", 256}, {"tie_word_embeddings", false}};
  add_layers(model, false);
  model.add("lm_head.weight", {kV, kH});
  return model;
}

TinyCheckpoint tiny_qwen2() {
  TinyCheckpoint model;
  model.config = {{"model_type", "qwen2"},        {"hidden_act", "silu"},
                  {"hidden_size", kH},            {"intermediate_size", kI},
                  {"num_attention_heads", 4},     {"num_key_value_heads", 2},
                  {"num_hidden_layers", kLayers}, {"rms_norm_eps", 1e-6},
                  {"rope_theta", 1000000.0},      {"vocab_size", kV},
                  {"max_position_embeddings", 256}, {"tie_word_embeddings", true}};
  add_layers(model, true);
  model.add("lm_head.weight", {kV, kH});  // tied: present in the files but unused
  return model;
}

struct Record {
  std::string name;
  std::vector<int64_t> shape;
  std::string dtype;
  bool operator==(const Record&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Record& r) {
  return os << r.name << " " << format_shape(r.shape) << " " << r.dtype;
}

std::vector<Record> records_of(const fs::path& dir) {
  auto cache = read_tensor_cache(dir.string());
  EXPECT_TRUE(cache.ok()) << cache.error().to_string();
  std::vector<Record> out;
  if (!cache.ok()) return out;
  for (const auto& shard : cache->shards)
    for (const auto& r : shard.records) out.push_back({r.name, r.shape, std::string(dtype_name(r.dtype))});
  return out;
}

struct CapturingProgress : ProgressSink {
  std::vector<std::string> warnings;
  size_t params_done = 0;
  bool finished = false;
  void begin(const std::string&, size_t) override {}
  void param_done(size_t, size_t, std::string_view, const std::vector<int64_t>&, std::string_view) override {
    ++params_done;
  }
  void warning(const std::string& message) override { warnings.push_back(message); }
  void done(const ConvertSummary&, const fs::path&) override { finished = true; }
};

Result<ConvertSummary> convert(const fs::path& src, const std::string& q, const fs::path& out,
                               ProgressSink* progress = nullptr) {
  ConvertOptions options;
  options.source = src;
  options.quantization = q;
  options.output = out;
  return convert_weight(options, progress);
}

std::vector<float> concat(std::initializer_list<const std::vector<float>*> parts) {
  std::vector<float> out;
  for (const auto* part : parts) out.insert(out.end(), part->begin(), part->end());
  return out;
}

bool bit_identical(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(ConvertWeight, LlamaQ4f16_1HasMlcNamesShapesAndOrder) {
  ScratchDir dir;
  TinyCheckpoint model = tiny_llama();
  model.write(dir / "hf");
  CapturingProgress progress;
  auto summary = convert(dir / "hf", "q4f16_1", dir / "out", &progress);
  ASSERT_TRUE(summary.ok()) << summary.error().to_string();

  std::vector<Record> expected = {{"lm_head.q_weight", {kV, 8}, "uint32"},
                                  {"lm_head.q_scale", {kV, 2}, "float16"},
                                  {"model.embed_tokens.q_weight", {kV, 8}, "uint32"},
                                  {"model.embed_tokens.q_scale", {kV, 2}, "float16"}};
  for (int i = 0; i < kLayers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    const std::vector<Record> layer = {
        {p + "input_layernorm.weight", {kH}, "float16"},
        {p + "mlp.down_proj.q_weight", {kH, 12}, "uint32"},
        {p + "mlp.down_proj.q_scale", {kH, 3}, "float16"},
        {p + "mlp.gate_up_proj.q_weight", {2 * kI, 8}, "uint32"},
        {p + "mlp.gate_up_proj.q_scale", {2 * kI, 2}, "float16"},
        {p + "post_attention_layernorm.weight", {kH}, "float16"},
        {p + "self_attn.o_proj.q_weight", {kH, 8}, "uint32"},
        {p + "self_attn.o_proj.q_scale", {kH, 2}, "float16"},
        {p + "self_attn.qkv_proj.q_weight", {kH + 2 * kKv, 8}, "uint32"},
        {p + "self_attn.qkv_proj.q_scale", {kH + 2 * kKv, 2}, "float16"}};
    expected.insert(expected.end(), layer.begin(), layer.end());
  }
  expected.push_back({"model.norm.weight", {kH}, "float16"});
  EXPECT_EQ(records_of(dir / "out"), expected);

  EXPECT_EQ(summary->tensors, 25);
  EXPECT_EQ(summary->source_params, 15);
  EXPECT_EQ(summary->shards, 1u);
  EXPECT_EQ(progress.params_done, 15u);
  EXPECT_TRUE(progress.finished);
  EXPECT_TRUE(progress.warnings.empty()) << progress.warnings[0];  // inv_freq is expected unused
  auto cache = read_tensor_cache((dir / "out").string());
  ASSERT_TRUE(cache.ok());
  EXPECT_TRUE(check_shard_files(*cache, (dir / "out").string(), true, nullptr).ok());
  // BitsPerParam divides by the unquantized parameter count (untied: embedding + lm_head).
  const int64_t params = 2 * kV * kH + kH + kLayers * (2 * kH + (kH + 2 * kKv) * kH + kH * kH + 3 * kI * kH);
  EXPECT_DOUBLE_EQ(*cache->metadata.bits_per_param, static_cast<double>(summary->bytes) * 8 / params);
  // Only the cache is in the output: no staging directory left.
  for (const auto& entry : fs::directory_iterator(dir / "out"))
    EXPECT_EQ(entry.path().filename().string().rfind(".aae-staging", 0), std::string::npos);
}

TEST(ConvertWeight, Qwen2Q0f32IsBitIdenticalAndFusesBiases) {
  ScratchDir dir;
  TinyCheckpoint model = tiny_qwen2();
  model.write(dir / "hf");
  CapturingProgress progress;
  auto summary = convert(dir / "hf", "q0f32", dir / "out", &progress);
  ASSERT_TRUE(summary.ok()) << summary.error().to_string();

  const std::vector<Record> records = records_of(dir / "out");
  ASSERT_EQ(records.size(), 7u * kLayers + 2);  // 7 per layer; tied: no lm_head
  EXPECT_EQ(records.front(), (Record{"model.embed_tokens.weight", {kV, kH}, "float32"}));
  EXPECT_EQ(records[5], (Record{"model.layers.0.self_attn.c_attn.bias", {kH + 2 * kKv}, "float32"}));
  ASSERT_EQ(progress.warnings.size(), 1u);
  EXPECT_NE(progress.warnings[0].find("lm_head.weight"), std::string::npos) << progress.warnings[0];
  EXPECT_EQ(progress.warnings[0].find("inv_freq"), std::string::npos) << progress.warnings[0];

  auto weights = ModelWeights::open((dir / "out").string());
  ASSERT_TRUE(weights.ok()) << weights.error().to_string();
  for (const auto& shard : weights->cache().shards)
    for (const auto& r : shard.records) EXPECT_EQ(r.format, "raw") << r.name;
  const std::string p = "model.layers.1.";
  const auto qkv = weights->read_f32(p + "self_attn.c_attn.weight");
  ASSERT_TRUE(qkv.ok());
  EXPECT_TRUE(bit_identical(*qkv, concat({&model.values(p + "self_attn.q_proj.weight"),
                                          &model.values(p + "self_attn.k_proj.weight"),
                                          &model.values(p + "self_attn.v_proj.weight")})));
  const auto bias = weights->read_f32(p + "self_attn.c_attn.bias");
  ASSERT_TRUE(bias.ok());
  EXPECT_TRUE(bit_identical(*bias, concat({&model.values(p + "self_attn.q_proj.bias"),
                                           &model.values(p + "self_attn.k_proj.bias"),
                                           &model.values(p + "self_attn.v_proj.bias")})));
  const auto gate_up = weights->read_f32(p + "mlp.gate_up_proj.weight");
  ASSERT_TRUE(gate_up.ok());
  EXPECT_TRUE(bit_identical(*gate_up, concat({&model.values(p + "mlp.gate_proj.weight"),
                                              &model.values(p + "mlp.up_proj.weight")})));
  const auto embed = weights->read_f32("model.embed_tokens.weight");
  ASSERT_TRUE(embed.ok());
  EXPECT_TRUE(bit_identical(*embed, model.values("model.embed_tokens.weight")));
}

TEST(ConvertWeight, MissingSourceTensorFailsWithoutOutput) {
  ScratchDir dir;
  TinyCheckpoint model = tiny_llama();
  model.remove("model.layers.1.mlp.up_proj.weight");
  model.remove("lm_head.weight");
  model.write(dir / "hf");
  auto summary = convert(dir / "hf", "q4f16_1", dir / "out");
  ASSERT_FALSE(summary.ok());
  const std::string message = summary.error().to_string();
  EXPECT_NE(message.find("2 source tensors are missing"), std::string::npos) << message;
  EXPECT_NE(message.find("model.layers.1.mlp.up_proj.weight"), std::string::npos) << message;
  EXPECT_NE(message.find("lm_head.weight"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(ConvertWeight, MismatchedShapeNamesParamAndBothShapes) {
  ScratchDir dir;
  TinyCheckpoint model = tiny_llama();
  model.add("model.layers.0.self_attn.k_proj.weight", {kKv, kH + 1});
  model.write(dir / "hf");
  fs::create_directories(dir / "out");
  auto summary = convert(dir / "hf", "q0f16", dir / "out");
  ASSERT_FALSE(summary.ok());
  const std::string message = summary.error().to_string();
  EXPECT_NE(message.find("model.layers.0.self_attn.qkv_proj.weight"), std::string::npos) << message;
  EXPECT_NE(message.find("k_proj.weight [32, 65]"), std::string::npos) << message;
  model.add("model.layers.0.self_attn.k_proj.weight", {kKv, kH});
  model.add("model.norm.weight", {kH + 2});
  model.write(dir / "hf");
  summary = convert(dir / "hf", "q0f16", dir / "out");
  ASSERT_FALSE(summary.ok());
  EXPECT_NE(summary.error().to_string().find("model.norm.weight: expected shape [64], the source has [66]"),
            std::string::npos)
      << summary.error().to_string();
  EXPECT_TRUE(fs::is_empty(dir / "out"));  // existing dir kept, nothing written into it
}

TEST(ConvertWeight, FailureMidwayLeavesNoCacheAndNoStaging) {
  ScratchDir dir;
  TinyCheckpoint model = tiny_llama();
  model.values("model.layers.1.mlp.down_proj.weight")[5] = std::nanf("");  // encode rejects NaN
  model.write(dir / "hf");
  auto summary = convert(dir / "hf", "q4f16_1", dir / "new_out");
  ASSERT_FALSE(summary.ok());
  EXPECT_NE(summary.error().to_string().find("model.layers.1.mlp.down_proj"), std::string::npos)
      << summary.error().to_string();
  EXPECT_FALSE(fs::exists(dir / "new_out"));  // this run created it, so it is gone again

  fs::create_directories(dir / "kept");
  testing::write_file(dir / "kept" / "mlc-chat-config.json", "{}");
  ASSERT_FALSE(convert(dir / "hf", "q4f16_1", dir / "kept").ok());
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(dir / "kept")) left.push_back(entry.path().filename());
  EXPECT_EQ(left, std::vector<std::string>{"mlc-chat-config.json"});
}

TEST(ConvertWeight, ReconversionReplacesStaleShardsAndKeepsOtherFiles) {
  ScratchDir dir;
  TinyCheckpoint model = tiny_qwen2();
  model.write(dir / "hf");
  const fs::path out = dir / "out";
  fs::create_directories(out);
  testing::write_file(out / "params_shard_7.bin", "stale");
  testing::write_file(out / "ndarray-cache.json", "{}");
  testing::write_file(out / "tokenizer.json", "{}");
  auto summary = convert(dir / "hf", "q4f16_1", out);
  ASSERT_TRUE(summary.ok()) << summary.error().to_string();
  EXPECT_FALSE(fs::exists(out / "params_shard_7.bin"));
  EXPECT_FALSE(fs::exists(out / "ndarray-cache.json"));
  EXPECT_TRUE(fs::exists(out / "tokenizer.json"));
  EXPECT_TRUE(fs::exists(out / "params_shard_0.bin"));
  auto cache = read_tensor_cache(out.string());
  ASSERT_TRUE(cache.ok());
  EXPECT_EQ(cache->num_tensors(), 11u * kLayers + 3);  // qwen2 q4f16_1 tied: 11L+3
  EXPECT_TRUE(check_shard_files(*cache, out.string(), true, nullptr).ok());
}

TEST(ConvertWeight, UnknownQuantizationListsSupportedOnes) {
  ScratchDir dir;
  auto summary = convert(dir.path(), "q4f16_9", dir / "out");
  ASSERT_FALSE(summary.ok());
  EXPECT_NE(summary.error().message().find("q4f16_9"), std::string::npos);
  EXPECT_NE(summary.error().hint().find("q4f16_1"), std::string::npos);
}

TEST(ConvertWeight, SourceWithoutConfigIsExplained) {
  ScratchDir dir;
  fs::create_directories(dir / "empty");
  auto summary = convert(dir / "empty", "q0f16", dir / "out");
  ASSERT_FALSE(summary.ok());
  EXPECT_NE(summary.error().to_string().find("no config.json"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(ConvertWeight, LlamaGgufQ0f32MatchesItsSourceBitForBit) {
  AAE_REQUIRE_TESTDATA(testdata);
  const fs::path gguf = testdata / "gguf" / "stories260K.gguf";
  ScratchDir dir;
  auto summary = convert(gguf, "q0f32", dir / "out");
  ASSERT_TRUE(summary.ok()) << summary.error().to_string();
  EXPECT_EQ(summary->tensors, 6 * 5 + 3);  // 5 layers, separate output.weight -> lm_head
  auto source = open_gguf_llama(gguf);
  ASSERT_TRUE(source.ok());
  auto weights = ModelWeights::open((dir / "out").string());
  ASSERT_TRUE(weights.ok()) << weights.error().to_string();
  const std::string p = "model.layers.2.";
  auto q = (*source)->read_f32(p + "self_attn.q_proj.weight");
  auto k = (*source)->read_f32(p + "self_attn.k_proj.weight");
  auto v = (*source)->read_f32(p + "self_attn.v_proj.weight");
  auto qkv = weights->read_f32(p + "self_attn.qkv_proj.weight");
  ASSERT_TRUE(q.ok() && k.ok() && v.ok() && qkv.ok());
  EXPECT_TRUE(bit_identical(*qkv, concat({&*q, &*k, &*v})));
}

TEST(ConvertWeightProgress, PrintsOneLinePerParameterWhenNotATerminal) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  StreamProgress progress(file, /*interactive=*/false);
  progress.param_done(12, 227, "model.layers.3.mlp.down_proj.weight", {2048, 5632}, "q4f16_1");
  progress.warning("something odd");
  std::rewind(file);
  char buffer[256] = {};
  const size_t n = std::fread(buffer, 1, sizeof buffer - 1, file);
  std::fclose(file);
  EXPECT_EQ(std::string(buffer, n),
            "[12/227] model.layers.3.mlp.down_proj.weight [2048, 5632] -> q4f16_1\n"
            "warning: something odd\n");
}

}  // namespace
}  // namespace aae
