// The llama GGUF source checked against real files: stories260K as GGUF (llama.cpp) and the
// same model as a llama2.c checkpoint, an independent copy of the weights.
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "convert/source/gguf.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

constexpr int64_t kDim = 64, kHidden = 172, kLayers = 5, kHeads = 8, kKvHeads = 4, kVocab = 512;
constexpr int64_t kHeadDim = kDim / kHeads, kKvDim = kKvHeads * kHeadDim;

// stories260K.bin: 7 int32 header fields, then fp32 arrays in a fixed order (see the testdata
// README). Each array is [layers, rows, cols] or [rows, cols].
struct Llama2c {
  std::vector<float> floats;
  size_t tok_emb, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final;  // offsets in floats

  static Llama2c load(const std::filesystem::path& path) {
    const std::string bytes = ::aae::testing::read_file(path);
    Llama2c m;
    int32_t header[7];
    std::memcpy(header, bytes.data(), sizeof header);
    EXPECT_EQ(header[0], kDim);
    EXPECT_EQ(header[5], kVocab);
    m.floats.resize((bytes.size() - sizeof header) / 4);
    std::memcpy(m.floats.data(), bytes.data() + sizeof header, m.floats.size() * 4);
    size_t at = 0;
    auto take = [&at](size_t n) { const size_t start = at; at += n; return start; };
    m.tok_emb = take(kVocab * kDim);
    m.rms_att = take(kLayers * kDim);
    m.wq = take(kLayers * kDim * kDim);
    m.wk = take(kLayers * kKvDim * kDim);
    m.wv = take(kLayers * kKvDim * kDim);
    m.wo = take(kLayers * kDim * kDim);
    m.rms_ffn = take(kLayers * kDim);
    m.w1 = take(kLayers * kHidden * kDim);
    m.w2 = take(kLayers * kDim * kHidden);
    m.w3 = take(kLayers * kHidden * kDim);
    m.rms_final = take(kDim);
    EXPECT_LE(at, m.floats.size());
    return m;
  }
  std::vector<float> slice(size_t offset, size_t layer, size_t per_layer) const {
    const float* begin = floats.data() + offset + layer * per_layer;
    return {begin, begin + per_layer};
  }
};

std::filesystem::path gguf_path(const std::filesystem::path& testdata) {
  return testdata / "gguf" / "stories260K.gguf";
}

TEST(GgufStories260K, MetadataAndConfig) {
  AAE_REQUIRE_TESTDATA(testdata);
  auto gguf = GgufFile::open(gguf_path(testdata));
  ASSERT_TRUE(gguf.ok()) << gguf.error().to_string();
  EXPECT_EQ(gguf->tensors().size(), 48u);
  EXPECT_EQ(*gguf->get_string("general.architecture"), "llama");
  EXPECT_EQ(*gguf->get_int("llama.rope.dimension_count"), 8);
  EXPECT_EQ(*gguf->get_string("tokenizer.ggml.model"), "llama");
  auto tokens = gguf->get_string_array("tokenizer.ggml.tokens");
  ASSERT_TRUE(tokens.ok()) << tokens.error().to_string();
  ASSERT_EQ(tokens->size(), 512u);
  EXPECT_EQ((*tokens)[1], "<s>");
  EXPECT_EQ(gguf->get_float_array("tokenizer.ggml.scores")->size(), 512u);
  EXPECT_EQ(gguf->get_int_array("tokenizer.ggml.token_type")->size(), 512u);

  auto config = gguf_llama_hf_config(*gguf);
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  const nlohmann::json& c = *config;
  EXPECT_EQ(c["model_type"], "llama");
  EXPECT_EQ(c["hidden_size"], kDim);
  EXPECT_EQ(c["intermediate_size"], kHidden);
  EXPECT_EQ(c["num_attention_heads"], kHeads);
  EXPECT_EQ(c["num_key_value_heads"], kKvHeads);
  EXPECT_EQ(c["num_hidden_layers"], kLayers);
  EXPECT_EQ(c["vocab_size"], kVocab);
  EXPECT_EQ(c["max_position_embeddings"], 512);
  EXPECT_EQ(c["rms_norm_eps"], 1e-5);
  EXPECT_EQ(c["tie_word_embeddings"], false);  // the file carries a separate output.weight
  EXPECT_EQ(c["bos_token_id"], 1);
  EXPECT_EQ(c["eos_token_id"], 2);
}

TEST(GgufStories260K, ExposesHuggingFaceNamesAndShapes) {
  AAE_REQUIRE_TESTDATA(testdata);
  auto source = open_gguf_llama(gguf_path(testdata));
  ASSERT_TRUE(source.ok()) << source.error().to_string();
  EXPECT_EQ((*source)->tensors().size(), 48u);
  auto shape = [&](const std::string& name) {
    const SourceTensor* t = (*source)->find(name);
    EXPECT_NE(t, nullptr) << name;
    if (t) {
      EXPECT_EQ(t->dtype, DType::kFloat32);
    }
    return t ? t->shape : std::vector<int64_t>{};
  };
  EXPECT_EQ(shape("model.embed_tokens.weight"), (std::vector<int64_t>{kVocab, kDim}));
  EXPECT_EQ(shape("lm_head.weight"), (std::vector<int64_t>{kVocab, kDim}));
  EXPECT_EQ(shape("model.norm.weight"), (std::vector<int64_t>{kDim}));
  EXPECT_EQ(shape("model.layers.4.self_attn.q_proj.weight"), (std::vector<int64_t>{kDim, kDim}));
  EXPECT_EQ(shape("model.layers.4.self_attn.k_proj.weight"), (std::vector<int64_t>{kKvDim, kDim}));
  EXPECT_EQ(shape("model.layers.0.mlp.gate_proj.weight"), (std::vector<int64_t>{kHidden, kDim}));
  EXPECT_EQ(shape("model.layers.0.mlp.down_proj.weight"), (std::vector<int64_t>{kDim, kHidden}));
  EXPECT_EQ(shape("model.layers.2.post_attention_layernorm.weight"), (std::vector<int64_t>{kDim}));
}

