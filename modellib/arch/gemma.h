// gemma and gemma2 as MLC runs them (mlc-model-params.md §4; docs/architectures.md), on the
// llama-family state layout, RoPE, KV cache and attention (LlamaFamily's store_kv/attention).
//
// Config (all static constexpr): everything LlamaFamily reads, with tie_embeddings = true and
// qkv_bias = o_bias = qk_norm = false, plus
//   double embed_scale          the embedding multiplier: sqrt(hidden), rounded to fp16 for an
//                               fp16-dtype model (MLC's scalar takes the tensor's dtype)
//   bool   feedforward_norms    gemma2: post-attention output norm, pre/post feed-forward norms
//   double final_logit_softcap  gemma2: logits = tanh(logits / c) * c; <= 0: none
// Differences from llama: the MLP is down(gelu_tanh(gate) * up); norms are plain RMSNorm (the
// +1 of Hugging Face's Gemma norm is in the stored weights); the head is always the embedding.
// As MLC: attention is softmax(q.k / sqrt(head_dim)) in every layer (no attention soft-capping,
// no query_pre_attn_scalar, no alternating sliding window; gemma2's context is capped instead).
// Parameters, in metadata order: embed_tokens; per layer: input_layernorm, qkv_proj, o_proj,
// post_attention_layernorm, gate_up_proj, down_proj, [pre_feedforward_layernorm,
// post_feedforward_layernorm]; then model.norm.
#pragma once

#include "modellib/arch/llama.h"

AAE_MODELLIB_BEGIN

// tanh(y) = 1 - 2 / (e^(2y) + 1): exact limits (+-1) where e^(2y) overflows or underflows.
inline float tanh1(float y) { return 1.0f - 2.0f / (exp1(2.0f * y) + 1.0f); }

// out[i] = gelu_tanh(gate_up[i]) * gate_up[n + i], gelu_tanh(x) = x/2 (1 + tanh(sqrt(2/pi) (x +
// 0.044715 x^3))), Hugging Face's "gelu_pytorch_tanh".
inline void gelu_tanh_mul(const float* gate_up, float* out, int64_t n) {
  const float k = 0.7978845608028654f;
  for (int64_t i = 0; i < n; ++i) {
    const float x = gate_up[i];
    out[i] = 0.5f * x * (1.0f + tanh1(k * (x + 0.044715f * x * x * x))) * gate_up[n + i];
  }
}

template <typename Config>
struct GemmaFamily : LlamaFamily<Config> {
  using Base = LlamaFamily<Config>;
  using Format = typename Base::Format;            // the linears' weight format
  using EmbedFormat = typename Base::EmbedFormat;  // the embedding table, also the (tied) head
  using HeadFormat = typename Base::HeadFormat;    // == EmbedFormat: gemma is always tied
  using Base::H, Base::I, Base::Hq, Base::D, Base::L, Base::V, Base::C, Base::T, Base::QKV;
  using Base::kHalf, Base::kW, Base::kMagic, Base::kHeaderOffset, Base::kActsOffset,
      Base::kXOffset, Base::kXnOffset, Base::kQkvOffset, Base::kAttnOffset, Base::kGateUpOffset,
      Base::kActOffset;
  using typename Base::Header;

  static_assert(Config::tie_embeddings && !Config::qkv_bias && !Config::o_bias &&
                    !Config::qk_norm,
                "gemma is tied and has no attention biases or q/k norms");

  // ---- parameter indices (metadata order) ----
  static constexpr bool kSandwich = Config::feedforward_norms;
  static constexpr int64_t kLayerParams = 1 + kW + kW + 1 + kW + kW + (kSandwich ? 2 : 0);
  static constexpr int64_t kEmbed = 0;
  static constexpr int64_t layer_base(int64_t l) {
    return EmbedFormat::kTensors + l * kLayerParams;
  }
  static constexpr int64_t kInNorm = 0, kQkv = 1, kO = 1 + kW, kPostAttnNorm = 1 + 2 * kW;
  static constexpr int64_t kGateUp = kPostAttnNorm + 1, kDown = kGateUp + kW;
  static constexpr int64_t kPreFfNorm = kDown + kW, kPostFfNorm = kPreFfNorm + 1;
  static constexpr int64_t kFinalNorm = EmbedFormat::kTensors + L * kLayerParams;
  static constexpr int64_t kNumParams = kFinalNorm + 1;

