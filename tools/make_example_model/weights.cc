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

}  // namespace

std::vector<PlannedTensor> plan_tensors(const ModelSpec& spec) {
  const int64_t h = spec.hidden_size;
  const int64_t q_out = spec.num_heads * spec.head_dim;
  const int64_t kv_out = spec.num_kv_heads * spec.head_dim;
  const int64_t ffn = spec.intermediate_size;
  std::vector<PlannedTensor> out;
  out.push_back({"model.embed_tokens.weight", {spec.vocab_size, h}, Init::kWeight});
  for (int64_t layer = 0; layer < spec.num_layers; ++layer) {
    const std::string p = "model.layers." + std::to_string(layer) + ".";
    out.push_back({p + "input_layernorm.weight", {h}, Init::kNorm});
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
  return out;
}

TensorValues::TensorValues(uint64_t seed, std::string_view tensor_name, Init init) {
  uint64_t mixer = seed;
  state_ = splitmix64(mixer) ^ fnv1a64(tensor_name);
  // The sum of four uniforms on [0, 65535] has standard deviation 65536 / sqrt(3) (to 1e-10).
  const double std_dev = init == Init::kNorm ? 0.05 : 0.02;
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
