// The metadata a model library carries as the relocation-free JSON string
// <model_lib>___aae_model_metadata: everything a tool or the runtime needs to check weights and
// budget memory without running the library.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "compiler/model_input.h"
#include "compiler/model_lib_params.h"

namespace aae {

// Bytes of the library's state (KV cache, tables, workspace) as the generator computes them;
// the generated TU static_asserts the template agrees, which keeps the metadata honest.
struct StateBytes {
  int64_t kv_cache = 0;
  int64_t workspace = 0;   // everything in the state that is not KV cache
  int64_t repacked_weights = 0;
  int64_t total() const { return kv_cache + workspace + repacked_weights; }
};

// The KV cache element dtype of a model library for `quantization`: float32 for q0f32 (MLC
// keeps the cache in the model dtype), float16 otherwise. modellib/kernels/attention.h
// (KvCacheTraits) makes the same choice; the generated TU's size static_asserts check it.
DType model_lib_kv_dtype(std::string_view quantization);

struct MetadataInputs {
  int abi_version = 0;
  std::string model_lib;
  const ModelInput* input = nullptr;  // not owned
  std::vector<ModelLibParam> params;  // in the order the library expects them
  int64_t kv_capacity_tokens = 0;     // KV rows per layer and head
  DType kv_dtype = DType::kFloat16;   // element of the KV cache
  StateBytes state;
};

// Keys: abi_version, model_lib, architecture (model_type), quantization, model_config,
// vocab_size, context_window_size, prefill_chunk_size, sliding_window_size,
// attention_sink_size, kv_cache {num_hidden_layers, num_attention_heads, num_key_value_heads,
// head_dim, capacity_tokens, dtype, layout}, params [{name, shape, dtype}], memory
// {weight_bytes, kv_cache_bytes, workspace_bytes, repacked_weight_bytes, state_bytes}.
nlohmann::ordered_json model_lib_metadata(const MetadataInputs& in);

}  // namespace aae
