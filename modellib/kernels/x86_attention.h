// attend_group (attention.h) with AVX2 + FMA + F16C: 8-wide rows, fp16 K/V widened by vcvtph2ps
// instead of integer bit operations. Same algorithm as the portable version (GQA group per
// call, online softmax), in blocks of 8 keys instead of 4; only summation order, the block
// boundaries of the running max, and FMA rounding differ. Chosen in prepare when the host has AVX2, FMA and F16C and head_dim is a
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

// The 8 sums of d[0..7] (lane b = sum of d[b]'s lanes): three rounds of hadd, then the two
// 128-bit halves added (9 ops where 8 separate horizontal sums take ~40).
AAE_X86_AVX2 inline __m256 sum8_each(const __m256* d) {
  const __m256 h0123 = _mm256_hadd_ps(_mm256_hadd_ps(d[0], d[1]), _mm256_hadd_ps(d[2], d[3]));
  const __m256 h4567 = _mm256_hadd_ps(_mm256_hadd_ps(d[4], d[5]), _mm256_hadd_ps(d[6], d[7]));
  // h0123 = [d0 d1 d2 d3 over lanes 0-3 | the same over lanes 4-7], h4567 likewise.
  return _mm256_add_ps(_mm256_permute2f128_ps(h0123, h4567, 0x20), _mm256_permute2f128_ps(h0123, h4567, 0x31));
}

AAE_X86_AVX2 inline float hmax8(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}

AAE_X86_AVX2 inline __m256 exp8(__m256 x) {
  const F32x4 lo = exp4(reinterpret_cast<F32x4>(_mm256_castps256_ps128(x)));
  const F32x4 hi = exp4(reinterpret_cast<F32x4>(_mm256_extractf128_ps(x, 1)));
  return _mm256_insertf128_ps(_mm256_castps128_ps256(reinterpret_cast<__m128>(lo)), reinterpret_cast<__m128>(hi), 1);
}

// q and out: [R][D] floats; caches as in attend_group. Keys are taken 8 at a time: the block's
// K rows are widened once into kf (shared by the R heads), each head's 8 scores come out of one
// hadd tree as one register, and the softmax rescale, exp and sums run once per 8 keys.
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
  // Visible positions: [0, first_end) then [second_begin, p], taken in blocks of 8.
  const AttentionSpan span = attention_span(p, window, sink);
  const int64_t count = span.first_end + (p - span.second_begin + 1);
  alignas(32) float kf[8][D];
  alignas(32) float prob[R][8];
  const __m256 lane = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256 scale_v = _mm256_set1_ps(scale), minus_inf = _mm256_set1_ps(-__builtin_inff());
  for (int64_t i0 = 0; i0 < count; i0 += 8) {
    const int nb = count - i0 < 8 ? static_cast<int>(count - i0) : 8;
    int64_t keys[8];
    for (int b = 0; b < nb; ++b) {
      const int64_t i = i0 + b;
      keys[b] = i < span.first_end ? i : span.second_begin + (i - span.first_end);
    }
    for (int b = 0; b < 8; ++b) {
      const Kv* k = k_cache + keys[b < nb ? b : 0] * kv_stride;  // missing keys: any row, masked below
      for (int64_t c = 0; c < C8; ++c) _mm256_store_ps(kf[b] + 8 * c, load8(k + 8 * c));
    }
    const __m256 valid = _mm256_cmp_ps(lane, _mm256_set1_ps(static_cast<float>(nb)), _CMP_LT_OQ);
    for (int64_t r = 0; r < R; ++r) {
      __m256 qr[C8];
      for (int64_t c = 0; c < C8; ++c) qr[c] = load8(q + r * D + 8 * c);
      __m256 dots[8];
      for (int b = 0; b < 8; ++b) {
        dots[b] = _mm256_mul_ps(qr[0], _mm256_load_ps(kf[b]));
        for (int64_t c = 1; c < C8; ++c) dots[b] = _mm256_fmadd_ps(qr[c], _mm256_load_ps(kf[b] + 8 * c), dots[b]);
      }
      const __m256 s = _mm256_blendv_ps(minus_inf, _mm256_mul_ps(sum8_each(dots), scale_v), valid);
      const float block_max = hmax8(s);
      const float new_m = block_max > m[r] ? block_max : m[r];
      const float rescale = exp1(m[r] - new_m);  // 0 on the first block (m = -inf)
      const __m256 e = exp8(_mm256_sub_ps(s, _mm256_set1_ps(new_m)));  // masked lanes: exp(-inf) = 0
      _mm256_store_ps(prob[r], e);
      l[r] = l[r] * rescale + hsum(e);
      m[r] = new_m;
      const __m256 rv = _mm256_set1_ps(rescale);
      for (int64_t c = 0; c < C8; ++c) acc[r][c] = _mm256_mul_ps(acc[r][c], rv);
    }
    for (int b = 0; b < nb; ++b) {
      const Kv* v = v_cache + keys[b] * kv_stride;
      for (int64_t c = 0; c < C8; ++c) {
        const __m256 vc = load8(v + 8 * c);
        for (int64_t r = 0; r < R; ++r)
          acc[r][c] = _mm256_fmadd_ps(_mm256_broadcast_ss(&prob[r][b]), vc, acc[r][c]);
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
