// Writes an MLC tensor cache: params_shard_<n>.bin files plus tensor-cache.json, with the
// exact shard layout MLC LLM produces (TVM tvmjs.dump_tensor_cache, 32 MiB cap), so the same
// tensors in the same order give the same shards, byte offsets and record order as MLC.
//
// Sharding rule (mlc-package-reference.md §4.2). One shard is "pending" at a time. For each
// tensor of `len` bytes:
//   - if pending_bytes + len >= cap and 2*len >= cap: the tensor goes alone into a new shard
//     at byteOffset 0, committed at once; the pending shard stays pending ("out of band"), so
//     shard numbers interleave;
//   - if pending_bytes + len >= cap otherwise: the pending shard is committed, and the tensor
//     starts a new pending shard;
//   - else the tensor is appended to the pending shard (tight packing, no padding).
// Shards are numbered in commit order; finish() commits the last pending shard.
//
// Record "format": MLC writes "f32-to-bf16" on every record and stores float32 tensors as
// bf16. AAE writes "f32-to-bf16" on every non-float32 record (bytes are raw either way, as in
// MLC) but stores float32 tensors losslessly as raw float32 with "format": "raw".
//
// Memory: the pending shard is streamed to a file as tensors arrive (md5 computed on the
// way), so the writer holds no shard buffer; callers hold only the tensor being added.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/base/file_util.h"
#include "runtime/base/md5.h"
#include "runtime/base/status.h"
#include "runtime/format/dtype.h"

namespace aae {

// MLC's shard cap: convert_weight calls dump_tensor_cache with shard_cap_mb=32.
inline constexpr uint64_t kMlcShardCapBytes = 32ull * 1024 * 1024;

struct TensorCacheRecord {
  std::string name;
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;
  uint64_t nbytes = 0;
  uint64_t byte_offset = 0;  // inside its shard file
};

struct TensorCacheShard {
  std::string data_path;  // "params_shard_<n>.bin", relative to the cache directory
  uint64_t nbytes = 0;    // file size
  std::vector<TensorCacheRecord> records;  // in file order
  std::string md5sum;     // 32 lowercase hex chars of the whole file
};

// What finish() wrote: the numbers of the metadata block.
struct TensorCacheSummary {
  int64_t param_count = 0;  // ParamSize: tensor records
  uint64_t param_bytes = 0; // ParamBytes: sum of record nbytes
  double bits_per_param = 0;
  size_t shard_count = 0;
};

// "raw" for float32 (AAE stores it losslessly), "f32-to-bf16" otherwise (as MLC).
std::string_view tensor_cache_record_format(DType dtype);

// The tensor-cache.json document: {"metadata": {ParamSize, ParamBytes, BitsPerParam, extra...},
// "records": [shard...]} with MLC's key order. `original_param_count` is the number of scalar
// parameters of the unquantized model (tied embeddings counted once); BitsPerParam is
// ParamBytes * 8 / original_param_count, as MLC computes it.
nlohmann::ordered_json tensor_cache_json(const std::vector<TensorCacheShard>& shards,
                                         int64_t original_param_count,
                                         const nlohmann::ordered_json& extra_metadata = {});
// Serialized as MLC does (Python json.dump indent=4, ASCII, no trailing newline).
std::string dump_tensor_cache_json(const nlohmann::ordered_json& document);

class TensorCacheWriter {
 public:
  // `dir` must exist; shards and tensor-cache.json are written into it. `shard_cap_bytes`
  // other than MLC's is for tests.
  static Result<TensorCacheWriter> create(const std::filesystem::path& dir,
                                          uint64_t shard_cap_bytes = kMlcShardCapBytes);

  TensorCacheWriter(TensorCacheWriter&&) noexcept = default;
  TensorCacheWriter& operator=(TensorCacheWriter&&) noexcept = default;
  // Destroying an unfinished writer removes its half-written pending shard; shards already
  // committed stay in `dir` (the caller writes into a staging dir and removes it on failure).
  ~TensorCacheWriter() = default;

  // Adds one tensor. `nbytes` must equal numel(shape) * dtype_size(dtype); names are unique.
  Status add(std::string_view name, DType dtype, const std::vector<int64_t>& shape,
             const void* data, uint64_t nbytes);

  // Commits the pending shard and writes tensor-cache.json (atomically). Call once.
  Result<TensorCacheSummary> finish(int64_t original_param_count,
                                    const nlohmann::ordered_json& extra_metadata = {});

  // Shards committed so far, in commit (= numbering) order.
  const std::vector<TensorCacheShard>& shards() const { return shards_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  TensorCacheWriter(std::filesystem::path dir, uint64_t cap) : dir_(std::move(dir)), cap_(cap) {}

  std::string next_shard_name() const;
  Status write_out_of_band(TensorCacheRecord record, const void* data);
  Status append_pending(TensorCacheRecord record, const void* data);
  Status commit_pending();

  std::filesystem::path dir_;
  uint64_t cap_ = kMlcShardCapBytes;
  std::vector<TensorCacheShard> shards_;
  std::unordered_set<std::string> names_;

  // The pending shard: streamed to a temp file; numbered only when committed.
  std::vector<TensorCacheRecord> pending_records_;
  uint64_t pending_nbytes_ = 0;
  std::optional<AtomicFileWriter> pending_file_;
  Md5 pending_md5_;
  bool finished_ = false;
  bool failed_ = false;  // after a write error the shard state is unknown: refuse more work
};

}  // namespace aae
