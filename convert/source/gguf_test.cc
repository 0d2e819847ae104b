// GGUF reader tests on small files written byte by byte here (independent of the reader).
#include "convert/source/gguf.h"

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/base/half.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

using ::aae::testing::ScratchDir;
using ::aae::testing::write_file;

template <typename T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}
void put_string(std::string& out, const std::string& s) {
  put<uint64_t>(out, s.size());
  out += s;
}

// Assembles a GGUF file: metadata pairs, tensor infos, padding, data.
class GgufBuilder {
 public:
  // Appends a key with an already-encoded value of `type`.
  GgufBuilder& raw(const std::string& key, GgufType type, const std::string& encoded) {
    put_string(kv_, key);
    put<uint32_t>(kv_, static_cast<uint32_t>(type));
    kv_ += encoded;
    ++kv_count_;
    return *this;
  }
  template <typename T>
  GgufBuilder& scalar(const std::string& key, GgufType type, T value) {
    std::string encoded;
    put<T>(encoded, value);
    return raw(key, type, encoded);
  }
  GgufBuilder& str(const std::string& key, const std::string& value) {
    std::string encoded;
    put_string(encoded, value);
    return raw(key, GgufType::kString, encoded);
  }
  GgufBuilder& strings(const std::string& key, const std::vector<std::string>& values) {
    std::string encoded;
    put<uint32_t>(encoded, static_cast<uint32_t>(GgufType::kString));
    put<uint64_t>(encoded, values.size());
    for (const auto& v : values) put_string(encoded, v);
    return raw(key, GgufType::kArray, encoded);
  }
  // dims fastest-first, as GGUF stores them. `data` is padded to the alignment.
  GgufBuilder& tensor(const std::string& name, GgmlType type, std::vector<uint64_t> dims, std::string data) {
    tensors_.push_back({name, type, std::move(dims), std::move(data)});
    return *this;
  }
  std::string build(uint64_t alignment = 32, uint32_t version = 3) const {
    std::string out = "GGUF";
    put<uint32_t>(out, version);
    put<uint64_t>(out, tensors_.size());
    put<uint64_t>(out, kv_count_);
    out += kv_;
    std::string data;
    for (const auto& t : tensors_) {
      put_string(out, t.name);
      put<uint32_t>(out, static_cast<uint32_t>(t.dims.size()));
      for (uint64_t d : t.dims) put<uint64_t>(out, d);
      put<uint32_t>(out, static_cast<uint32_t>(t.type));
      put<uint64_t>(out, data.size());
      data += t.data;
      data.resize((data.size() + alignment - 1) / alignment * alignment, '\0');
    }
    if (!tensors_.empty()) out.resize((out.size() + alignment - 1) / alignment * alignment, '\0');
    return out + data;
  }

 private:
  struct Tensor {
    std::string name;
    GgmlType type;
    std::vector<uint64_t> dims;
    std::string data;
  };
  std::string kv_;
  uint64_t kv_count_ = 0;
  std::vector<Tensor> tensors_;
};

std::string f32_data(const std::vector<float>& values) {
  std::string out;
  for (float v : values) put<float>(out, v);
  return out;
}

Result<GgufFile> open_bytes(const ScratchDir& dir, const std::string& bytes) {
  write_file(dir / "m.gguf", bytes);
  return GgufFile::open(dir / "m.gguf");
}

template <typename T>
std::string error_text(const Result<T>& result) {
  EXPECT_FALSE(result.ok());
  return result.ok() ? std::string() : result.error().to_string();
}

