// The AVX-512 VNNI q4 GEMM (prefill, T > 1): 16 groups per step, one int32 lane per group.
//
// The 4-group step of x86_q4.h gives each group 4 int32 lanes, so every group pays 4 lanes of
// float epilogue (convert, d * dot - corr, * scale) for each row x token: 3 float ops per
// 2 vpdpbusd. Here a step covers 16 consecutive groups and lane L of the integer dot holds the
// whole 32-code sum of one group, so the epilogue is 3 ops per 8 vpdpbusd, and the activations
// need no permutes inside the loop. On a CPU that runs a 512-bit op as two 256-bit halves the
// op count is what bounds a GEMM, so this roughly halves the work per multiply-add.
//
// Weights stay in the MLC layout. A row's 16 groups are 256 code bytes, loaded as 4 zmm
// (register k, 128-bit lane m = group 4k + m: four 4-byte chunks c0..c3, chunk j holding the
// codes of elements 8j .. 8j+7). A 4 x 4 transpose of 32-bit chunks inside each 128-bit lane
// (unpacklo/hi_epi32, then _epi64) yields X_j: lane L = 4m + e holds chunk j of group 4e + m.
// The activations are laid out to match (see prep_q4_block16), so X_j's low nibbles meet the
// block's "evens" plane j and its high nibbles the "odds" plane j.
//
// Block layout of one token's activations (Q8Acts<32> row, full blocks only; K / 32 / 16 of
// them; the groups after the last full block keep the evens-then-odds layout of x86_common.h):
//   q + 512 b + 64 j + 4 L       evens 4j .. 4j+3 of group 16 b + kBlockGroupOf[L]   (j < 4)
//   q + 512 b + 256 + 64 j + 4 L odds  4j .. 4j+3 of the same group
//   d[16 b + L], corr[16 b + L]  d and corr of group 16 b + kBlockGroupOf[L]
// kBlockGroupOf[L] = 4 (L % 4) + L / 4, an involution (group i sits in lane kBlockGroupOf[i]).
#pragma once

#include "modellib/kernels/x86_common.h"

#if defined(__x86_64__)
AAE_MODELLIB_BEGIN
namespace x86 {

constexpr int64_t kQ4BlockGroups = 16;

// Whether a GEMM over K inputs takes the block-16 path (prep and rows must agree): only when
// the full groups are whole blocks. A K that leaves whole groups after its blocks (Qwen2-0.5B's
// 896 = 28 groups, 4864 = 152) keeps the 4-group step for all groups: mixing the two, with the
// 4-group step at the block tile's 2 x 8 shape, made that model's prefill ~15% slower.
inline bool q4_uses_block16(int64_t T, int64_t K) {
  return T > 1 && K / 32 >= kQ4BlockGroups && K / 32 % kQ4BlockGroups == 0;
}

AAE_X86_AVX512 inline __m512i block_group_of_lane() {
  return _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
}

// prep: the evens-then-odds prep, then (when q4_uses_block16) every full block of every token
// rewritten in place into the block layout (a permutation of its 128 4-byte chunks, and of 16 d and corr
// values). T == 1 keeps the evens-then-odds layout: decode uses the 4-group GEMV of x86_q4.h,
// which streams weights as fast as memory allows, so the block step would only add shuffles.
template <int kZero>
AAE_X86_AVX512 void prep_q4_block16(const float* X, int64_t T, int64_t K, void* acts) {
  using A = Q8Acts<32>;
  prep_q4_evens_odds<kZero>(X, T, K, acts);
  if (!q4_uses_block16(T, K)) return;
  const int64_t blocks = K / 32 / kQ4BlockGroups;
  const __m512i group_of = block_group_of_lane();
  // Output register o = 4 half + j gathers chunk (half, j) of every lane's group: source chunk
  // 8 group + 4 half + j of the evens-then-odds block (a group is 8 chunks: 4 evens, 4 odds).
  const __m512i source_base = _mm512_slli_epi32(group_of, 3);
  alignas(64) int32_t copy[128];
  for (int64_t t = 0; t < T; ++t) {
    int8_t* q = A::q(acts, t, K);
    float* d = A::d(acts, t, K);
    float* corr = A::corr(acts, t, K);
    for (int64_t b = 0; b < blocks; ++b) {
      int8_t* block = q + b * 512;
      for (int i = 0; i < 8; ++i) _mm512_store_si512(copy + 16 * i, _mm512_loadu_si512(block + 64 * i));
      for (int o = 0; o < 8; ++o) {
        const __m512i index = _mm512_add_epi32(source_base, _mm512_set1_epi32(o));  // 4 half + j == o
        _mm512_storeu_si512(block + 64 * o, _mm512_i32gather_epi32(index, copy, 4));
      }
      float* db = d + b * kQ4BlockGroups;
      float* cb = corr + b * kQ4BlockGroups;
      _mm512_storeu_ps(db, _mm512_permutexvar_ps(group_of, _mm512_loadu_ps(db)));
      _mm512_storeu_ps(cb, _mm512_permutexvar_ps(group_of, _mm512_loadu_ps(cb)));
    }
  }
}

// 16 scales of row n from group g on, in lane order (scale of group g + kBlockGroupOf[L]).
template <bool kHalf>
AAE_X86_AVX512 inline __m512 block_scales(const void* scales, int64_t i) {
  const __m512 natural =
      kHalf ? _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(static_cast<const uint16_t*>(scales) + i)))
            : _mm512_loadu_ps(static_cast<const float*>(scales) + i);
  return _mm512_permutexvar_ps(block_group_of_lane(), natural);
}