// llama2.c stores Q/K rows with rotary pairs adjacent (row 2i+j of a head), exactly what the
// GGUF stores; Hugging Face order puts that row at j*D/2 + i.
void expect_unpermuted(const std::vector<float>& hf, const std::vector<float>& llama2c, int64_t heads,
                       const std::string& what) {
  ASSERT_EQ(hf.size(), llama2c.size()) << what;
  const int64_t half = kHeadDim / 2;
  int mismatches = 0;
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < half; ++i)
      for (int64_t j = 0; j < 2; ++j)
        for (int64_t col = 0; col < kDim; ++col) {
          const float a = hf[(h * kHeadDim + j * half + i) * kDim + col];
          const float b = llama2c[(h * kHeadDim + 2 * i + j) * kDim + col];
          if (a != b) ++mismatches;
        }
  EXPECT_EQ(mismatches, 0) << what;
  EXPECT_NE(hf, llama2c) << what << ": permutation had no effect";
}

TEST(GgufStories260K, WeightsMatchLlama2cCheckpointAfterUnpermutingQueryKey) {
  AAE_REQUIRE_TESTDATA(testdata);
  auto source = open_gguf_llama(gguf_path(testdata));
  ASSERT_TRUE(source.ok()) << source.error().to_string();
  const Llama2c ref = Llama2c::load(testdata / "llama2c" / "stories260K.bin");
  auto read = [&](const std::string& name) {
    auto values = (*source)->read_f32(name);
    EXPECT_TRUE(values.ok()) << name;
    return values.ok() ? *values : std::vector<float>{};
  };
  EXPECT_EQ(read("model.embed_tokens.weight"), ref.slice(ref.tok_emb, 0, kVocab * kDim));
  EXPECT_EQ(read("lm_head.weight"), ref.slice(ref.tok_emb, 0, kVocab * kDim));  // tied in llama2.c
  EXPECT_EQ(read("model.norm.weight"), ref.slice(ref.rms_final, 0, kDim));
  for (int64_t l = 0; l < kLayers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    EXPECT_EQ(read(p + "input_layernorm.weight"), ref.slice(ref.rms_att, l, kDim));
    EXPECT_EQ(read(p + "post_attention_layernorm.weight"), ref.slice(ref.rms_ffn, l, kDim));
    EXPECT_EQ(read(p + "self_attn.v_proj.weight"), ref.slice(ref.wv, l, kKvDim * kDim));
    EXPECT_EQ(read(p + "self_attn.o_proj.weight"), ref.slice(ref.wo, l, kDim * kDim));
    EXPECT_EQ(read(p + "mlp.gate_proj.weight"), ref.slice(ref.w1, l, kHidden * kDim));
    EXPECT_EQ(read(p + "mlp.down_proj.weight"), ref.slice(ref.w2, l, kDim * kHidden));
    EXPECT_EQ(read(p + "mlp.up_proj.weight"), ref.slice(ref.w3, l, kHidden * kDim));
    expect_unpermuted(read(p + "self_attn.q_proj.weight"), ref.slice(ref.wq, l, kDim * kDim), kHeads, p + "q");
    expect_unpermuted(read(p + "self_attn.k_proj.weight"), ref.slice(ref.wk, l, kKvDim * kDim), kKvHeads, p + "k");
  }
}

TEST(GgufStories260K, RawGgufTensorsKeepStoredOrder) {
  AAE_REQUIRE_TESTDATA(testdata);
  auto gguf = GgufFile::open(gguf_path(testdata));
  ASSERT_TRUE(gguf.ok()) << gguf.error().to_string();
  const Llama2c ref = Llama2c::load(testdata / "llama2c" / "stories260K.bin");
  const GgufTensorInfo* q = gguf->find_tensor("blk.1.attn_q.weight");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->type, GgmlType::kF32);
  EXPECT_EQ(*gguf->read_f32(*q), ref.slice(ref.wq, 1, kDim * kDim));
}

TEST(GgufStories260K, TruncatedCopyIsAnError) {
  AAE_REQUIRE_TESTDATA(testdata);
  const std::string bytes = ::aae::testing::read_file(gguf_path(testdata));
  ::aae::testing::ScratchDir dir;
  for (size_t length : {size_t{10}, size_t{5000}, bytes.size() / 2, bytes.size() - 1}) {
    ::aae::testing::write_file(dir / "cut.gguf", bytes.substr(0, length));
    auto gguf = GgufFile::open(dir / "cut.gguf");
    ASSERT_FALSE(gguf.ok()) << length;
    const std::string message = gguf.error().to_string();
    EXPECT_TRUE(message.find("truncated") != std::string::npos || message.find("past the end") != std::string::npos)
        << message;
    EXPECT_NE(message.find("cut.gguf"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace aae
