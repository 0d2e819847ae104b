// phi (Phi-1, Phi-1.5, Phi-2) as MLC runs it (docs/architectures.md), on the llama family's
// state layout, KV cache and attention (LlamaFamily::attention).
//
// Config (all static constexpr): everything LlamaFamily reads, with tie_embeddings = false,
// qkv_bias = o_bias = qk_norm = false (LlamaFamily's own parameter list is not used), plus
//   int64_t rotary_dim    rotated leading dims of each head (int(head_dim * partial_rotary_factor))
//   double  layer_norm_eps
// One block: h = LayerNorm(x); x = x + out_proj(attn(Wqkv(h))) + fc2(gelu_tanh(fc1(h))); every
// linear has a bias. The head: logits = linear(LayerNorm_head(x)) + bias, rounded through fp16
// for an fp16-dtype model (MLC's lm_head outputs fp16 there). RoPE rotates the first rotary_dim
// dims of q and k (rotate-half within them, inv_freq theta^(-2d/rotary_dim)).
// Parameters, in metadata order (a linear is Format::kTensors pointers): embd; per layer: ln
// weight, ln bias, Wqkv, Wqkv bias, out_proj, out_proj bias, fc1, fc1 bias, fc2, fc2 bias;
// then lm_head.ln weight, lm_head.ln bias, lm_head.linear, lm_head.linear bias.
#pragma once

#include "modellib/arch/llama.h"

AAE_MODELLIB_BEGIN

// y = (x - mean) / sqrt(var + eps) * w + b over x[n], fp32, population variance (eps inside the
// root, as torch and TVM's layer_norm). x and y may alias.
template <int kDType>
inline void layer_norm(const float* x, const void* w, const void* b, float* y, int64_t n,
                       float eps) {
  float mean = 0.0f;
  for (int64_t i = 0; i < n; ++i) mean += x[i];
  mean /= static_cast<float>(n);
  float var = 0.0f;
  for (int64_t i = 0; i < n; ++i) var += (x[i] - mean) * (x[i] - mean);
  var /= static_cast<float>(n);
  const float inv = static_cast<float>(1.0 / sqrt_d(static_cast<double>(var + eps)));
  for (int64_t i = 0; i < n; ++i)
    y[i] = (x[i] - mean) * inv * load_param<kDType>(w, i) + load_param<kDType>(b, i);
}

// gelu_tanh(x) = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), in place over x[n]; tanh(y) =
// 1 - 2 / (e^(2y) + 1), exact limits where e^(2y) overflows.
inline void gelu_tanh_inplace(float* x, int64_t n) {
  const float k = 0.7978845608028654f;
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float y = k * (v + 0.044715f * v * v * v);
    x[i] = 0.5f * v * (1.0f + (1.0f - 2.0f / (exp1(2.0f * y) + 1.0f)));
  }
}

template <typename Config>
struct PhiFamily : LlamaFamily<Config> {
  using Base = LlamaFamily<Config>;
  using Format = typename Base::Format;
  using EmbedFormat = typename Base::EmbedFormat;
  using HeadFormat = typename Base::HeadFormat;
  using Base::H, Base::I, Base::Hq, Base::Hkv, Base::D, Base::L, Base::V, Base::C, Base::T,
      Base::QKV;
  using Base::kHalf, Base::kW, Base::kMagic, Base::kHeaderOffset, Base::kActsOffset,
      Base::kXOffset, Base::kXnOffset, Base::kQkvOffset, Base::kAttnOffset, Base::kGateUpOffset,
      Base::kActOffset, Base::kCosOffset, Base::kSinOffset, Base::kKOffset, Base::kVOffset;
  using typename Base::Header;
  using typename Base::Kv;
  static constexpr int64_t R = Config::rotary_dim;

  static_assert(!Config::tie_embeddings && !Config::qkv_bias && !Config::o_bias &&
                    !Config::qk_norm,
                "phi has its own head and biases; the llama flags must be off");
  static_assert(R > 0 && R <= D && R % 2 == 0, "rotary_dim must be even and within head_dim");

  // ---- parameter indices (metadata order) ----
  static constexpr int64_t kLayerParams = 2 + 4 * kW + 4;
  static constexpr int64_t kEmbed = 0;
  static constexpr int64_t layer_base(int64_t l) { return EmbedFormat::kTensors + l * kLayerParams; }
  static constexpr int64_t kLnW = 0, kLnB = 1, kQkv = 2, kQkvBias = 2 + kW, kO = kQkvBias + 1;
  static constexpr int64_t kOBias = kO + kW, kFc1 = kOBias + 1, kFc1Bias = kFc1 + kW;
  static constexpr int64_t kFc2 = kFc1Bias + 1, kFc2Bias = kFc2 + kW;
  static constexpr int64_t kHeadLnW = EmbedFormat::kTensors + L * kLayerParams;
  static constexpr int64_t kHeadLnB = kHeadLnW + 1, kHead = kHeadLnW + 2;
  static constexpr int64_t kHeadBias = kHead + HeadFormat::kTensors;
  static constexpr int64_t kNumParams = kHeadBias + 1;
  static_assert(Base::kNumParams <= kNumParams, "LlamaFamily::prepare checks a prefix");

