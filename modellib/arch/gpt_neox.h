// gpt_neox (Pythia, RedPajama-INCITE) as MLC runs it (docs/architectures.md), on PhiFamily's
// partial-rotary RoPE tables and K/V store, and the llama family's state layout, KV cache and
// attention (every head has its own K and V: kv_heads == heads).
//
// Config (all static constexpr): everything PhiFamily reads (rotary_dim, layer_norm_eps, the
// llama flags off), plus
//   bool parallel_residual   use_parallel_residual
// One block, with h1 = LayerNorm_in(x), a = dense(attn(query_key_value(h1))):
//   parallel:   x = x + a + mlp(LayerNorm_post(x))
//   sequential: x = x + a; x = x + mlp(LayerNorm_post(x))
// mlp(h) = dense_4h_to_h(gelu_erf(dense_h_to_4h(h))); every attention and MLP linear has a bias.
// The two MLP biases are float32 [I] / [H] in every model (MLC's MLP linears output
// ffn_out_dtype = float32 and keep their bias in it); every other norm weight/bias is in the
// model dtype. The head: logits = embed_out(LayerNorm_final(x)), no bias, rounded through fp16
// for an fp16-dtype model (MLC's embed_out weight takes the model dtype, so its output is fp16
// before the cast to float32); bf16 models keep float32 logits, as the llama family does.
// Parameters, in metadata order (a linear is Format::kTensors pointers): embed_in; per layer:
// input_layernorm weight, bias, post_attention_layernorm weight, bias, query_key_value, its bias,
// dense, its bias, dense_h_to_4h, its bias (f32), dense_4h_to_h, its bias (f32); then
// final_layer_norm weight, bias, embed_out.
#pragma once

#include "modellib/arch/phi.h"

AAE_MODELLIB_BEGIN

// erf(x) in double, absolute error below 1e-13: the Maclaurin series for |x| < 2.5, the
// continued fraction erfc(a) = e^(-a^2)/sqrt(pi) / (a + (1/2)/(a + 1/(a + (3/2)/(a + ...))))
// for 2.5 <= |x| < 6, and +-1 beyond (erfc(6) < 2.2e-17).
inline double erf_d(double x) {
  if (x != x) return x;
  const double a = x < 0 ? -x : x;
  double r;
  if (a < 2.5) {
    // 2/sqrt(pi) * sum_n (-1)^n a^(2n+1) / (n! (2n+1))
    double term = a, sum = a;  // term = (-1)^n a^(2n+1) / n!
    const double a2 = a * a;
    for (int n = 1; n < 80; ++n) {
      term *= -a2 / n;
      const double add = term / (2 * n + 1);
      sum += add;
      if ((add < 0 ? -add : add) < 1e-17 * sum) break;
    }
    r = sum * 1.1283791670955126;  // 2/sqrt(pi)
  } else if (a < 6.0) {
    double t = a;
    for (int k = 120; k >= 1; --k) t = a + (0.5 * k) / t;
    r = 1.0 - exp_d(-a * a) * 0.5641895835477563 / t;  // 1/sqrt(pi)
  } else {
    r = 1.0;
  }
  return x < 0 ? -r : r;
}

// Exact GeLU x/2 (1 + erf(x / sqrt(2))) in place over x[n] (Hugging Face "gelu", TVM's gelu).
inline void gelu_erf_inplace(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const double v = x[i];
    x[i] = static_cast<float>(0.5 * v * (1.0 + erf_d(v * 0.7071067811865476)));
  }
}

// Y[t][n] += bias[n] over Y [T][N] for a float32 bias [N] (the MLP biases, whatever the model
// dtype; linear() reads biases in the model dtype, so it gets a null bias and this follows).
inline void add_bias_f32(float* Y, const void* bias, int64_t T, int64_t N) {
  const float* b = static_cast<const float*>(bias);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t n = 0; n < N; ++n) Y[t * N + n] += b[n];
}

template <typename Config>
struct NeoxFamily : PhiFamily<Config> {
  using Phi = PhiFamily<Config>;
  using Base = LlamaFamily<Config>;
  using Format = typename Base::Format;
  using EmbedFormat = typename Base::EmbedFormat;
  using HeadFormat = typename Base::HeadFormat;
  using Base::H, Base::I, Base::Hq, Base::Hkv, Base::D, Base::L, Base::V, Base::QKV;
  using Base::kHalf, Base::kW, Base::kHeaderOffset, Base::kActsOffset, Base::kXOffset,
      Base::kXnOffset, Base::kQkvOffset, Base::kAttnOffset, Base::kGateUpOffset;
  using typename Base::Header;

  static_assert(Hq == Hkv, "gpt_neox has one K and V head per query head");

