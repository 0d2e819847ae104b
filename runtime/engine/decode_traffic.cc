#include "runtime/engine/decode_traffic.h"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "runtime/base/json.h"
#include "runtime/format/dtype.h"

namespace aae {
namespace {

bool is_embedding(std::string_view name) { return name.find("embed_tokens") != name.npos; }
bool is_lm_head(std::string_view name) { return name.rfind("lm_head.", 0) == 0; }

int64_t in_memory_bytes(const TensorRecord& record) {
  return record.stored_as_bf16() ? record.numel() * static_cast<int64_t>(sizeof(float))
                                 : record.nbytes;
}

}  // namespace

Result<KvShape> kv_shape_from_metadata(std::string_view metadata_json, const ModelLibInfo& info,
                                       const std::string& label) {
  AAE_ASSIGN_OR_RETURN(json::Value root, json::parse(metadata_json));
  AAE_ASSIGN_OR_RETURN(json::ObjectReader r, json::ObjectReader::make(root, "metadata"));
  KvShape shape;
  if (!r.has("kv_cache")) {
    shape.capacity_tokens = info.context_window_size;
    shape.row_bytes = info.context_window_size > 0
                          ? info.kv_cache_bytes / info.context_window_size
                          : 0;
    return shape;
  }
  AAE_ASSIGN_OR_RETURN(const json::Value* kv_value, r.get_object("kv_cache"));
  AAE_ASSIGN_OR_RETURN(json::ObjectReader kv,
                       json::ObjectReader::make(*kv_value, "metadata.kv_cache"));
  AAE_ASSIGN_OR_RETURN(const int64_t layers, kv.get_int64("num_hidden_layers"));
  AAE_ASSIGN_OR_RETURN(const int64_t heads, kv.get_int64("num_key_value_heads"));
  AAE_ASSIGN_OR_RETURN(const int64_t head_dim, kv.get_int64("head_dim"));
  AAE_ASSIGN_OR_RETURN(shape.capacity_tokens,
                       kv.get_int64_or("capacity_tokens", info.context_window_size));
  AAE_ASSIGN_OR_RETURN(const std::string dtype_text, kv.get_string("dtype"));
  const auto dtype = parse_dtype(dtype_text);
  if (!dtype) {
    return Error(label + ": metadata.kv_cache.dtype: unknown dtype \"" + dtype_text + "\"")
        .with_code(ErrorCode::kMismatch);
  }
  if (layers <= 0 || heads <= 0 || head_dim <= 0 || shape.capacity_tokens <= 0) {
    return Error(label + ": metadata.kv_cache: layers, heads, head_dim and capacity_tokens "
                 "must be positive, found " + std::to_string(layers) + ", " +
                 std::to_string(heads) + ", " + std::to_string(head_dim) + ", " +
                 std::to_string(shape.capacity_tokens))
        .with_code(ErrorCode::kMismatch);
  }
  shape.row_bytes = 2 * layers * heads * head_dim * static_cast<int64_t>(dtype_size(*dtype));
  return shape;
}

DecodeTraffic decode_traffic(const TensorCache& cache, const ModelLibInfo& info,
                             const KvShape& kv, int64_t first_position, int64_t steps) {
  std::unordered_map<std::string_view, const TensorRecord*> records;
  for (const auto& shard : cache.shards) {
    for (const auto& record : shard.records) records.emplace(record.name, &record);
  }
  DecodeTraffic traffic;
  traffic.tied_embedding =
      std::none_of(info.params.begin(), info.params.end(),
                   [](const DeclaredParam& p) { return is_lm_head(p.name); });
  for (const auto& param : info.params) {
    const auto it = records.find(param.name);
    if (it == records.end()) continue;  // cannot happen once a Session bound the parameters
    const int64_t bytes = in_memory_bytes(*it->second);
    if (is_embedding(param.name)) {
      traffic.embedding_bytes += bytes;
      if (!traffic.tied_embedding) continue;
    }
    traffic.weight_bytes += bytes;
  }
  if (steps > 0) {
    double rows = 0;
    for (int64_t p = first_position; p < first_position + steps; ++p) {
      rows += static_cast<double>(std::min(p + 1, kv.capacity_tokens));
    }
    traffic.kv_bytes = rows / static_cast<double>(steps) * static_cast<double>(kv.row_bytes);
  }
  return traffic;
}

int64_t tensor_cache_bytes(const TensorCache& cache) {
  int64_t total = 0;
  for (const auto& shard : cache.shards) {
    for (const auto& record : shard.records) total += record.nbytes;
  }
  return total;
}

}  // namespace aae
