// The AVX2 q4 GEMM (prefill, T > 1): 8 groups per step, one int32 lane per group; the AVX2
// counterpart of x86_q4_block16.h (read that first: the same transpose, on ymm).
//
// A row's 8 groups are 128 code bytes, loaded as 4 ymm (register k, 128-bit lane m = group
// 2k + m). The 4 x 4 transpose of 4-byte chunks inside each 128-bit lane gives X_j whose lane
// L = 4m + e holds chunk j of group 2e + m. vpmaddubsw of the masked nibbles with the matching
// activations leaves 16-bit pair sums (|.| <= 2 * 15 * 127 = 3810); the 8 of a group (4 chunks,
// low and high nibbles) add up to at most 30480 in int16, and one vpmaddwd with ones makes the
// group's int32 sum. Per row x token and 8 groups that is 8 + 7 + 1 integer ops and 3 float ops,
// against 28 + 12 for the 2-group step of x86_q4.h.
//
// Block layout of one token's activations (Q8Acts<32> row, full blocks of 8 groups; the groups
// after the last full block keep the evens-then-odds layout of x86_common.h):
//   q + 256 b + 32 j + 4 L        evens 4j .. 4j+3 of group 8 b + kBlock8GroupOf[L]   (j < 4)
//   q + 256 b + 128 + 32 j + 4 L  odds  4j .. 4j+3 of the same group
//   d[8 b + L], corr[8 b + L]     d and corr of group 8 b + kBlock8GroupOf[L]
// kBlock8GroupOf[L] = 2 (L % 4) + L / 4.
#pragma once

#include "modellib/kernels/x86_common.h"

#if defined(__x86_64__)
AAE_MODELLIB_BEGIN
namespace x86 {

constexpr int64_t kQ4Block8Groups = 8;

// Whether a GEMM over K inputs takes the block-8 path (prep and rows must agree): only when
// the full groups are whole blocks (see q4_uses_block16).
inline bool q4_uses_block8(int64_t T, int64_t K) {
  return T > 1 && K / 32 >= kQ4Block8Groups && K / 32 % kQ4Block8Groups == 0;
}

AAE_X86_AVX2 inline __m256i block8_group_of_lane() { return _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7); }

// prep: blocks rewritten only when q4_uses_block8 (T == 1 keeps the evens-then-odds layout
// for the decode GEMV).
template <int kZero>
AAE_X86_AVX2 void prep_q4_block8(const float* X, int64_t T, int64_t K, void* acts) {
  using A = Q8Acts<32>;
  prep_q4_evens_odds<kZero>(X, T, K, acts);
  if (!q4_uses_block8(T, K)) return;
  const int64_t blocks = K / 32 / kQ4Block8Groups;
  const __m256i group_of = block8_group_of_lane();
  // Output register o = 4 half + j takes chunk 8 group + 4 half + j of the evens-then-odds block.
  const __m256i source_base = _mm256_slli_epi32(group_of, 3);
  alignas(32) int32_t copy[64];
  for (int64_t t = 0; t < T; ++t) {
    int8_t* q = A::q(acts, t, K);
    float* d = A::d(acts, t, K);
    float* corr = A::corr(acts, t, K);
    for (int64_t b = 0; b < blocks; ++b) {
      int8_t* block = q + b * 256;
      for (int i = 0; i < 8; ++i)
        _mm256_store_si256(reinterpret_cast<__m256i*>(copy + 8 * i),
                           _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 32 * i)));
      for (int o = 0; o < 8; ++o) {
        const __m256i index = _mm256_add_epi32(source_base, _mm256_set1_epi32(o));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(block + 32 * o), _mm256_i32gather_epi32(copy, index, 4));
      }
      float* db = d + b * kQ4Block8Groups;
      float* cb = corr + b * kQ4Block8Groups;
      _mm256_storeu_ps(db, _mm256_permutevar8x32_ps(_mm256_loadu_ps(db), group_of));
      _mm256_storeu_ps(cb, _mm256_permutevar8x32_ps(_mm256_loadu_ps(cb), group_of));
    }
  }
}

