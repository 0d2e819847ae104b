// KN-layout ("_0") linear kernels for x86-64 with fp32 activations, reading the stored layout
// directly; used for q3f16_0 (q4f16_0 takes the int8 kernels of x86_q4kn.h, same lane scheme).
// Row n of the [N, K] weight is column n of q_weight [4G, N] / q_scale [G, N], so 8
// (AVX2) or 16 (AVX-512) consecutive rows are one vector load per stored word: each lane
// decodes its own row's codes (mask, subtract the zero point, convert) and they meet one
// broadcast fp32 activation per k. Activations stay fp32 (no prep): the weights are read once
// per call either way, and the result equals the reference up to float summation order.
// No repacking: the weights are mapped read-only and the library never allocates.
//
// Tiles: L lanes of rows x C tokens (C = 4 for prefill, 1 for decode); per group the lanes
// accumulate sum (q - zero) * x in fp32, then multiply by the group's scales (as
// GroupQuantKnFormat::dot_row). Ragged row ends (n1 - n < L) take the reference dot_row.
#pragma once

#include "modellib/kernels/x86_common.h"

#if defined(__x86_64__)
AAE_MODELLIB_BEGIN
namespace x86 {

// Y[t0 + c, n .. n+8) for c < C, over all K. codes/scales: the KN tensors; N: their row count.
template <typename F, int C>
AAE_X86_AVX2 inline void kn_tile_avx2(const uint32_t* codes, const uint16_t* scales, int64_t N,
                                      const float* X, int64_t K, int64_t t0, int64_t n, float* Y,
                                      int64_t ldy) {
  constexpr int kGroup = F::kPerWord * F::kWordsPerGroup;
  const __m256i mask = _mm256_set1_epi32(static_cast<int>(F::kMask));
  const __m256i zero = _mm256_set1_epi32(F::kZero);
  const int64_t G = F::groups(K);
  __m256 acc[C];
  for (int c = 0; c < C; ++c) acc[c] = _mm256_setzero_ps();
  for (int64_t g = 0; g < G; ++g) {
    const int64_t k_group = g * kGroup;
    const int64_t valid = min_i(kGroup, K - k_group);
    __m256 group_acc[C];
    for (int c = 0; c < C; ++c) group_acc[c] = _mm256_setzero_ps();
    for (int j = 0; j < F::kWordsPerGroup; ++j) {
      const uint32_t* at = codes + (g * F::kWordsPerGroup + j) * N + n;
      prefetch_ahead(at, 4 * F::kWordsPerGroup * N * 4);
      __m256i word = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at));
      const int64_t count = min_i(F::kPerWord, valid - j * F::kPerWord);
      const float* x = X + t0 * K + k_group + j * F::kPerWord;
      for (int64_t e = 0; e < count; ++e) {
        const __m256 w = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_and_si256(word, mask), zero));
        word = _mm256_srli_epi32(word, F::kBits);
        for (int c = 0; c < C; ++c) group_acc[c] = _mm256_fmadd_ps(w, _mm256_set1_ps(x[c * K + e]), group_acc[c]);
      }
    }
    const __m256 s = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales + g * N + n)));
    for (int c = 0; c < C; ++c) acc[c] = _mm256_fmadd_ps(group_acc[c], s, acc[c]);
  }
  for (int c = 0; c < C; ++c) _mm256_storeu_ps(Y + (t0 + c) * ldy + n, acc[c]);
}

