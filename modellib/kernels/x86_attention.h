// attend_group (attention.h) with AVX2 + FMA + F16C: 8-wide rows, fp16 K/V widened by vcvtph2ps
// instead of integer bit operations. Same algorithm and block order as the portable version
// (GQA group per call, online softmax rescaled per block of 4 keys); only summation order and
// FMA rounding differ. Chosen in prepare when the host has AVX2, FMA and F16C and head_dim is a
// multiple of 8.
#pragma once

#include "modellib/kernels/attention.h"

#if defined(__x86_64__)
#include "modellib/kernels/x86_common.h"

AAE_MODELLIB_BEGIN
namespace x86 {

constexpr bool kHaveAttentionAvx2 = true;

AAE_X86_AVX2 inline __m256 load8(const float* p) { return _mm256_loadu_ps(p); }
AAE_X86_AVX2 inline __m256 load8(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// q and out: [R][D] floats; caches as in attend_group.
template <int64_t R, int64_t D, typename Kv>
AAE_X86_AVX2 inline void attend_group_avx2(const float* q, const Kv* k_cache, const Kv* v_cache,
                                           int64_t kv_stride, int64_t p, int64_t window,
                                           int64_t sink, float scale, float* out) {
  static_assert(D % 8 == 0, "attend_group_avx2 needs head_dim % 8 == 0");
  constexpr int64_t C8 = D / 8;
  __m256 acc[R][C8];
  float m[R], l[R];
  for (int64_t r = 0; r < R; ++r) {
    m[r] = -__builtin_inff();
    l[r] = 0.0f;
    for (int64_t c = 0; c < C8; ++c) acc[r][c] = _mm256_setzero_ps();
  }
  // Visible positions: [0, first_end) then [second_begin, p], taken in blocks of 4.
  const AttentionSpan span = attention_span(p, window, sink);
  const int64_t count = span.first_end + (p - span.second_begin + 1);
  for (int64_t i0 = 0; i0 < count; i0 += 4) {
    const int nb = count - i0 < 4 ? static_cast<int>(count - i0) : 4;
    int64_t keys[4];
    for (int b = 0; b < nb; ++b) {
      const int64_t i = i0 + b;
      keys[b] = i < span.first_end ? i : span.second_begin + (i - span.first_end);
    }
    float s[R][4];
    for (int b = 0; b < nb; ++b) {
      const Kv* k = k_cache + keys[b] * kv_stride;
      __m256 dots[R];
      for (int64_t r = 0; r < R; ++r) dots[r] = _mm256_setzero_ps();
      for (int64_t c = 0; c < C8; ++c) {
        const __m256 kc = load8(k + 8 * c);
        for (int64_t r = 0; r < R; ++r) dots[r] = _mm256_fmadd_ps(load8(q + r * D + 8 * c), kc, dots[r]);
      }
      for (int64_t r = 0; r < R; ++r) s[r][b] = hsum(dots[r]) * scale;
    }
    float prob[R][4];
    for (int64_t r = 0; r < R; ++r) {
      float block_max = s[r][0];
      for (int b = 1; b < nb; ++b) block_max = s[r][b] > block_max ? s[r][b] : block_max;
      const float new_m = block_max > m[r] ? block_max : m[r];
      const float rescale = exp1(m[r] - new_m);  // 0 on the first block (m = -inf)
      F32x4 sv = splat4(-__builtin_inff());
      for (int b = 0; b < nb; ++b) sv[b] = s[r][b];
      const F32x4 e = exp4(sv - new_m);  // lanes past nb are exp(-inf) = 0
      for (int b = 0; b < 4; ++b) prob[r][b] = e[b];
      l[r] = l[r] * rescale + hsum4(e);
      m[r] = new_m;
      const __m256 rv = _mm256_set1_ps(rescale);
      for (int64_t c = 0; c < C8; ++c) acc[r][c] = _mm256_mul_ps(acc[r][c], rv);
    }
    for (int b = 0; b < nb; ++b) {
      const Kv* v = v_cache + keys[b] * kv_stride;
      for (int64_t c = 0; c < C8; ++c) {
        const __m256 vc = load8(v + 8 * c);
        for (int64_t r = 0; r < R; ++r)
          acc[r][c] = _mm256_fmadd_ps(_mm256_set1_ps(prob[r][b]), vc, acc[r][c]);
      }
    }
  }
  for (int64_t r = 0; r < R; ++r) {
    const __m256 inv = _mm256_set1_ps(1.0f / l[r]);
    for (int64_t c = 0; c < C8; ++c) _mm256_storeu_ps(out + r * D + 8 * c, _mm256_mul_ps(acc[r][c], inv));
  }
}

}  // namespace x86
AAE_MODELLIB_END

#else
AAE_MODELLIB_BEGIN
namespace x86 {
constexpr bool kHaveAttentionAvx2 = false;
// Never called off x86-64 (prepare cannot select it); declared so callers compile everywhere.
template <int64_t R, int64_t D, typename Kv>
inline void attend_group_avx2(const float*, const Kv*, const Kv*, int64_t, int64_t, int64_t,
                              int64_t, float, float*) {}
}  // namespace x86
AAE_MODELLIB_END
#endif
