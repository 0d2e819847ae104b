// Model architecture definitions: from a Hugging Face config.json to what MLC LLM derives from
// it (the "model_config" object of mlc-chat-config.json and the top-level window sizes) and to
// the list of parameters the converted tensor cache must contain (mlc-model-params.md §1, §2).
//
// Each architecture lives in its own file (llama.cc, qwen2.cc, ...) and registers a builder in
// the table in model.cc; adding an architecture is a new file plus one line there.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "convert/quantize.h"
#include "runtime/base/status.h"
#include "runtime/format/quantization.h"

namespace aae {

// One MLC parameter before quantization. A quantized role later becomes
// "<base>.q_weight" + "<base>.q_scale" (see encode_parameter in convert/quantize.h).
struct ParamPlan {
  std::string name;                  // MLC name, ending in ".weight" or ".bias"
  std::vector<int64_t> shape;        // HF [out, in] for linears; [V, H] embedding; [H] norms
                                     // (V = config vocab_size; MLC takes llama/mistral's
                                     // embedding and lm_head rows from the checkpoint instead)
  TensorRole role;
  std::vector<std::string> sources;  // HF tensor names, concatenated along axis 0 in this order
  // gemma/gemma2 norms: store 1 + w, the sum rounded in the source tensor's dtype before the
  // cast to the model dtype (mlc-model-params.md §3.2).
  bool add_one = false;
  // gpt_neox query_key_value (weight and bias): the source rows are grouped per head as
  // [q, k, v] of head 0, then head 1, ...; when > 0 (the head count), the rows are reordered to
  // all q heads, all k heads, all v heads, as MLC's gpt_neox loader does.
  int64_t deinterleave_qkv_heads = 0;
  // Set: an unquantized parameter stored in this dtype instead of the model dtype (gpt_neox's
  // MLP biases take ffn_out_dtype, float32 by default, as MLC's out_dtype linears keep their
  // bias in the output dtype). Never set on a role the quantization encodes.
  std::optional<DType> stored_dtype = std::nullopt;
};

// gen_config / convert_weight command-line overrides (MLC's ModelConfigOverride). An unset
// field keeps the value derived from config.json.
struct ConfigOverrides {
  std::optional<int64_t> context_window_size;
  std::optional<int64_t> sliding_window_size;
  std::optional<int64_t> prefill_chunk_size;
  std::optional<int64_t> attention_sink_size;
  std::optional<int64_t> max_batch_size;
  std::optional<int64_t> tensor_parallel_shards;
};

struct ModelDefinition {
  std::string model_type;               // "llama", "mistral", "qwen2", "qwen3"
  // Exactly what MLC writes under "model_config": the architecture dataclass after
  // __post_init__ and overrides, keys in the dataclass's field order.
  nlohmann::ordered_json model_config;
  int64_t vocab_size = 0;
  int64_t context_window_size = -1;     // -1: none (e.g. mistral with a sliding window)
  int64_t sliding_window_size = -1;     // -1: disabled
  int64_t prefill_chunk_size = 0;
  int64_t attention_sink_size = -1;     // -1: none (mistral: 4)
  int64_t tensor_parallel_shards = 1;
  int64_t pipeline_parallel_stages = 1;
  std::vector<ParamPlan> params;        // sorted by name (byte-wise): MLC's record order
};

// Derives the definition of the model described by `hf_config` (the parsed config.json; its
// "model_type" selects the architecture). Errors name config.json and the field, e.g. a missing
// required field, an unsupported rope_scaling, or head counts that do not divide.
Result<ModelDefinition> make_model_definition(const nlohmann::json& hf_config,
                                              const QuantizationSpec& quantization,
                                              const ConfigOverrides& overrides = {});

// The model_type values make_model_definition accepts, in registry order.
std::vector<std::string> supported_model_types();

}  // namespace aae
