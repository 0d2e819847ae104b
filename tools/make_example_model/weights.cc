#include "tools/make_example_model/weights.h"

#include <cmath>
#include <cstring>

#include "runtime/base/half.h"

namespace aae::example {
namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t fnv1a64(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

// gemma/gemma2 from the llama list: norms near 0 (HF Gemma scales by 1 + w), a wider embedding
// (Gemma multiplies it by sqrt(hidden)), and for gemma2
// pre/post feed-forward norms after each post_attention_layernorm, as Gemma2 checkpoints have.
std::vector<PlannedTensor> gemma_tensors(const ModelSpec& spec, std::vector<PlannedTensor> in) {
  std::vector<PlannedTensor> out;
  const std::string post_attention = "post_attention_layernorm.weight";
  for (PlannedTensor& t : in) {
    if (t.init == Init::kNorm) t.init = Init::kNormDelta;
    if (t.name == "model.embed_tokens.weight") t.init = Init::kWideEmbedding;
    const bool sandwich = spec.arch == Arch::kGemma2 && t.name.ends_with(post_attention);
    const std::string prefix = t.name.substr(0, t.name.size() - post_attention.size());
    const std::vector<int64_t> shape = t.shape;
    out.push_back(std::move(t));
    if (sandwich) {
      out.push_back({prefix + "pre_feedforward_layernorm.weight", shape, Init::kNormDelta});
      out.push_back({prefix + "post_feedforward_layernorm.weight", shape, Init::kNormDelta});
    }
  }
  return out;
}

// phi (Phi-2's transformers layout): LayerNorms with biases, separate q/k/v with biases,
// self_attn.dense, mlp.fc1/fc2 with biases, model.final_layernorm, lm_head with a bias.
void append_phi_tensors(const ModelSpec& spec, std::vector<PlannedTensor>& out) {
  const int64_t h = spec.hidden_size, ffn = spec.intermediate_size;
  const int64_t q_out = spec.num_heads * spec.head_dim, kv_out = spec.num_kv_heads * spec.head_dim;
  auto linear = [&](const std::string& name, int64_t rows, int64_t cols) {
    out.push_back({name + ".weight", {rows, cols}, Init::kWeight});
    out.push_back({name + ".bias", {rows}, Init::kBias});
  };
  auto layer_norm = [&](const std::string& name) {
    out.push_back({name + ".weight", {h}, Init::kNorm});
    out.push_back({name + ".bias", {h}, Init::kBias});
  };
  for (int64_t layer = 0; layer < spec.num_layers; ++layer) {
    const std::string p = "model.layers." + std::to_string(layer) + ".";
    layer_norm(p + "input_layernorm");
    linear(p + "self_attn.q_proj", q_out, h);
    linear(p + "self_attn.k_proj", kv_out, h);
    linear(p + "self_attn.v_proj", kv_out, h);
    linear(p + "self_attn.dense", h, q_out);
    linear(p + "mlp.fc1", ffn, h);
    linear(p + "mlp.fc2", h, ffn);
  }
  layer_norm("model.final_layernorm");
  linear("lm_head", spec.vocab_size, h);
}

// gpt_neox (Hugging Face GPTNeoXForCausalLM): per-head interleaved query_key_value rows
// ([q, k, v] of head 0, then head 1, ...), LayerNorms and linears with biases, an untied
// embed_out without a bias.
std::vector<PlannedTensor> neox_tensors(const ModelSpec& spec) {
  const int64_t h = spec.hidden_size, ffn = spec.intermediate_size;
  std::vector<PlannedTensor> out;
  auto linear = [&](const std::string& name, int64_t rows, int64_t cols) {
    out.push_back({name + ".weight", {rows, cols}, Init::kWeight});
    out.push_back({name + ".bias", {rows}, Init::kBias});
  };
  auto layer_norm = [&](const std::string& name) {
    out.push_back({name + ".weight", {h}, Init::kNorm});
    out.push_back({name + ".bias", {h}, Init::kBias});
  };
  out.push_back({"gpt_neox.embed_in.weight", {spec.vocab_size, h}, Init::kWeight});
  for (int64_t layer = 0; layer < spec.num_layers; ++layer) {
    const std::string p = "gpt_neox.layers." + std::to_string(layer) + ".";
    layer_norm(p + "input_layernorm");
    layer_norm(p + "post_attention_layernorm");
    linear(p + "attention.query_key_value", 3 * spec.num_heads * spec.head_dim, h);
    linear(p + "attention.dense", h, spec.num_heads * spec.head_dim);
    linear(p + "mlp.dense_h_to_4h", ffn, h);
    linear(p + "mlp.dense_4h_to_h", h, ffn);
  }
  layer_norm("gpt_neox.final_layer_norm");
  out.push_back({"embed_out.weight", {spec.vocab_size, h}, Init::kWeight});
  return out;
}

}  // namespace

std::vector<PlannedTensor> plan_tensors(const ModelSpec& spec) {
  const int64_t h = spec.hidden_size;
  const int64_t q_out = spec.num_heads * spec.head_dim;
  const int64_t kv_out = spec.num_kv_heads * spec.head_dim;
  const int64_t ffn = spec.intermediate_size;
  if (spec.arch == Arch::kGptNeox) return neox_tensors(spec);
  std::vector<PlannedTensor> out;
  out.push_back({"model.embed_tokens.weight", {spec.vocab_size, h}, Init::kWeight});
  if (spec.arch == Arch::kPhi) {
    append_phi_tensors(spec, out);
    return out;
  }
  for (int64_t layer = 0; layer < spec.num_layers; ++layer) {
    const std::string p = "model.layers." + std::to_string(layer) + ".";
    out.push_back({p + "input_layernorm.weight", {h}, Init::kNorm});
    if (spec.fused_projections) {  // phi3: rows q, k, v and gate, up in one tensor each
      out.push_back({p + "self_attn.qkv_proj.weight", {q_out + 2 * kv_out, h}, Init::kWeight});
      out.push_back({p + "self_attn.o_proj.weight", {h, q_out}, Init::kWeight});
      out.push_back({p + "post_attention_layernorm.weight", {h}, Init::kNorm});
      out.push_back({p + "mlp.gate_up_proj.weight", {2 * ffn, h}, Init::kWeight});
      out.push_back({p + "mlp.down_proj.weight", {h, ffn}, Init::kWeight});
      continue;
    }
    out.push_back({p + "self_attn.q_proj.weight", {q_out, h}, Init::kWeight});
    if (spec.qkv_bias) out.push_back({p + "self_attn.q_proj.bias", {q_out}, Init::kBias});
    out.push_back({p + "self_attn.k_proj.weight", {kv_out, h}, Init::kWeight});
    if (spec.qkv_bias) out.push_back({p + "self_attn.k_proj.bias", {kv_out}, Init::kBias});
    out.push_back({p + "self_attn.v_proj.weight", {kv_out, h}, Init::kWeight});
    if (spec.qkv_bias) out.push_back({p + "self_attn.v_proj.bias", {kv_out}, Init::kBias});
    out.push_back({p + "self_attn.o_proj.weight", {h, q_out}, Init::kWeight});
    if (spec.qk_norm) {
      out.push_back({p + "self_attn.q_norm.weight", {spec.head_dim}, Init::kNorm});
      out.push_back({p + "self_attn.k_norm.weight", {spec.head_dim}, Init::kNorm});
    }
    out.push_back({p + "post_attention_layernorm.weight", {h}, Init::kNorm});
    out.push_back({p + "mlp.gate_proj.weight", {ffn, h}, Init::kWeight});
    out.push_back({p + "mlp.up_proj.weight", {ffn, h}, Init::kWeight});
    out.push_back({p + "mlp.down_proj.weight", {h, ffn}, Init::kWeight});
  }
  out.push_back({"model.norm.weight", {h}, Init::kNorm});
  if (!spec.tie_word_embeddings) out.push_back({"lm_head.weight", {spec.vocab_size, h}, Init::kWeight});
  if (spec.is_gemma()) out = gemma_tensors(spec, std::move(out));
  return out;
}

TensorValues::TensorValues(uint64_t seed, std::string_view tensor_name, Init init) {
  uint64_t mixer = seed;
  state_ = splitmix64(mixer) ^ fnv1a64(tensor_name);
  // The sum of four uniforms on [0, 65535] has standard deviation 65536 / sqrt(3) (to 1e-10).
  const double std_dev = init == Init::kNorm || init == Init::kNormDelta ? 0.05
                         : init == Init::kWideEmbedding                ? 0.125
                                                                       : 0.02;
  scale_ = std_dev * std::sqrt(3.0) / 65536.0;
  offset_ = init == Init::kNorm ? 1.0 : 0.0;
}

void TensorValues::next(float* out, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    const uint64_t r = splitmix64(state_);
    const int64_t sum = static_cast<int64_t>((r & 0xffff) + ((r >> 16) & 0xffff) + ((r >> 32) & 0xffff) + (r >> 48));
    const double centred = static_cast<double>(sum - 131070);  // 4 * 65535 / 2
    // fma rounds once, so no compiler's contraction choice can change the result.
    out[i] = static_cast<float>(std::fma(centred, scale_, offset_));
  }
}

void append_as_dtype(const float* values, size_t count, DType dtype, std::vector<uint8_t>& out) {
  const size_t start = out.size();
  if (dtype == DType::kFloat32) {
    out.resize(start + count * 4);
    std::memcpy(out.data() + start, values, count * 4);  // little-endian host (see safetensors_writer)
    return;
  }
  out.resize(start + count * 2);
  uint8_t* bytes = out.data() + start;
  for (size_t i = 0; i < count; ++i) {
    const uint16_t bits = dtype == DType::kFloat16 ? float_to_half(values[i]) : float_to_bfloat16(values[i]);
    bytes[2 * i] = static_cast<uint8_t>(bits & 0xff);
    bytes[2 * i + 1] = static_cast<uint8_t>(bits >> 8);
  }
}

}  // namespace aae::example
