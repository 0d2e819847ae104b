// Reader for GGUF files (versions 2 and 3, little-endian), as written by llama.cpp.
//
// Layout: "GGUF" magic, uint32 version, uint64 tensor count, uint64 metadata count, the
// metadata key/value pairs, the tensor infos (name, dims fastest-first, ggml type, offset),
// padding to `general.alignment` (default 32), then the tensor data. Every count, length and
// offset is checked against the file size before anything is allocated, so a corrupt or
// truncated file gives an error, never a huge allocation or an out-of-bounds read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "convert/source/tensor_source.h"
#include "runtime/base/status.h"

namespace aae {

class MappedFile;

// GGUF metadata value types (numbering of the GGUF spec).
enum class GgufType : uint32_t {
  kUInt8 = 0, kInt8 = 1, kUInt16 = 2, kInt16 = 3, kUInt32 = 4, kInt32 = 5, kFloat32 = 6,
  kBool = 7, kString = 8, kArray = 9, kUInt64 = 10, kInt64 = 11, kFloat64 = 12,
};
// "uint8", ..., "string", "array"; "unknown(N)" otherwise. For error messages.
std::string gguf_type_name(GgufType type);

// One metadata value. Which fields are meaningful depends on `type`:
//   integer types -> int_value (uint64 values above INT64_MAX are flagged by uint_overflow)
//   kFloat32/kFloat64 -> float_value; kBool -> bool_value; kString -> string_value
//   kArray -> array_type (element type) and array (elements; may themselves be arrays).
struct GgufValue {
  GgufType type = GgufType::kUInt8;
  int64_t int_value = 0;
  bool uint_overflow = false;
  double float_value = 0.0;
  bool bool_value = false;
  std::string string_value;
  GgufType array_type = GgufType::kUInt8;
  std::vector<GgufValue> array;

  bool is_integer() const;  // any of the eight integer types
  bool is_float() const { return type == GgufType::kFloat32 || type == GgufType::kFloat64; }
  // "uint32", "array[string]", "array[array[int32]]": for error messages.
  std::string type_description() const;
};

// ggml tensor element types (numbering of ggml.h). Values not listed are still representable.
enum class GgmlType : uint32_t {
  kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ4_1 = 3, kQ5_0 = 6, kQ5_1 = 7, kQ8_0 = 8, kQ8_1 = 9,
  kQ2_K = 10, kQ3_K = 11, kQ4_K = 12, kQ5_K = 13, kQ6_K = 14, kQ8_K = 15,
  kI8 = 24, kI16 = 25, kI32 = 26, kI64 = 27, kF64 = 28, kBF16 = 30,
};
// "F32", "Q8_0", "Q4_K", ...; "type N" for unknown values.
std::string ggml_type_name(GgmlType type);

struct GgufTensorInfo {
  std::string name;            // GGUF name, e.g. "blk.0.attn_q.weight"
  GgmlType type = GgmlType::kF32;
  std::vector<int64_t> shape;  // row-major (outermost first): GGUF's dims reversed
  uint64_t offset = 0;         // absolute byte offset of the data in the file
  uint64_t byte_size = 0;      // 0 when the type's block size is unknown to this reader

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
};

class GgufFile {
 public:
  // Memory-maps and parses the header, metadata and tensor infos (tensor data is read lazily).
  static Result<GgufFile> open(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }

  // Metadata in file order.
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return metadata_; }
  // nullptr when absent.
  const GgufValue* find(std::string_view key) const;

  // Typed accessors. Errors name the key (and the file) and, on a type mismatch, the found
  // type. get_int accepts any integer type; get_float accepts float32/float64 (and integers).
  Result<std::string> get_string(std::string_view key) const;
  Result<int64_t> get_int(std::string_view key) const;
  Result<double> get_float(std::string_view key) const;
  Result<bool> get_bool(std::string_view key) const;
  Result<std::vector<std::string>> get_string_array(std::string_view key) const;
  Result<std::vector<double>> get_float_array(std::string_view key) const;
  Result<std::vector<int64_t>> get_int_array(std::string_view key) const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* find_tensor(std::string_view name) const;

  // The stored bytes of a tensor (byte_size of them). Precondition: info is from tensors().
  std::span<const uint8_t> tensor_bytes(const GgufTensorInfo& info) const;

  // Row-major float32 copy of a tensor in GGUF's own layout (no renaming or permutation).
  // F32, F16, BF16 exact; Q8_0 as d * q. Other types: error naming the tensor and type.
  Result<std::vector<float>> read_f32(const GgufTensorInfo& info) const;
  Result<std::vector<float>> read_f32(std::string_view name) const;

 private:
  GgufFile() = default;
  friend class GgufParser;

  std::filesystem::path path_;
  std::shared_ptr<const MappedFile> file_;  // shared so GgufFile is cheap to copy
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::vector<GgufTensorInfo> tensors_;
};

// A TensorSource over a GGUF with general.architecture == "llama", under Hugging Face names
// (token_embd.weight -> model.embed_tokens.weight, blk.N.attn_q.weight ->
// model.layers.N.self_attn.q_proj.weight, ...), with llama.cpp's Q/K row permutation undone
// so attn_q / attn_k come back in Hugging Face's (half-split rotary) row order.
// Tensors: F32, F16, BF16 (reported as stored) and Q8_0 (reported as float32).
Result<std::unique_ptr<TensorSource>> open_gguf_llama(const std::filesystem::path& gguf_file);

// An HF-style config.json object for a llama GGUF: model_type, architectures, hidden_act, hidden_size,
// intermediate_size, num_attention_heads, num_key_value_heads, num_hidden_layers,
// rms_norm_eps, rope_theta, max_position_embeddings, vocab_size, tie_word_embeddings,
// bos_token_id / eos_token_id (when present).
Result<nlohmann::json> gguf_llama_hf_config(const GgufFile& gguf);

// The Hugging Face name of a llama GGUF tensor name, or "" when it has no mapping.
std::string hf_name_for_gguf_llama(std::string_view gguf_name);

}  // namespace aae