  static int32_t prepare(const AaeHostApi* host, const void* const* params, void* state) {
    if (params == nullptr) return AAE_MODEL_LIB_ERR_ARGUMENT;
    for (int64_t i = 0; i < kNumParams; ++i)
      if (params[i] == nullptr) return AAE_MODEL_LIB_ERR_ARGUMENT;
    return Base::prepare(host, params, state);
  }

  static int32_t prefill(const AaeHostApi* host, const void* const* params, void* state,
                         const int32_t* tokens, int32_t n_tokens, int32_t position, float* logits) {
    return Base::template checked_prefill<&forward>(host, params, state, tokens, n_tokens, position, logits);
  }
  static int32_t decode(const AaeHostApi* host, const void* const* params, void* state,
                        int32_t token, int32_t position, float* logits) {
    return Base::template one_token_decode<&forward>(host, params, state, token, position, logits);
  }

 private:
  static void forward(const AaeHostApi* host, const void* const* params, void* state,
                      const int32_t* tokens, int64_t n, int64_t position, float* logits) {
    auto at = [state](uint64_t offset) { return Base::template at<float>(state, offset); };
    const LinearKernel kernel = LinearKernels<Format>::get(
        Base::template at<Header>(state, kHeaderOffset)->linear_variant);
    void* acts = Base::template at<unsigned char>(state, kActsOffset);
    float* x = at(kXOffset);
    float* xn = at(kXnOffset);
    float* qkv = at(kQkvOffset);
    float* attn = at(kAttnOffset);
    float* gate_up = at(kGateUpOffset);
    float* act = at(kActOffset);
    const float eps = static_cast<float>(Config::rms_eps);
    const float embed_scale = static_cast<float>(Config::embed_scale);

    for (int64_t t = 0; t < n; ++t) {
      embedding_row<EmbedFormat>(params + kEmbed, tokens[t], x + t * H, H);
      for (int64_t i = 0; i < H; ++i) x[t * H + i] *= embed_scale;
    }
    for (int64_t l = 0; l < L; ++l) {
      const void* const* p = params + layer_base(l);
      for (int64_t t = 0; t < n; ++t) rms_norm<kHalf>(x + t * H, p[kInNorm], xn + t * H, H, eps);
      linear<Format>(host, kernel, p + kQkv, nullptr, xn, qkv, n, QKV, H, acts);
      Base::store_kv(p, state, l, qkv, n, position);  // reads no parameter: no q/k norms
      Base::attention(host, state, l, qkv, attn, n, position);
      linear<Format>(host, kernel, p + kO, nullptr, attn, xn, n, H, Hq * D, acts);
      if (kSandwich)
        for (int64_t t = 0; t < n; ++t)
          rms_norm<kHalf>(xn + t * H, p[kPostAttnNorm], xn + t * H, H, eps);
      for (int64_t i = 0; i < n * H; ++i) x[i] += xn[i];
      const void* mlp_norm = kSandwich ? p[kPreFfNorm] : p[kPostAttnNorm];
      for (int64_t t = 0; t < n; ++t) rms_norm<kHalf>(x + t * H, mlp_norm, xn + t * H, H, eps);
      linear<Format>(host, kernel, p + kGateUp, nullptr, xn, gate_up, n, 2 * I, H, acts);
      for (int64_t t = 0; t < n; ++t) gelu_tanh_mul(gate_up + t * 2 * I, act + t * I, I);
      linear<Format>(host, kernel, p + kDown, nullptr, act, xn, n, H, I, acts);
      if (kSandwich)
        for (int64_t t = 0; t < n; ++t)
          rms_norm<kHalf>(xn + t * H, p[kPostFfNorm], xn + t * H, H, eps);
      for (int64_t i = 0; i < n * H; ++i) x[i] += xn[i];
    }
    if (logits == nullptr) return;
    rms_norm<kHalf>(x + (n - 1) * H, params[kFinalNorm], xn, H, eps);
    const LinearKernel head_kernel = LinearKernels<HeadFormat>::get(
        Base::template at<Header>(state, kHeaderOffset)->head_variant);
    linear<HeadFormat>(host, head_kernel, params + kEmbed, nullptr, xn, logits, 1, V, H, acts);
    if (Config::final_logit_softcap > 0) {
      const float cap = static_cast<float>(Config::final_logit_softcap);
      for (int64_t v = 0; v < V; ++v) logits[v] = tanh1(logits[v] / cap) * cap;
    }
  }
};

AAE_MODELLIB_END
