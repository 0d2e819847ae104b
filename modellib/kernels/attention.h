// Causal grouped-query attention over the KV cache, one query head at a time.
// Cache layout for one layer: K and V each [context][kv_heads][D] KvElement (fp16 bits, or
// float for a float32 model, as MLC keeps the KV cache in the model dtype), K stored after
// RoPE. Query head h reads kv head h / (heads / kv_heads) (contiguous grouping, as HF repeat_kv).
// Sliding window with attention sinks (mistral, as MLC's KV cache does it): once position p
// reaches the window W, the query at p sees the first S positions (the sinks) plus the latest
// W - S positions up to p; before that it sees every position <= p. W <= 0 means no window.
#pragma once

#include "modellib/kernels/ops.h"
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
  auto score = [&](int64_t j) {
    const Kv* k = k_cache + j * kv_stride;
    float dot = 0.0f;
    for (int64_t d = 0; d < D; ++d) dot += q[d] * kv_load(k[d]);
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
    for (int64_t d = 0; d < D; ++d) out[d] += w * kv_load(v[d]);
  };
  for (int64_t j = 0; j < span.first_end; ++j) accumulate(j);
  for (int64_t j = span.second_begin; j <= p; ++j) accumulate(j);
}

AAE_MODELLIB_END