// totals[r * C + t] = the tile's sums over the full blocks (the caller adds the groups after
// the last block). Each step unpacks the R rows' codes into registers (8 per row), then streams
// the C tokens: every activation register is loaded once and used for all R rows. (With the
// rows innermost instead, clang 14 hoists each token's 8 activation loads out of the row loop
// and spills them: ~170 GFLOP/s against ~250 for this order at 2 x 8 on a Zen 4 core.)
template <bool kHalf, int R, int C>
AAE_X86_AVX512 inline void q4_block16_tile(const uint8_t* codes, const void* scales, int64_t G,
                                           const void* acts, int64_t K, int64_t t0, int64_t n,
                                           float* totals) {
  using A = Q8Acts<32>;
  const int64_t row_bytes = G * 16, blocks = K / 32 / kQ4BlockGroups;
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  __m512 acc[R][C];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int t = 0; t < C; ++t) acc[r][t] = _mm512_setzero_ps();
  for (int64_t b = 0; b < blocks; ++b) {
    __m512i lo[R][4], hi[R][4];
    __m512 sv[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const uint8_t* w = codes + r * row_bytes + b * 256;
#pragma GCC unroll 4
      for (int k = 0; k < 4; ++k) prefetch_ahead(w + 64 * k, kPrefetchTiles * R * row_bytes);
      const __m512i w0 = _mm512_loadu_si512(w), w1 = _mm512_loadu_si512(w + 64);
      const __m512i w2 = _mm512_loadu_si512(w + 128), w3 = _mm512_loadu_si512(w + 192);
      const __m512i a = _mm512_unpacklo_epi32(w0, w1), c = _mm512_unpackhi_epi32(w0, w1);
      const __m512i e = _mm512_unpacklo_epi32(w2, w3), f = _mm512_unpackhi_epi32(w2, w3);
      const __m512i x[4] = {_mm512_unpacklo_epi64(a, e), _mm512_unpackhi_epi64(a, e),
                            _mm512_unpacklo_epi64(c, f), _mm512_unpackhi_epi64(c, f)};
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j) {
        lo[r][j] = _mm512_and_si512(x[j], low4);
        hi[r][j] = _mm512_and_si512(_mm512_srli_epi16(x[j], 4), low4);
      }
      sv[r] = block_scales<kHalf>(scales, (n + r) * G + b * kQ4BlockGroups);
    }
#pragma GCC unroll 8
    for (int t = 0; t < C; ++t) {
      const int8_t* q = A::q(acts, t0 + t, K) + b * 512;
      __m512i dot[R];
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) dot[r] = _mm512_setzero_si512();
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j) {
        // u8 codes x s8 activations; a lane sums 32 products, |sum| <= 32 * 15 * 127.
        const __m512i even = _mm512_load_si512(q + 64 * j), odd = _mm512_load_si512(q + 256 + 64 * j);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
          dot[r] = _mm512_dpbusd_epi32(dot[r], lo[r][j], even);
          dot[r] = _mm512_dpbusd_epi32(dot[r], hi[r][j], odd);
        }
      }
      const __m512 dv = _mm512_loadu_ps(A::d(acts, t0 + t, K) + b * kQ4BlockGroups);
      const __m512 cv = _mm512_loadu_ps(A::corr(acts, t0 + t, K) + b * kQ4BlockGroups);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r)
        acc[r][t] = _mm512_fmadd_ps(_mm512_fmsub_ps(_mm512_cvtepi32_ps(dot[r]), dv, cv), sv[r], acc[r][t]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int t = 0; t < C; ++t) totals[r * C + t] = hsum(acc[r][t]);
}

}  // namespace x86
AAE_MODELLIB_END
#endif  // __x86_64__