  static int32_t prepare(const AaeHostApi* host, const void* const* params, void* state) {
    if (params == nullptr || state == nullptr) return AAE_MODEL_LIB_ERR_ARGUMENT;
    for (int64_t i = 0; i < kNumParams; ++i)
      if (params[i] == nullptr) return AAE_MODEL_LIB_ERR_ARGUMENT;
    const int32_t status = Base::prepare(host, params, state);
    if (status != AAE_MODEL_LIB_OK) return status;
    // Partial rotary: tables [C][R/2] over the rotated dims (fits the [C][D/2] regions).
    rope_tables(Base::template at<float>(state, kCosOffset),
                Base::template at<float>(state, kSinOffset), C, R, Config::rope_theta);
    return AAE_MODEL_LIB_OK;
  }

  static int32_t prefill(const AaeHostApi* host, const void* const* params, void* state,
                         const int32_t* tokens, int32_t n_tokens, int32_t position, float* logits) {
    return Base::template checked_prefill<&forward>(host, params, state, tokens, n_tokens, position, logits);
  }
  static int32_t decode(const AaeHostApi* host, const void* const* params, void* state,
                        int32_t token, int32_t position, float* logits) {
    return Base::template one_token_decode<&forward>(host, params, state, token, position, logits);
  }

 protected:
  // Per token: RoPE on the first R dims of q and k, then K and V into the cache. (Also used by
  // NeoxFamily, modellib/arch/gpt_neox.h.)
  static void store_kv(void* state, int64_t l, float* qkv, int64_t n, int64_t position) {
    const float* cos_table = Base::template at<float>(state, kCosOffset);
    const float* sin_table = Base::template at<float>(state, kSinOffset);
    Kv* k_cache = Base::template at<Kv>(state, kKOffset) + l * C * Hkv * D;
    Kv* v_cache = Base::template at<Kv>(state, kVOffset) + l * C * Hkv * D;
    for (int64_t t = 0; t < n; ++t) {
      const int64_t pos = position + t;
      float* row = qkv + t * QKV;
      for (int64_t h = 0; h < Hq + Hkv; ++h)
        rope_rotate_half(row + h * D, cos_table + pos * (R / 2), sin_table + pos * (R / 2), R);
      for (int64_t h = 0; h < Hkv; ++h) {
        const float* k = row + (Hq + h) * D;
        const float* v = row + (Hq + Hkv + h) * D;
        Kv* kd = k_cache + (pos * Hkv + h) * D;
        Kv* vd = v_cache + (pos * Hkv + h) * D;
        for (int64_t d = 0; d < D; ++d) {
          kv_store(kd + d, k[d]);
          kv_store(vd + d, v[d]);
        }
      }
    }
  }

 private:
  static void forward(const AaeHostApi* host, const void* const* params, void* state,
                      const int32_t* tokens, int64_t n, int64_t position, float* logits) {
    auto at = [state](uint64_t offset) { return Base::template at<float>(state, offset); };
    const Header* header = Base::template at<Header>(state, kHeaderOffset);
    const LinearKernel kernel = LinearKernels<Format>::get(header->linear_variant);
    void* acts = Base::template at<unsigned char>(state, kActsOffset);
    float* x = at(kXOffset);          // residual [T][H]
    float* xn = at(kXnOffset);        // LayerNorm output, then each branch's output [T][H]
    float* qkv = at(kQkvOffset);      // [T][QKV]
    float* attn = at(kAttnOffset);    // [T][Hq*D]
    float* hidden = at(kGateUpOffset);  // fc1 output [T][I] (the region holds [T][2I])
    const float eps = static_cast<float>(Config::layer_norm_eps);

    for (int64_t t = 0; t < n; ++t)
      embedding_row<EmbedFormat>(params + kEmbed, tokens[t], x + t * H, H);
    for (int64_t l = 0; l < L; ++l) {
      const void* const* p = params + layer_base(l);
      for (int64_t t = 0; t < n; ++t)
        layer_norm<kHalf>(x + t * H, p[kLnW], p[kLnB], xn + t * H, H, eps);
      // Both branches read the same normed input: attention first, then fc1, before xn is
      // reused for the branch outputs.
      linear<Format>(host, kernel, p + kQkv, p[kQkvBias], xn, qkv, n, QKV, H, acts);
      store_kv(state, l, qkv, n, position);
      Base::attention(host, state, l, qkv, attn, n, position);
      linear<Format>(host, kernel, p + kFc1, p[kFc1Bias], xn, hidden, n, I, H, acts);
      for (int64_t t = 0; t < n; ++t) gelu_tanh_inplace(hidden + t * I, I);
      linear<Format>(host, kernel, p + kO, p[kOBias], attn, xn, n, H, Hq * D, acts);
      for (int64_t i = 0; i < n * H; ++i) x[i] += xn[i];
      linear<Format>(host, kernel, p + kFc2, p[kFc2Bias], hidden, xn, n, H, I, acts);
      for (int64_t i = 0; i < n * H; ++i) x[i] += xn[i];
    }
    if (logits == nullptr) return;
    layer_norm<kHalf>(x + (n - 1) * H, params[kHeadLnW], params[kHeadLnB], xn, H, eps);
    const LinearKernel head_kernel = LinearKernels<HeadFormat>::get(header->head_variant);
    linear<HeadFormat>(host, head_kernel, params + kHead, params[kHeadBias], xn, logits, 1, V, H,
                       acts);
    if (kHalf == kParamF16)
      for (int64_t v = 0; v < V; ++v) logits[v] = round_to_half(logits[v]);
  }
};

AAE_MODELLIB_END
