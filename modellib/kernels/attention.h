// Causal grouped-query attention over the KV cache, one query head at a time.
// Cache layout for one layer: K and V each [context][kv_heads][D] KvElement (fp16 bits, or
// float for a float32 model, as MLC keeps the KV cache in the model dtype), K stored after
// RoPE. Query head h reads kv head h / (heads / kv_heads) (contiguous grouping, as HF repeat_kv).
// Sliding window with attention sinks (mistral, as MLC's KV cache does it): once position p
// reaches the window W, the query at p sees the first S positions (the sinks) plus the latest
// W - S positions up to p; before that it sees every position <= p. W <= 0 means no window.
#pragma once

#include "modellib/kernels/ops.h"
#include "modellib/kernels/vec.h"
#include "modellib/kernels/weight_format.h"

AAE_MODELLIB_BEGIN

// KV cache element type of a weight format: float for q0f32, fp16 bits (uint16_t) otherwise.
template <typename Format>
struct KvCacheTraits {
  using Element = uint16_t;
};
template <>
struct KvCacheTraits<FormatQ0F32> {
  using Element = float;
};
template <typename Format>
using KvElement = typename KvCacheTraits<Format>::Element;

inline float kv_load(uint16_t bits) { return half_to_float(bits); }
inline float kv_load(float value) { return value; }
inline void kv_store(uint16_t* dst, float value) { *dst = float_to_half(value); }
inline void kv_store(float* dst, float value) { *dst = value; }

// The positions [0, first_end) and [second_begin, p] a query at p attends to.
struct AttentionSpan {
  int64_t first_end;
  int64_t second_begin;
};

inline AttentionSpan attention_span(int64_t p, int64_t window, int64_t sink) {
  if (window <= 0 || p < window) return {0, 0};  // second range [0, p]
  const int64_t recent = window - sink;          // positions kept besides the sinks
  return {sink, p - recent + 1};
}

// out[D] = softmax(q . K[j] * scale) V[j] over the span of p. scores: scratch, >= p + 1 floats.
template <typename Kv>
inline void attend_one(const float* q, const Kv* k_cache, const Kv* v_cache,
                       int64_t kv_stride, int64_t p, int64_t window, int64_t sink, int64_t D,
                       float scale, float* scores, float* out) {
  const AttentionSpan span = attention_span(p, window, sink);
  int64_t count = 0;
  const bool vector = D % 4 == 0;  // head_dim is 64 or 128 in practice
  auto score = [&](int64_t j) {
    const Kv* k = k_cache + j * kv_stride;
    float dot = 0.0f;
    if (vector) {
      dot = dot4(q, k, D);
    } else {
      for (int64_t d = 0; d < D; ++d) dot += q[d] * kv_load(k[d]);
    }
    scores[count++] = dot * scale;
  };
  for (int64_t j = 0; j < span.first_end; ++j) score(j);
  for (int64_t j = span.second_begin; j <= p; ++j) score(j);
  softmax(scores, count);
  for (int64_t d = 0; d < D; ++d) out[d] = 0.0f;
  int64_t i = 0;
  auto accumulate = [&](int64_t j) {
    const Kv* v = v_cache + j * kv_stride;
    const float w = scores[i++];
    if (vector) {
      axpy4(out, w, v, D);
    } else {
      for (int64_t d = 0; d < D; ++d) out[d] += w * kv_load(v[d]);
    }
  };
  for (int64_t j = 0; j < span.first_end; ++j) accumulate(j);
  for (int64_t j = span.second_begin; j <= p; ++j) accumulate(j);
}

// One token's attention for the R query heads that share one KV head (a GQA group): each K and
// V row is widened once for all R heads. Online softmax (a running max and sum per head,
// rescaled once per block of 4 keys) keeps no score buffer, so any number of (group, token)
// pairs can run in parallel. q and out: [R][D] floats.
template <int64_t R, int64_t D, typename Kv>
inline void attend_group(const float* q, const Kv* k_cache, const Kv* v_cache, int64_t kv_stride,
                         int64_t p, int64_t window, int64_t sink, float scale, float* out) {
  static_assert(D % 4 == 0, "attend_group needs head_dim % 4 == 0");
  constexpr int64_t C4 = D / 4;
  F32x4 acc[R][C4];
  float m[R], l[R];
  for (int64_t r = 0; r < R; ++r) {
    m[r] = -__builtin_inff();
    l[r] = 0.0f;
    for (int64_t c = 0; c < C4; ++c) acc[r][c] = splat4(0.0f);
  }
  const AttentionSpan span = attention_span(p, window, sink);
  int64_t keys[4];
  int nb = 0;
  auto flush = [&]() {
    float s[R][4];
    for (int b = 0; b < nb; ++b) {
      const Kv* k = k_cache + keys[b] * kv_stride;
      F32x4 dots[R];
      for (int64_t r = 0; r < R; ++r) dots[r] = splat4(0.0f);
      for (int64_t c = 0; c < C4; ++c) {
        const F32x4 kc = load4(k + 4 * c);
        for (int64_t r = 0; r < R; ++r) dots[r] += load4(q + r * D + 4 * c) * kc;
      }
      for (int64_t r = 0; r < R; ++r) s[r][b] = hsum4(dots[r]) * scale;
    }
    F32x4 prob[R];
    for (int64_t r = 0; r < R; ++r) {
      float block_max = s[r][0];
      for (int b = 1; b < nb; ++b) block_max = s[r][b] > block_max ? s[r][b] : block_max;
      const float new_m = block_max > m[r] ? block_max : m[r];
      const float rescale = exp1(m[r] - new_m);  // 0 on the first block (m = -inf)
      F32x4 sv = splat4(-__builtin_inff());
      for (int b = 0; b < nb; ++b) sv[b] = s[r][b];
      prob[r] = exp4(sv - new_m);  // lanes past nb are exp(-inf) = 0
      l[r] = l[r] * rescale + hsum4(prob[r]);
      m[r] = new_m;
      for (int64_t c = 0; c < C4; ++c) acc[r][c] *= rescale;
    }
    for (int b = 0; b < nb; ++b) {
      const Kv* v = v_cache + keys[b] * kv_stride;
      for (int64_t c = 0; c < C4; ++c) {
        const F32x4 vc = load4(v + 4 * c);
        for (int64_t r = 0; r < R; ++r) acc[r][c] += prob[r][b] * vc;
      }
    }
    nb = 0;
  };
  auto visit = [&](int64_t j) {
    keys[nb++] = j;
    if (nb == 4) flush();
  };
  for (int64_t j = 0; j < span.first_end; ++j) visit(j);
  for (int64_t j = span.second_begin; j <= p; ++j) visit(j);
  if (nb > 0) flush();
  for (int64_t r = 0; r < R; ++r) {
    const F32x4 inv = splat4(1.0f / l[r]);
    for (int64_t c = 0; c < C4; ++c) store4(out + r * D + 4 * c, acc[r][c] * inv);
  }
}

AAE_MODELLIB_END
