// What example model to make: an architecture (naming, biases, tying, config keys) crossed with
// a size preset (dimensions), plus the element type of the weights.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/status.h"
#include "runtime/format/dtype.h"

namespace aae::example {

enum class Arch { kLlama, kMistral, kQwen2, kQwen3, kPhi3, kGemma, kGemma2, kPhi, kGptNeox };

struct ModelSpec {
  Arch arch = Arch::kLlama;
  std::string model_type;     // config.json "model_type": "llama", "mistral", "qwen2", "qwen3"
  std::string architecture;   // config.json "architectures"[0], e.g. "LlamaForCausalLM"
  std::string preset;         // "tiny", "tinyllama-1.1b", "qwen2-0.5b"

  int64_t hidden_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;       // hidden_size / num_heads for every preset
  int64_t intermediate_size = 0;
  // Size of the embedding and of the tokenizer. 0 until the tokenizer is built for "tiny",
  // whose vocabulary is exactly the trained tokenizer; the big presets pad up to their size.
  int64_t vocab_size = 0;
  int64_t context_length = 0;  // max_position_embeddings

  double rms_norm_eps = 1e-5;
  double rope_theta = 10000.0;
  bool tie_word_embeddings = false;  // qwen2/qwen3 tie; llama/mistral have lm_head.weight
  bool qkv_bias = false;             // qwen2: q/k/v projections have biases
  bool qk_norm = false;              // qwen3: per-head RMSNorm weights q_norm/k_norm [head_dim]
  // phi3: Hugging Face ships fused self_attn.qkv_proj and mlp.gate_up_proj tensors, and a
  // longrope rope_scaling (original_max_position_embeddings = context_length / 4).
  bool fused_projections = false;
  // Big presets stream tensor by tensor with progress and always write the sharded layout.
  bool big = false;
  DType dtype = DType::kBFloat16;

  bool is_qwen() const { return arch == Arch::kQwen2 || arch == Arch::kQwen3; }
  // gemma/gemma2: tied, GeLU-tanh, head_dim = 2 * hidden / heads (not hidden / heads), norm
  // weights near 0 (HF multiplies by 1 + w); gemma2 adds pre/post feed-forward norms.
  bool is_gemma() const { return arch == Arch::kGemma || arch == Arch::kGemma2; }
};

const std::vector<std::string>& arch_names();
const std::vector<std::string>& preset_names();
const std::vector<std::string>& weight_dtype_names();  // float32, float16, bfloat16

// Errors name the unknown value and list the valid ones.
Result<ModelSpec> make_model_spec(std::string_view arch, std::string_view preset, std::string_view dtype);

// The special tokens, in id order; they take the last ids of the vocabulary.
// llama/mistral: "<|endoftext|>"; qwen2/qwen3 add "<|im_start|>", "<|im_end|>"; gemma/gemma2:
// "<eos>", "<bos>", "<start_of_turn>", "<end_of_turn>" (the real vocabulary has 1, 2, 106, 107).
std::vector<std::string> special_tokens(Arch arch);

}  // namespace aae::example
