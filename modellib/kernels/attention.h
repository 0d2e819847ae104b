// Causal grouped-query attention over an fp16 KV cache, one query head at a time.
// Cache layout for one layer: K and V each [context][kv_heads][D] fp16 bits, K stored after
// RoPE. Query head h reads kv head h / (heads / kv_heads) (contiguous grouping, as HF repeat_kv).
// Sliding window with attention sinks (mistral, as MLC's KV cache does it): once position p
// reaches the window W, the query at p sees the first S positions (the sinks) plus the latest
// W - S positions up to p; before that it sees every position <= p. W <= 0 means no window.
#pragma once

#include "modellib/kernels/ops.h"

AAE_MODELLIB_BEGIN

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
inline void attend_one(const float* q, const uint16_t* k_cache, const uint16_t* v_cache,
                       int64_t kv_stride, int64_t p, int64_t window, int64_t sink, int64_t D,
                       float scale, float* scores, float* out) {
  const AttentionSpan span = attention_span(p, window, sink);
  int64_t count = 0;
  auto score = [&](int64_t j) {
    const uint16_t* k = k_cache + j * kv_stride;
    float dot = 0.0f;
    for (int64_t d = 0; d < D; ++d) dot += q[d] * half_to_float(k[d]);
    scores[count++] = dot * scale;
  };
  for (int64_t j = 0; j < span.first_end; ++j) score(j);
  for (int64_t j = span.second_begin; j <= p; ++j) score(j);
  softmax(scores, count);
  for (int64_t d = 0; d < D; ++d) out[d] = 0.0f;
  int64_t i = 0;
  auto accumulate = [&](int64_t j) {
    const uint16_t* v = v_cache + j * kv_stride;
    const float w = scores[i++];
    for (int64_t d = 0; d < D; ++d) out[d] += w * half_to_float(v[d]);
  };
  for (int64_t j = 0; j < span.first_end; ++j) accumulate(j);
  for (int64_t j = span.second_begin; j <= p; ++j) accumulate(j);
}

AAE_MODELLIB_END