TEST(GgufReader, ReadsEveryMetadataTypeIncludingNestedArrays) {
  // array[array[int32]] = [[1, -2], [3]]
  std::string nested;
  put<uint32_t>(nested, static_cast<uint32_t>(GgufType::kArray));
  put<uint64_t>(nested, 2);
  put<uint32_t>(nested, static_cast<uint32_t>(GgufType::kInt32));
  put<uint64_t>(nested, 2);
  put<int32_t>(nested, 1);
  put<int32_t>(nested, -2);
  put<uint32_t>(nested, static_cast<uint32_t>(GgufType::kInt32));
  put<uint64_t>(nested, 1);
  put<int32_t>(nested, 3);
  std::string floats;
  put<uint32_t>(floats, static_cast<uint32_t>(GgufType::kFloat32));
  put<uint64_t>(floats, 2);
  put<float>(floats, 0.5f);
  put<float>(floats, -4.0f);
  GgufBuilder b;
  b.scalar<uint8_t>("u8", GgufType::kUInt8, 200)
      .scalar<int8_t>("i8", GgufType::kInt8, -5)
      .scalar<uint16_t>("u16", GgufType::kUInt16, 60000)
      .scalar<int16_t>("i16", GgufType::kInt16, -30000)
      .scalar<uint32_t>("u32", GgufType::kUInt32, 4000000000u)
      .scalar<int32_t>("i32", GgufType::kInt32, -7)
      .scalar<float>("f32", GgufType::kFloat32, 1e-5f)
      .scalar<uint8_t>("flag", GgufType::kBool, 1)
      .str("name", "tiny")
      .scalar<uint64_t>("u64", GgufType::kUInt64, uint64_t{1} << 40)
      .scalar<uint64_t>("u64big", GgufType::kUInt64, ~uint64_t{0})
      .scalar<int64_t>("i64", GgufType::kInt64, -(int64_t{1} << 50))
      .scalar<double>("f64", GgufType::kFloat64, 0.1)
      .strings("words", {"a", "", "ccc"})
      .raw("nested", GgufType::kArray, nested)
      .raw("floats", GgufType::kArray, floats);
  ScratchDir dir;
  auto gguf = open_bytes(dir, b.build());
  ASSERT_TRUE(gguf.ok()) << gguf.error().to_string();
  EXPECT_EQ(gguf->version(), 3u);
  EXPECT_EQ(gguf->alignment(), 32u);
  EXPECT_EQ(gguf->metadata().size(), 16u);
  EXPECT_EQ(*gguf->get_int("u8"), 200);
  EXPECT_EQ(*gguf->get_int("i8"), -5);
  EXPECT_EQ(*gguf->get_int("u16"), 60000);
  EXPECT_EQ(*gguf->get_int("i16"), -30000);
  EXPECT_EQ(*gguf->get_int("u32"), 4000000000);
  EXPECT_EQ(*gguf->get_int("i32"), -7);
  EXPECT_EQ(*gguf->get_int("u64"), int64_t{1} << 40);
  EXPECT_EQ(*gguf->get_int("i64"), -(int64_t{1} << 50));
  EXPECT_FALSE(gguf->get_int("u64big").ok());
  EXPECT_EQ(*gguf->get_float("f32"), static_cast<double>(1e-5f));
  EXPECT_EQ(*gguf->get_float("f64"), 0.1);
  EXPECT_EQ(*gguf->get_bool("flag"), true);
  EXPECT_EQ(*gguf->get_string("name"), "tiny");
  EXPECT_EQ(*gguf->get_string_array("words"), (std::vector<std::string>{"a", "", "ccc"}));
  EXPECT_EQ(*gguf->get_float_array("floats"), (std::vector<double>{0.5, -4.0}));
  const GgufValue* n = gguf->find("nested");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->type_description(), "array[array[int32]]");
  ASSERT_EQ(n->array.size(), 2u);
  EXPECT_EQ(n->array[0].array[1].int_value, -2);
  EXPECT_EQ(n->array[1].array[0].int_value, 3);
  EXPECT_EQ(gguf->find("absent"), nullptr);
}

TEST(GgufReader, AccessorErrorsNameKeyAndFoundType) {
  GgufBuilder b;
  b.scalar<uint32_t>("llama.block_count", GgufType::kUInt32, 5).strings("toks", {"x"});
  ScratchDir dir;
  auto gguf = open_bytes(dir, b.build());
  ASSERT_TRUE(gguf.ok()) << gguf.error().to_string();
  std::string message = error_text(gguf->get_string("llama.block_count"));
  EXPECT_NE(message.find("llama.block_count"), std::string::npos) << message;
  EXPECT_NE(message.find("uint32"), std::string::npos) << message;
  message = error_text(gguf->get_int_array("toks"));
  EXPECT_NE(message.find("array[string]"), std::string::npos) << message;
  message = error_text(gguf->get_float("missing.key"));
  EXPECT_NE(message.find("'missing.key' is missing"), std::string::npos) << message;
}

