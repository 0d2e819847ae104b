#include "tools/make_example_model/config_files.h"

#include <nlohmann/json.hpp>

#include "runtime/format/dtype.h"

namespace aae::example {

SpecialIds special_ids(const ExampleTokenizer& tokenizer) {
  SpecialIds ids;
  ids.end_of_text = tokenizer.special_id("<|endoftext|>");
  ids.bos = ids.end_of_text;
  const int64_t im_end = tokenizer.special_id("<|im_end|>");
  ids.eos = im_end >= 0 ? im_end : ids.end_of_text;
  return ids;
}

std::string config_json(const ModelSpec& spec, const SpecialIds& ids) {
  nlohmann::json config;  // std::map-backed: keys come out sorted
  config["architectures"] = {spec.architecture};
  config["model_type"] = spec.model_type;
  config["bos_token_id"] = ids.bos;
  config["eos_token_id"] = ids.eos;
  config["hidden_act"] = "silu";
  config["hidden_size"] = spec.hidden_size;
  config["intermediate_size"] = spec.intermediate_size;
  config["max_position_embeddings"] = spec.context_length;
  config["num_attention_heads"] = spec.num_heads;
  config["num_hidden_layers"] = spec.num_layers;
  config["num_key_value_heads"] = spec.num_kv_heads;
  config["rms_norm_eps"] = spec.rms_norm_eps;
  config["rope_theta"] = spec.rope_theta;
  config["tie_word_embeddings"] = spec.tie_word_embeddings;
  config["torch_dtype"] = std::string(dtype_name(spec.dtype));
  config["vocab_size"] = spec.vocab_size;
  if (spec.arch == Arch::kMistral) config["sliding_window"] = nullptr;  // as Mistral v0.2+: disabled
  if (spec.arch == Arch::kQwen3) {
    config["head_dim"] = spec.head_dim;
    config["attention_bias"] = false;
  }
  return config.dump(2) + "\n";
}

std::string generation_config_json(const ModelSpec& spec, const SpecialIds& ids) {
  nlohmann::json config;
  config["bos_token_id"] = ids.bos;
  // Chat models stop at either end marker; Qwen's own generation configs list both.
  if (ids.eos != ids.end_of_text) {
    config["eos_token_id"] = {ids.eos, ids.end_of_text};
    config["pad_token_id"] = ids.end_of_text;
  } else {
    config["eos_token_id"] = ids.eos;
  }
  config["do_sample"] = true;
  config["temperature"] = 0.7;
  config["top_p"] = 0.9;
  return config.dump(2) + "\n";
}

}  // namespace aae::example
