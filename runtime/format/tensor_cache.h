// The MLC tensor cache: tensor-cache.json (formerly ndarray-cache.json) lists the weight shards
// of a model directory and, per shard, where each named tensor lives (mlc-package-reference.md
// §4.2). This reader validates the whole index up front so later code can trust offsets/sizes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/status.h"
#include "runtime/format/dtype.h"

namespace aae {

struct TensorRecord {
  std::string name;
  std::vector<int64_t> shape;  // every entry >= 0
  DType dtype;
  // "raw": stored as dtype. "f32-to-bf16": MLC's encode format, written on every record;
  // only float32 records are actually stored as bfloat16 (nbytes = numel * 2).
  std::string format;
  int64_t nbytes;       // bytes in the shard file
  int64_t byte_offset;  // from the start of the shard file; no alignment guaranteed

  int64_t numel() const;
  // True when the stored bytes are bfloat16 standing in for float32.
  bool stored_as_bf16() const { return dtype == DType::kFloat32 && format == "f32-to-bf16"; }
};

struct ShardRecord {
  std::string data_path;  // plain file name inside the model directory
  std::string format;     // "raw-shard"
  int64_t nbytes;         // file size
  std::string md5sum;     // lowercase hex as written by MLC; may be empty
  std::vector<TensorRecord> records;
};

struct TensorCacheMetadata {
  std::optional<int64_t> param_size;     // "ParamSize": number of tensors
  std::optional<double> param_bytes;     // "ParamBytes"
  std::optional<double> bits_per_param;  // "BitsPerParam"
};

struct TensorCache {
  std::string file_name;  // "tensor-cache.json" or "ndarray-cache.json"
  TensorCacheMetadata metadata;
  std::vector<ShardRecord> shards;

  size_t num_tensors() const;
};

inline constexpr std::string_view kTensorCacheFile = "tensor-cache.json";
inline constexpr std::string_view kLegacyTensorCacheFile = "ndarray-cache.json";

// Parses and validates the JSON text. `file_label` prefixes every error
// ("tensor-cache.json: records[2].records[5].nbytes: ..."); its last path component becomes
// TensorCache::file_name.
Result<TensorCache> parse_tensor_cache(std::string_view json_text, const std::string& file_label);

// Reads <model_dir>/tensor-cache.json, else <model_dir>/ndarray-cache.json.
Result<TensorCache> read_tensor_cache(const std::string& model_dir);

// Checks every shard file in `model_dir`: present, size == nbytes and, when verify_md5 and the
// cache records an md5sum, the md5. Appends one line per problem to *problems (may be null)
// and returns an error summarising them when there are any.
Status check_shard_files(const TensorCache& cache, const std::string& model_dir, bool verify_md5,
                         std::vector<std::string>* problems);

}  // namespace aae
