#include "tools/make_example_model/config_files.h"

#include <nlohmann/json.hpp>

#include "runtime/format/dtype.h"

namespace aae::example {

SpecialIds special_ids(const ExampleTokenizer& tokenizer) {
  SpecialIds ids;
  if (tokenizer.special_id("<bos>") >= 0) {  // gemma
    ids.bos = tokenizer.special_id("<bos>");
    ids.eos = ids.end_of_text = tokenizer.special_id("<eos>");
    ids.end_of_turn = tokenizer.special_id("<end_of_turn>");
    return ids;
  }
  ids.end_of_text = tokenizer.special_id("<|endoftext|>");
  ids.bos = ids.end_of_text;
  const int64_t im_end = tokenizer.special_id("<|im_end|>");
  ids.eos = im_end >= 0 ? im_end : ids.end_of_text;
  return ids;
}

namespace {

// As google/gemma-2b and gemma-2-2b configs. gemma2's final_logit_softcapping is 2 instead of
// 30 so the cap visibly changes this tiny model's logits (standard deviation about 1); query_pre_attn_scalar equals
// head_dim (MLC ignores it, so HF and MLC agree); the sliding window is half the context.
void add_gemma_keys(const ModelSpec& spec, nlohmann::json& config) {
  config["hidden_act"] = "gelu_pytorch_tanh";
  config["hidden_activation"] = "gelu_pytorch_tanh";
  config["head_dim"] = spec.head_dim;
  config["attention_bias"] = false;
  if (spec.arch != Arch::kGemma2) return;
  config["attn_logit_softcapping"] = 50.0;
  config["final_logit_softcapping"] = 2.0;
  config["query_pre_attn_scalar"] = spec.head_dim;
  config["sliding_window"] = spec.context_length / 2;
}

}  // namespace

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
  if (spec.arch == Arch::kPhi) {  // Phi-2's keys: LayerNorm eps, tanh GeLU, partial rotary
    config.erase("rms_norm_eps");
    config["layer_norm_eps"] = spec.rms_norm_eps;
    config["hidden_act"] = "gelu_new";
    config["partial_rotary_factor"] = 0.5;
    config["qk_layernorm"] = false;
  }
  if (spec.arch == Arch::kGptNeox) {
    // RedPajama-INCITE's keys (sequential residual, exact GeLU, rotary_emb_base), with Pythia's
    // rotary_pct 0.25 so that only 4 of the tiny model's 16 head dims rotate.
    for (const char* key : {"rms_norm_eps", "rope_theta", "num_key_value_heads"}) config.erase(key);
    config["layer_norm_eps"] = spec.rms_norm_eps;
    config["hidden_act"] = "gelu";
    config["rotary_pct"] = 0.25;
    config["rotary_emb_base"] = spec.rope_theta;
    config["use_parallel_residual"] = false;
  }
  if (spec.arch == Arch::kPhi3) {
    // As Phi-3-mini-128k / Phi-3.5: a longrope rope_scaling with one factor per rotary
    // frequency (head_dim / 2), distinct long and short lists so a swap shows in the logits,
    // and an original context shorter than max_position_embeddings, so the attention factor
    // sqrt(1 + ln(max / original) / ln(original)) is not 1.
    nlohmann::json long_factor = nlohmann::json::array(), short_factor = nlohmann::json::array();
    for (int64_t i = 0; i < spec.head_dim / 2; ++i) {
      long_factor.push_back(1.0 + 0.5 * static_cast<double>(i));
      short_factor.push_back(1.0 + 0.125 * static_cast<double>(i));
    }
    config["original_max_position_embeddings"] = spec.context_length / 4;
    config["rope_scaling"] = {{"long_factor", long_factor},
                              {"short_factor", short_factor},
                              {"type", "longrope"}};
  }
  if (spec.arch == Arch::kQwen3) {
    config["head_dim"] = spec.head_dim;
    config["attention_bias"] = false;
  }
  if (spec.is_gemma()) add_gemma_keys(spec, config);
  return config.dump(2) + "\n";
}

std::string generation_config_json(const ModelSpec& spec, const SpecialIds& ids) {
  nlohmann::json config;
  config["bos_token_id"] = ids.bos;
  // Chat models stop at either end marker; Qwen's and Gemma's own generation configs list both.
  if (ids.end_of_turn >= 0) {
    config["eos_token_id"] = {ids.eos, ids.end_of_turn};
  } else if (ids.eos != ids.end_of_text) {
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