TEST(GgufReader, DecodesF32F16BF16AndQ8_0Exactly) {
  // Q8_0 tensor of 2 rows x 64 columns: 4 blocks of (fp16 d, 32 x int8).
  std::string q8;
  std::vector<float> q8_expected;
  const float scales[4] = {0.5f, -0.25f, 2.0f, 0.0078125f};
  for (int block = 0; block < 4; ++block) {
    put<uint16_t>(q8, float_to_half(scales[block]));
    for (int k = 0; k < 32; ++k) {
      const int8_t q = static_cast<int8_t>((k * 37 + block * 11) % 255 - 127);
      put<int8_t>(q8, q);
      q8_expected.push_back(scales[block] * static_cast<float>(q));
    }
  }
  std::string f16, bf16;
  for (float v : {1.0f, -0.5f, 3.0f}) put<uint16_t>(f16, float_to_half(v));
  for (float v : {-1.0f, 256.0f}) put<uint16_t>(bf16, float_to_bfloat16(v));
  GgufBuilder b;
  b.str("general.architecture", "test")
      .tensor("f32", GgmlType::kF32, {3, 2}, f32_data({1, 2, 3, 4, 5, 6}))
      .tensor("f16", GgmlType::kF16, {3}, f16)
      .tensor("bf16", GgmlType::kBF16, {1, 2}, bf16)
      .tensor("q8", GgmlType::kQ8_0, {64, 2}, q8);
  ScratchDir dir;
  auto gguf = open_bytes(dir, b.build());
  ASSERT_TRUE(gguf.ok()) << gguf.error().to_string();
  ASSERT_EQ(gguf->tensors().size(), 4u);
  // Shapes come back row-major: GGUF dims reversed.
  EXPECT_EQ(gguf->find_tensor("f32")->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(gguf->find_tensor("bf16")->shape, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(gguf->find_tensor("q8")->shape, (std::vector<int64_t>{2, 64}));
  EXPECT_EQ(gguf->find_tensor("q8")->byte_size, 4u * 34u);
  EXPECT_EQ(*gguf->read_f32("f32"), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(*gguf->read_f32("f16"), (std::vector<float>{1.0f, -0.5f, 3.0f}));
  EXPECT_EQ(*gguf->read_f32("bf16"), (std::vector<float>{-1.0f, 256.0f}));
  auto q8_values = gguf->read_f32("q8");
  ASSERT_TRUE(q8_values.ok()) << q8_values.error().to_string();
  EXPECT_EQ(*q8_values, q8_expected);
}

TEST(GgufReader, HonorsGeneralAlignment) {
  GgufBuilder b;
  b.scalar<uint32_t>("general.alignment", GgufType::kUInt32, 64)
      .tensor("a", GgmlType::kF32, {1}, f32_data({9}))
      .tensor("b", GgmlType::kF32, {2}, f32_data({7, 8}));
  ScratchDir dir;
  auto gguf = open_bytes(dir, b.build(64));
  ASSERT_TRUE(gguf.ok()) << gguf.error().to_string();
  EXPECT_EQ(gguf->alignment(), 64u);
  EXPECT_EQ(gguf->find_tensor("a")->offset % 64, 0u);
  EXPECT_EQ(*gguf->read_f32("b"), (std::vector<float>{7, 8}));
}

TEST(GgufReader, BadMagicIsAnError) {
  ScratchDir dir;
  std::string bytes = GgufBuilder().str("k", "v").build();
  bytes[0] = 'X';
  const std::string message = error_text(open_bytes(dir, bytes));
  EXPECT_NE(message.find("not a gguf file"), std::string::npos) << message;
  EXPECT_NE(message.find("m.gguf"), std::string::npos) << message;
}

TEST(GgufReader, UnsupportedVersionIsAnError) {
  ScratchDir dir;
  EXPECT_NE(error_text(open_bytes(dir, GgufBuilder().build(32, 1))).find("version 1"), std::string::npos);
  EXPECT_NE(error_text(open_bytes(dir, GgufBuilder().build(32, 0x03000000))).find("big-endian"), std::string::npos);
}

TEST(GgufReader, EveryTruncationIsAnErrorNotACrash) {
  GgufBuilder b;
  b.str("general.architecture", "llama")
      .strings("tokenizer.ggml.tokens", {"<unk>", "<s>"})
      .tensor("w", GgmlType::kF32, {4, 2}, f32_data({1, 2, 3, 4, 5, 6, 7, 8}));
  const std::string bytes = b.build();
  ScratchDir dir;
  ASSERT_TRUE(open_bytes(dir, bytes).ok());
  for (size_t length = 0; length + 1 < bytes.size(); ++length) {
    auto result = open_bytes(dir, bytes.substr(0, length));
    ASSERT_FALSE(result.ok()) << "prefix of " << length << " bytes was accepted";
    EXPECT_NE(result.error().to_string().find("m.gguf"), std::string::npos);
  }
  const std::string message = error_text(open_bytes(dir, bytes.substr(0, 100)));
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
}

TEST(GgufReader, HugeCountsAreRejectedBeforeAllocating) {
  ScratchDir dir;
  std::string huge_array;
  put<uint32_t>(huge_array, static_cast<uint32_t>(GgufType::kString));
  put<uint64_t>(huge_array, uint64_t{1} << 60);
  std::string message = error_text(open_bytes(dir, GgufBuilder().raw("a", GgufType::kArray, huge_array).build()));
  EXPECT_NE(message.find("claims"), std::string::npos) << message;

  std::string header = "GGUF";
  put<uint32_t>(header, 3);
  put<uint64_t>(header, uint64_t{1} << 40);  // tensors
  put<uint64_t>(header, 0);
  message = error_text(open_bytes(dir, header));
  EXPECT_NE(message.find("more than"), std::string::npos) << message;

  std::string long_string;
  put<uint64_t>(long_string, ~uint64_t{0});
  message = error_text(open_bytes(dir, GgufBuilder().raw("s", GgufType::kString, long_string).build()));
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
}

TEST(GgufReader, TensorDataPastEndOfFileIsAnError) {
  GgufBuilder b;
  b.tensor("w", GgmlType::kF32, {1000}, f32_data({1}));  // claims 4000 bytes, has 32
  ScratchDir dir;
  const std::string message = error_text(open_bytes(dir, b.build()));
  EXPECT_NE(message.find("'w'"), std::string::npos) << message;
  EXPECT_NE(message.find("past the end"), std::string::npos) << message;
}

TEST(GgufReader, UnsupportedTensorTypeNamesTensorAndType) {
  GgufBuilder b;
  b.str("general.architecture", "llama")
      .scalar<uint32_t>("llama.attention.head_count", GgufType::kUInt32, 1)
      .tensor("token_embd.weight", GgmlType::kQ4_K, {256, 1}, std::string(144, '\0'));
  ScratchDir dir;
  auto gguf = open_bytes(dir, b.build());
  ASSERT_TRUE(gguf.ok()) << gguf.error().to_string();
  auto values = gguf->read_f32("token_embd.weight");
  std::string message = error_text(values);
  EXPECT_NE(message.find("'token_embd.weight'"), std::string::npos) << message;
  EXPECT_NE(message.find("Q4_K"), std::string::npos) << message;
  EXPECT_FALSE(values.error().hint().empty());

  auto source = open_gguf_llama(dir / "m.gguf");
  message = error_text(source);
  EXPECT_NE(message.find("Q4_K"), std::string::npos) << message;
}

TEST(GgufLlama, MapsGgufNamesToHuggingFaceNames) {
  EXPECT_EQ(hf_name_for_gguf_llama("token_embd.weight"), "model.embed_tokens.weight");
  EXPECT_EQ(hf_name_for_gguf_llama("output.weight"), "lm_head.weight");
  EXPECT_EQ(hf_name_for_gguf_llama("output_norm.weight"), "model.norm.weight");
  EXPECT_EQ(hf_name_for_gguf_llama("blk.12.attn_output.weight"), "model.layers.12.self_attn.o_proj.weight");
  EXPECT_EQ(hf_name_for_gguf_llama("blk.0.ffn_norm.weight"), "model.layers.0.post_attention_layernorm.weight");
  EXPECT_EQ(hf_name_for_gguf_llama("blk.3.attn_q.bias"), "model.layers.3.self_attn.q_proj.bias");
  EXPECT_EQ(hf_name_for_gguf_llama("blk.x.attn_q.weight"), "");
  EXPECT_EQ(hf_name_for_gguf_llama("rope_freqs.weight"), "");
}

// A one-layer llama with 2 heads of size 4 and 1 KV head; Q rows are 0..7, K rows 0..3.
GgufBuilder tiny_llama(bool with_output) {
  GgufBuilder b;
  b.str("general.architecture", "llama")
      .scalar<uint32_t>("llama.embedding_length", GgufType::kUInt32, 8)
      .scalar<uint32_t>("llama.feed_forward_length", GgufType::kUInt32, 16)
      .scalar<uint32_t>("llama.attention.head_count", GgufType::kUInt32, 2)
      .scalar<uint32_t>("llama.attention.head_count_kv", GgufType::kUInt32, 1)
      .scalar<uint32_t>("llama.block_count", GgufType::kUInt32, 1)
      .scalar<uint32_t>("llama.context_length", GgufType::kUInt32, 128)
      .scalar<float>("llama.attention.layer_norm_rms_epsilon", GgufType::kFloat32, 1e-6f)
      .strings("tokenizer.ggml.tokens", {"a", "b", "c"})
      .scalar<uint32_t>("tokenizer.ggml.bos_token_id", GgufType::kUInt32, 1);
  std::vector<float> q, k;
  for (int r = 0; r < 8; ++r) q.push_back(static_cast<float>(r));
  for (int r = 0; r < 4; ++r) k.push_back(static_cast<float>(r));
  b.tensor("blk.0.attn_q.weight", GgmlType::kF32, {1, 8}, f32_data(q))
      .tensor("blk.0.attn_k.weight", GgmlType::kF32, {1, 4}, f32_data(k))
      .tensor("blk.0.attn_v.weight", GgmlType::kF32, {1, 4}, f32_data(k));
  if (with_output) b.tensor("output.weight", GgmlType::kF32, {1}, f32_data({1}));
  return b;
}

TEST(GgufLlama, UndoesQueryKeyPermutationPerHead) {
  ScratchDir dir;
  write_file(dir / "m.gguf", tiny_llama(true).build());
  auto source = open_gguf_llama(dir / "m.gguf");
  ASSERT_TRUE(source.ok()) << source.error().to_string();
  // Head size 4: stored rows (0,1,2,3) hold HF rows (0,2,1,3).
  EXPECT_EQ(*(*source)->read_f32("model.layers.0.self_attn.q_proj.weight"),
            (std::vector<float>{0, 2, 1, 3, 4, 6, 5, 7}));
  EXPECT_EQ(*(*source)->read_f32("model.layers.0.self_attn.k_proj.weight"), (std::vector<float>{0, 2, 1, 3}));
  EXPECT_EQ(*(*source)->read_f32("model.layers.0.self_attn.v_proj.weight"), (std::vector<float>{0, 1, 2, 3}));
  EXPECT_EQ((*source)->find("model.layers.0.self_attn.q_proj.weight")->shape, (std::vector<int64_t>{8, 1}));
}

TEST(GgufLlama, ConfigFromMetadataWithDefaultsAndTiedEmbeddings) {
  ScratchDir dir;
  write_file(dir / "m.gguf", tiny_llama(false).build());
  auto gguf = GgufFile::open(dir / "m.gguf");
  ASSERT_TRUE(gguf.ok()) << gguf.error().to_string();
  auto config = gguf_llama_hf_config(*gguf);
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  EXPECT_EQ((*config)["model_type"], "llama");
  EXPECT_EQ((*config)["num_key_value_heads"], 1);
  EXPECT_EQ((*config)["rope_theta"], 10000.0);
  EXPECT_EQ((*config)["rms_norm_eps"], 1e-6);
  EXPECT_EQ((*config)["vocab_size"], 3);
  EXPECT_EQ((*config)["tie_word_embeddings"], true);
  EXPECT_EQ((*config)["bos_token_id"], 1);
  EXPECT_FALSE(config->contains("eos_token_id"));
}

TEST(GgufLlama, OtherArchitectureIsAnError) {
  GgufBuilder b;
  b.str("general.architecture", "qwen2");
  ScratchDir dir;
  write_file(dir / "m.gguf", b.build());
  const std::string message = error_text(open_gguf_llama(dir / "m.gguf"));
  EXPECT_NE(message.find("'qwen2'"), std::string::npos) << message;
  auto gguf = GgufFile::open(dir / "m.gguf");
  ASSERT_TRUE(gguf.ok());
  EXPECT_FALSE(gguf_llama_hf_config(*gguf).ok());
}

}  // namespace
}  // namespace aae