template <typename F, int C>
AAE_X86_AVX512 inline void kn_tile_avx512(const uint32_t* codes, const uint16_t* scales, int64_t N,
                                          const float* X, int64_t K, int64_t t0, int64_t n, float* Y,
                                          int64_t ldy) {
  constexpr int kGroup = F::kPerWord * F::kWordsPerGroup;
  const __m512i mask = _mm512_set1_epi32(static_cast<int>(F::kMask));
  const __m512i zero = _mm512_set1_epi32(F::kZero);
  const int64_t G = F::groups(K);
  __m512 acc[C];
  for (int c = 0; c < C; ++c) acc[c] = _mm512_setzero_ps();
  for (int64_t g = 0; g < G; ++g) {
    const int64_t k_group = g * kGroup;
    const int64_t valid = min_i(kGroup, K - k_group);
    __m512 group_acc[C];
    for (int c = 0; c < C; ++c) group_acc[c] = _mm512_setzero_ps();
    for (int j = 0; j < F::kWordsPerGroup; ++j) {
      const uint32_t* at = codes + (g * F::kWordsPerGroup + j) * N + n;
      prefetch_ahead(at, 4 * F::kWordsPerGroup * N * 4);
      __m512i word = _mm512_loadu_si512(at);
      const int64_t count = min_i(F::kPerWord, valid - j * F::kPerWord);
      const float* x = X + t0 * K + k_group + j * F::kPerWord;
      for (int64_t e = 0; e < count; ++e) {
        const __m512 w = _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_and_si512(word, mask), zero));
        word = _mm512_srli_epi32(word, F::kBits);
        for (int c = 0; c < C; ++c) group_acc[c] = _mm512_fmadd_ps(w, _mm512_set1_ps(x[c * K + e]), group_acc[c]);
      }
    }
    const __m512 s = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(scales + g * N + n)));
    for (int c = 0; c < C; ++c) acc[c] = _mm512_fmadd_ps(group_acc[c], s, acc[c]);
  }
  for (int c = 0; c < C; ++c) _mm512_storeu_ps(Y + (t0 + c) * ldy + n, acc[c]);
}

struct KnTileAvx2 {
  static constexpr int kLanes = 8;
  template <typename F, int C>
  AAE_X86_AVX2 static void run(const uint32_t* codes, const uint16_t* scales, int64_t N, const float* X,
                               int64_t K, int64_t t0, int64_t n, float* Y, int64_t ldy) {
    kn_tile_avx2<F, C>(codes, scales, N, X, K, t0, n, Y, ldy);
  }
};
struct KnTileAvx512 {
  static constexpr int kLanes = 16;
  template <typename F, int C>
  AAE_X86_AVX512 static void run(const uint32_t* codes, const uint16_t* scales, int64_t N, const float* X,
                                 int64_t K, int64_t t0, int64_t n, float* Y, int64_t ldy) {
    kn_tile_avx512<F, C>(codes, scales, N, X, K, t0, n, Y, ldy);
  }
};

// The LinearRowsFn body (w = {q_weight, q_scale, &N}; acts is X[T, K]).
template <typename F, typename Tile>
inline void kn_rows(const void* const* w, const void* acts, float* Y, int64_t ldy, int64_t T, int64_t n0,
                    int64_t n1, int64_t K) {
  const uint32_t* codes = static_cast<const uint32_t*>(w[0]);
  const uint16_t* scales = static_cast<const uint16_t*>(w[1]);
  const int64_t N = F::row_count(w);
  const float* X = static_cast<const float*>(acts);
  int64_t n = n0;
  for (; n + Tile::kLanes <= n1; n += Tile::kLanes) {
    int64_t t = 0;
    for (; t + 4 <= T; t += 4) Tile::template run<F, 4>(codes, scales, N, X, K, t, n, Y, ldy);
    for (; t < T; ++t) Tile::template run<F, 1>(codes, scales, N, X, K, t, n, Y, ldy);
  }
  for (; n < n1; ++n)
    for (int64_t t = 0; t < T; ++t) Y[t * ldy + n] = F::dot_row(w, n, X + t * K, K);
}

template <typename F>
struct KnAvx2Variant {
  static constexpr bool kAvailable = true;
  static bool supported(uint64_t f, int64_t) { return (f & kAvx2Features) == kAvx2Features; }
  static LinearKernel kernel() { return LinearKernel{"x86-avx2-kn-f32", nullptr, &kn_rows<F, KnTileAvx2>}; }
};
template <typename F>
struct KnAvx512Variant {
  static constexpr bool kAvailable = true;
  static bool supported(uint64_t f, int64_t) { return (f & kAvx512FloatFeatures) == kAvx512FloatFeatures; }
  static LinearKernel kernel() { return LinearKernel{"x86-avx512-kn-f32", nullptr, &kn_rows<F, KnTileAvx512>}; }
};

}  // namespace x86

// q3f16_0 only: q4f16_0 has int8 variants (x86_q4kn.h).
template <>
struct LinearVariant<FormatQ3F16_0, kLinearX86Avx2> : x86::KnAvx2Variant<FormatQ3F16_0> {};
template <>
struct LinearVariant<FormatQ3F16_0, kLinearX86Avx512> : x86::KnAvx512Variant<FormatQ3F16_0> {};

AAE_MODELLIB_END
#endif  // __x86_64__