// 8 scales of row n from group g on, in lane order.
template <bool kHalf>
AAE_X86_AVX2 inline __m256 block8_scales(const void* scales, int64_t i) {
  const __m256 natural =
      kHalf ? _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(scales) + i)))
            : _mm256_loadu_ps(static_cast<const float*>(scales) + i);
  return _mm256_permutevar8x32_ps(natural, block8_group_of_lane());
}

// totals[r * C + t] = the tile's sums over the full blocks.
template <bool kHalf, int R, int C>
AAE_X86_AVX2 inline void q4_block8_tile(const uint8_t* codes, const void* scales, int64_t G,
                                        const void* acts, int64_t K, int64_t t0, int64_t n,
                                        float* totals) {
  using A = Q8Acts<32>;
  const int64_t row_bytes = G * 16, blocks = K / 32 / kQ4Block8Groups;
  const __m256i low4 = _mm256_set1_epi8(0x0f), ones = _mm256_set1_epi16(1);
  __m256 acc[R][C];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int t = 0; t < C; ++t) acc[r][t] = _mm256_setzero_ps();
  for (int64_t b = 0; b < blocks; ++b) {
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const uint8_t* w = codes + r * row_bytes + b * 128;
      prefetch_ahead(w, kPrefetchTiles * R * row_bytes);
      prefetch_ahead(w + 64, kPrefetchTiles * R * row_bytes);
      const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
      const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 32));
      const __m256i w2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 64));
      const __m256i w3 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 96));
      const __m256i a = _mm256_unpacklo_epi32(w0, w1), c = _mm256_unpackhi_epi32(w0, w1);
      const __m256i e = _mm256_unpacklo_epi32(w2, w3), f = _mm256_unpackhi_epi32(w2, w3);
      const __m256i x[4] = {_mm256_unpacklo_epi64(a, e), _mm256_unpackhi_epi64(a, e),
                            _mm256_unpacklo_epi64(c, f), _mm256_unpackhi_epi64(c, f)};
      __m256i lo[4], hi[4];
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j) {
        lo[j] = _mm256_and_si256(x[j], low4);
        hi[j] = _mm256_and_si256(_mm256_srli_epi16(x[j], 4), low4);
      }
      const __m256 sv = block8_scales<kHalf>(scales, (n + r) * G + b * kQ4Block8Groups);
#pragma GCC unroll 4
      for (int t = 0; t < C; ++t) {
        const int8_t* q = A::q(acts, t0 + t, K) + b * 256;
        __m256i s16 = _mm256_maddubs_epi16(lo[0], _mm256_load_si256(reinterpret_cast<const __m256i*>(q)));
#pragma GCC unroll 4
        for (int j = 1; j < 4; ++j)
          s16 = _mm256_add_epi16(s16, _mm256_maddubs_epi16(lo[j], _mm256_load_si256(reinterpret_cast<const __m256i*>(q + 32 * j))));
#pragma GCC unroll 4
        for (int j = 0; j < 4; ++j)
          s16 = _mm256_add_epi16(s16, _mm256_maddubs_epi16(hi[j], _mm256_load_si256(reinterpret_cast<const __m256i*>(q + 128 + 32 * j))));
        const __m256i dot = _mm256_madd_epi16(s16, ones);
        const __m256 dv = _mm256_loadu_ps(A::d(acts, t0 + t, K) + b * kQ4Block8Groups);
        const __m256 part = _mm256_fmsub_ps(_mm256_cvtepi32_ps(dot), dv,
                                            _mm256_loadu_ps(A::corr(acts, t0 + t, K) + b * kQ4Block8Groups));
        acc[r][t] = _mm256_fmadd_ps(part, sv, acc[r][t]);
      }
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int t = 0; t < C; ++t) totals[r * C + t] = hsum(acc[r][t]);
}

}  // namespace x86
AAE_MODELLIB_END
#endif  // __x86_64__
