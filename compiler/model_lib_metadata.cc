#include "compiler/model_lib_metadata.h"

namespace aae {

DType model_lib_kv_dtype(std::string_view quantization) {
  return quantization == "q0f32" ? DType::kFloat32 : DType::kFloat16;
}

nlohmann::ordered_json model_lib_metadata(const MetadataInputs& in) {
  const ModelDefinition& def = in.input->definition;
  const auto& mc = def.model_config;
  nlohmann::ordered_json m;
  m["abi_version"] = in.abi_version;
  m["model_lib"] = in.model_lib;
  m["architecture"] = in.input->model_type;
  m["quantization"] = in.input->quantization_name;
  m["model_config"] = mc;
  m["vocab_size"] = def.vocab_size;
  m["context_window_size"] = def.context_window_size;
  m["prefill_chunk_size"] = def.prefill_chunk_size;
  m["sliding_window_size"] = def.sliding_window_size;
  m["attention_sink_size"] = def.attention_sink_size;
  nlohmann::ordered_json kv;
  kv["num_hidden_layers"] = mc.value("num_hidden_layers", 0);
  kv["num_attention_heads"] = mc.value("num_attention_heads", 0);
  kv["num_key_value_heads"] = mc.value("num_key_value_heads", 0);
  kv["head_dim"] = mc.value("head_dim", 0);
  kv["capacity_tokens"] = in.kv_capacity_tokens;
  kv["dtype"] = std::string(dtype_name(in.kv_dtype));
  // K for every layer, then V for every layer, each [layer][token][kv_head][head_dim].
  kv["layout"] = "k[layer][token][kv_head][head_dim] then v[layer][token][kv_head][head_dim]";
  m["kv_cache"] = kv;
  nlohmann::ordered_json params = nlohmann::ordered_json::array();
  for (const auto& p : in.params) {
    nlohmann::ordered_json entry;
    entry["name"] = p.name;
    entry["shape"] = p.shape;
    entry["dtype"] = std::string(dtype_name(p.dtype));
    params.push_back(std::move(entry));
  }
  m["params"] = std::move(params);
  nlohmann::ordered_json memory;
  memory["weight_bytes"] = total_param_bytes(in.params);
  memory["kv_cache_bytes"] = in.state.kv_cache;
  memory["workspace_bytes"] = in.state.workspace;
  memory["repacked_weight_bytes"] = in.state.repacked_weights;
  memory["state_bytes"] = in.state.total();
  m["memory"] = std::move(memory);
  return m;
}

}  // namespace aae
