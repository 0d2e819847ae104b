// x86-64 AVX2 + FMA + F16C variant of the q4f16_1 row dot product (fp32 activations, exact
// q4f16_1 dequantization; differs from the reference only in summation order). Compiled with
// __attribute__((target)), so the rest of the library stays baseline x86-64; it is only called
// after prepare saw AVX2, FMA and F16C in the host's cpu_features.
#pragma once

#include "modellib/kernels/weight_format.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define AAE_MODELLIB_HAVE_X86_AVX2 1
#include <immintrin.h>

AAE_MODELLIB_BEGIN

#define AAE_AVX2_TARGET __attribute__((target("avx2,fma,f16c")))

AAE_AVX2_TARGET inline float hsum256(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
  return _mm_cvtss_f32(lo);
}

// Row n of a q4f16_1 [N, K] weight dotted with x[K]. Whole groups of 32 use SIMD; a ragged
// tail group (K % 32 != 0) falls back to the reference element loop.
AAE_AVX2_TARGET inline float dot_row_q4f16_1_avx2(const void* const* t, int64_t n, const float* x,
                                                  int64_t K) {
  const int64_t G = (K + 31) / 32, full = K / 32;
  const uint32_t* w = static_cast<const uint32_t*>(t[0]) + n * G * 4;
  const uint16_t* s = static_cast<const uint16_t*>(t[1]) + n * G;
  const __m256i shifts = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28);
  const __m256i mask = _mm256_set1_epi32(0xf);
  const __m256 seven = _mm256_set1_ps(7.0f);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t g = 0; g < full; ++g) {
    __m256 group = _mm256_setzero_ps();
    for (int j = 0; j < 4; ++j) {  // word j holds elements 8j..8j+7 of the group
      const __m256i word = _mm256_set1_epi32(static_cast<int>(w[g * 4 + j]));
      const __m256i q = _mm256_and_si256(_mm256_srlv_epi32(word, shifts), mask);
      const __m256 v = _mm256_sub_ps(_mm256_cvtepi32_ps(q), seven);
      group = _mm256_fmadd_ps(v, _mm256_loadu_ps(x + g * 32 + j * 8), group);
    }
    const __m256 scale = _mm256_cvtph_ps(_mm_set1_epi16(static_cast<short>(s[g])));
    acc = _mm256_fmadd_ps(group, scale, acc);
  }
  float total = hsum256(acc);
  for (int64_t g = full; g < G; ++g) {
    float group = 0.0f;
    for (int64_t k = g * 32; k < K; ++k) {
      const int64_t i = k - g * 32;
      const int q = static_cast<int>((w[g * 4 + i / 8] >> (4 * (i % 8))) & 0xfu);
      group += static_cast<float>(q - 7) * x[k];
    }
    total += group * half_to_float(s[g]);
  }
  return total;
}

AAE_MODELLIB_END

#else
#define AAE_MODELLIB_HAVE_X86_AVX2 0
#endif