  // ---- parameter indices (metadata order) ----
  static constexpr int64_t kLayerParams = 4 + 4 * kW + 4;
  static constexpr int64_t kEmbed = 0;
  static constexpr int64_t layer_base(int64_t l) { return EmbedFormat::kTensors + l * kLayerParams; }
  static constexpr int64_t kLn1W = 0, kLn1B = 1, kLn2W = 2, kLn2B = 3, kQkv = 4;
  static constexpr int64_t kQkvBias = kQkv + kW, kO = kQkvBias + 1, kOBias = kO + kW;
  static constexpr int64_t kFc1 = kOBias + 1, kFc1Bias = kFc1 + kW, kFc2 = kFc1Bias + 1;
  static constexpr int64_t kFc2Bias = kFc2 + kW;
  static constexpr int64_t kFinalLnW = EmbedFormat::kTensors + L * kLayerParams;
  static constexpr int64_t kFinalLnB = kFinalLnW + 1, kHead = kFinalLnW + 2;
  static constexpr int64_t kNumParams = kHead + HeadFormat::kTensors;
  static_assert(Phi::kNumParams <= kNumParams, "PhiFamily::prepare checks a prefix");

  static int32_t prepare(const AaeHostApi* host, const void* const* params, void* state) {
    if (params == nullptr || state == nullptr) return AAE_MODEL_LIB_ERR_ARGUMENT;
    for (int64_t i = 0; i < kNumParams; ++i)
      if (params[i] == nullptr) return AAE_MODEL_LIB_ERR_ARGUMENT;
    return Phi::prepare(host, params, state);
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
    const Header* header = Base::template at<Header>(state, kHeaderOffset);
    const LinearKernel kernel = LinearKernels<Format>::get(header->linear_variant);
    void* acts = Base::template at<unsigned char>(state, kActsOffset);
    float* x = at(kXOffset);            // residual [T][H]
    float* xn = at(kXnOffset);          // LayerNorm output, then each branch's output [T][H]
    float* qkv = at(kQkvOffset);        // [T][QKV]
    float* attn = at(kAttnOffset);      // [T][Hq*D]
    float* hidden = at(kGateUpOffset);  // dense_h_to_4h output [T][I] (the region holds [T][2I])
    const float eps = static_cast<float>(Config::layer_norm_eps);
    auto mlp_into_hidden = [&](const void* const* p) {  // hidden = gelu(h_to_4h(LN_post(x)))
      for (int64_t t = 0; t < n; ++t)
        layer_norm<kHalf>(x + t * H, p[kLn2W], p[kLn2B], xn + t * H, H, eps);
      linear<Format>(host, kernel, p + kFc1, nullptr, xn, hidden, n, I, H, acts);
      add_bias_f32(hidden, p[kFc1Bias], n, I);
      for (int64_t t = 0; t < n; ++t) gelu_erf_inplace(hidden + t * I, I);
    };

    for (int64_t t = 0; t < n; ++t)
      embedding_row<EmbedFormat>(params + kEmbed, tokens[t], x + t * H, H);
    for (int64_t l = 0; l < L; ++l) {
      const void* const* p = params + layer_base(l);
      for (int64_t t = 0; t < n; ++t)
        layer_norm<kHalf>(x + t * H, p[kLn1W], p[kLn1B], xn + t * H, H, eps);
      linear<Format>(host, kernel, p + kQkv, p[kQkvBias], xn, qkv, n, QKV, H, acts);
      Phi::store_kv(state, l, qkv, n, position);
      Base::attention(host, state, l, qkv, attn, n, position);
      // Parallel: the MLP reads the block's input x, so it runs before x changes.
      if (Config::parallel_residual) mlp_into_hidden(p);
      linear<Format>(host, kernel, p + kO, p[kOBias], attn, xn, n, H, Hq * D, acts);
      for (int64_t i = 0; i < n * H; ++i) x[i] += xn[i];
      if (!Config::parallel_residual) mlp_into_hidden(p);
      linear<Format>(host, kernel, p + kFc2, nullptr, hidden, xn, n, H, I, acts);
      add_bias_f32(xn, p[kFc2Bias], n, H);
      for (int64_t i = 0; i < n * H; ++i) x[i] += xn[i];
    }
    if (logits == nullptr) return;
    layer_norm<kHalf>(x + (n - 1) * H, params[kFinalLnW], params[kFinalLnB], xn, H, eps);
    const LinearKernel head_kernel = LinearKernels<HeadFormat>::get(header->head_variant);
    linear<HeadFormat>(host, head_kernel, params + kHead, nullptr, xn, logits, 1, V, H, acts);
    if (kHalf == kParamF16)
      for (int64_t v = 0; v < V; ++v) logits[v] = round_to_half(logits[v]);
  }
};

AAE_MODELLIB_END
