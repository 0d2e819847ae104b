// How many bytes one decode step has to read from memory: the model's weights (streamed once
// per token) plus the KV cache rows attention reads at that position. Divided into a measured
// memory bandwidth it gives the fastest decode the machine allows (`sphere_aae bench`).
#pragma once

#include <cstdint>
#include <string_view>

#include "runtime/base/status.h"
#include "runtime/engine/model_lib.h"
#include "runtime/format/tensor_cache.h"

namespace aae {

// The KV cache as the library lays it out (metadata "kv_cache"): one row = the K and V
// vectors of one token over every layer and KV head.
struct KvShape {
  int64_t row_bytes = 0;        // 2 * layers * kv_heads * head_dim * element bytes
  int64_t capacity_tokens = 0;  // rows per layer and head (the window, or the sliding window)
};

// From the metadata's kv_cache object {num_hidden_layers, num_key_value_heads, head_dim,
// capacity_tokens, dtype}; libraries without it fall back to kv_cache_bytes spread over
// context_window_size rows. Errors name `label` and the JSON path.
Result<KvShape> kv_shape_from_metadata(std::string_view metadata_json, const ModelLibInfo& info,
                                       const std::string& label);

struct DecodeTraffic {
  int64_t weight_bytes = 0;     // parameter bytes one decode step streams
  int64_t embedding_bytes = 0;  // the embedding table (in weight_bytes only when tied)
  bool tied_embedding = false;  // no separate lm_head: the table is read again as the head
  double kv_bytes = 0;          // mean KV bytes read per step over the measured steps
  double bytes_per_token() const { return static_cast<double>(weight_bytes) + kv_bytes; }
};

// Weight bytes: every parameter the library declares, at its in-memory size (records stored
// as bfloat16 for float32 are widened, so they count 4 bytes per element), except the
// embedding table ("embed_tokens" records) when an lm_head exists: decoding reads one row of
// it. KV bytes: decode steps at positions first_position .. first_position + steps - 1 each
// read min(position + 1, capacity) rows; the mean over those steps.
DecodeTraffic decode_traffic(const TensorCache& cache, const ModelLibInfo& info,
                             const KvShape& kv, int64_t first_position, int64_t steps);

// Bytes of every tensor in the cache as stored (the shard bytes the weights map).
int64_t tensor_cache_bytes(const TensorCache& cache);

}  // namespace aae
