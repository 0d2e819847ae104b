// q4f16_1 / q4f32_1 linear kernels for x86-64: int8 activations (prep_q4_evens_odds) times the
// stored 4-bit codes, in AVX2 (maddubs + madd) and AVX-512 VNNI (vpdpbusd).
//
// One register tile routine serves decode and prefill: q4_tile_* computes R rows x C tokens
// over the whole K. Each weight group is loaded and unpacked once per tile and applied to the
// C tokens; each token's activations are loaded once per step and applied to the R rows.
// rows() walks row tiles outermost, so an R-row weight slice (R * K/2 bytes, <= 11 KB for
// K = 5632) stays in L1 while the tokens stream past it; T == 1 is the R-row GEMV.
//
// Per group g of a row (codes c, activations q in evens-then-odds order, see x86_common.h):
//   partial = scale[n, g] * (d[t, g] * sum_j c_j q_j - corr[t, g])
// The integer dot lands in 4 int32 lanes per group; each lane takes d * lane - corr / 4 (exact
// power-of-two split of corr) and is multiplied by the row's scale, so the zero point costs one
// fmsub per lane group and no per-element subtract. Groups left over after the last full
// SIMD step (G % 2 on AVX2, G % 4 on AVX-512) go through the exact scalar group dot.
#pragma once

#include "modellib/kernels/x86_q4_block16.h"
#include "modellib/kernels/x86_q4_block8.h"

#if defined(__x86_64__)
AAE_MODELLIB_BEGIN
namespace x86 {

// ---- AVX2: 2 groups (32 code bytes) per step; lanes 0-3 are group g, lanes 4-7 group g+1 ----

// Two consecutive floats (or halfs) p[0], p[1], each repeated over 4 lanes.
template <bool kHalf>
AAE_X86_AVX2 inline __m256 pair_x4(const void* base, int64_t i) {
  __m128 two;
  if (kHalf) {
    const uint16_t* h = static_cast<const uint16_t*>(base) + i;
    two = _mm_cvtph_ps(_mm_cvtsi32_si128(static_cast<int>(h[0] | (static_cast<uint32_t>(h[1]) << 16))));
  } else {
    two = _mm_castpd_ps(_mm_load_sd(reinterpret_cast<const double*>(static_cast<const float*>(base) + i)));
  }
  return _mm256_permutevar8x32_ps(_mm256_castps128_ps256(two), _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1));
}

// Y[t0 + t, n + r] for r < R, t < C. codes: row n's 4-bit codes (rows G * 16 bytes apart);
// scales: the whole q_scale tensor [N, G].
// Groups [g_begin, G) only; with `accumulate` the tile's sums are added to Y (the block-8 GEMM
// of x86_q4_block8.h covers the groups before g_begin).
template <bool kHalf, int R, int C>
AAE_X86_AVX2 inline void q4_tile_avx2(const uint8_t* codes, const void* scales, int64_t G,
                                      const void* acts, int64_t K, int64_t t0, int64_t n, float* Y,
                                      int64_t ldy, int64_t g_begin = 0, bool accumulate = false) {
  using A = Q8Acts<32>;
  const int64_t row_bytes = G * 16;
  const __m256i low4 = _mm256_set1_epi8(0x0f), ones = _mm256_set1_epi16(1);
  const __m256 quarter = _mm256_set1_ps(0.25f);
  __m256 acc[R][C];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int t = 0; t < C; ++t) acc[r][t] = _mm256_setzero_ps();
  int64_t g = g_begin;
  for (; g + 2 <= G; g += 2) {
    __m256i even[C], odd[C];
    __m256 dv[C], cv[C];
#pragma GCC unroll 4
    for (int t = 0; t < C; ++t) {
      // [group g evens | group g+1 evens] and the same for the odds, matching lo / hi below.
      const int8_t* q = A::q(acts, t0 + t, K) + g * 32;
      even[t] = load_2x128(q, q + 32);
      odd[t] = load_2x128(q + 16, q + 48);
      dv[t] = pair_x4<false>(A::d(acts, t0 + t, K), g);
      cv[t] = _mm256_mul_ps(pair_x4<false>(A::corr(acts, t0 + t, K), g), quarter);
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const uint8_t* w = codes + r * row_bytes + g * 16;
      prefetch_ahead(w, kPrefetchTiles * R * row_bytes);
      const __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
      const __m256i lo = _mm256_and_si256(raw, low4);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), low4);
      const __m256 sv = pair_x4<kHalf>(scales, (n + r) * G + g);
#pragma GCC unroll 4
      for (int t = 0; t < C; ++t) {
        // u8 codes (<= 15) x s8 acts: pair sums <= 3810, the two halves' sum <= 7620 in int16.
        const __m256i p16 = _mm256_add_epi16(_mm256_maddubs_epi16(lo, even[t]), _mm256_maddubs_epi16(hi, odd[t]));
        const __m256 f = _mm256_fmsub_ps(_mm256_cvtepi32_ps(_mm256_madd_epi16(p16, ones)), dv[t], cv[t]);
        acc[r][t] = _mm256_fmadd_ps(f, sv, acc[r][t]);
      }
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int t = 0; t < C; ++t) {
      float total = hsum(acc[r][t]);
      for (int64_t gt = g; gt < G; ++gt)
        total += q4_group_scalar(codes + r * row_bytes + gt * 16, A::q(acts, t0 + t, K) + gt * 32,
                                 A::d(acts, t0 + t, K)[gt], A::corr(acts, t0 + t, K)[gt],
                                 load_param<kHalf>(scales, (n + r) * G + gt));
      float* y = &Y[(t0 + t) * ldy + n + r];
      *y = accumulate ? *y + total : total;
    }
}

// ---- AVX-512 VNNI: 4 groups (64 code bytes) per step; lanes 4i..4i+3 are group g+i ----

AAE_X86_AVX512 inline __m512 quad_x4(__m128 four) {
  return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3),
                               _mm512_zextps128_ps512(four));
}

template <bool kHalf>
AAE_X86_AVX512 inline __m512 scales_quad_x4(const void* base, int64_t i) {
  if (kHalf)
    return quad_x4(_mm_cvtph_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(base) + i))));
  return quad_x4(_mm_loadu_ps(static_cast<const float*>(base) + i));
}

// Groups [g_begin, G) only; with `accumulate` the tile's sums are added to Y (the block-16
// GEMM of x86_q4_block16.h covers the groups before g_begin).
template <bool kHalf, int R, int C>
AAE_X86_AVX512 inline void q4_tile_avx512(const uint8_t* codes, const void* scales, int64_t G,
                                          const void* acts, int64_t K, int64_t t0, int64_t n,
                                          float* Y, int64_t ldy, int64_t g_begin = 0,
                                          bool accumulate = false) {
  using A = Q8Acts<32>;
  const int64_t row_bytes = G * 16;
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  // 16-byte pieces of 4 consecutive groups' activations [e0 o0 e1 o1 | e2 o2 e3 o3]:
  // gather the evens (and the odds) into the lanes that hold group i's low (high) nibbles.
  const __m512i pick_even = _mm512_setr_epi64(0, 1, 4, 5, 8, 9, 12, 13);
  const __m512i pick_odd = _mm512_setr_epi64(2, 3, 6, 7, 10, 11, 14, 15);
  const __m512 quarter = _mm512_set1_ps(0.25f);
  __m512 acc[R][C];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int t = 0; t < C; ++t) acc[r][t] = _mm512_setzero_ps();
  int64_t g = g_begin;
  for (; g + 4 <= G; g += 4) {
    __m512i even[C], odd[C];
    __m512 dv[C], cv[C];
#pragma GCC unroll 4
    for (int t = 0; t < C; ++t) {
      const int8_t* q = A::q(acts, t0 + t, K) + g * 32;
      const __m512i z0 = _mm512_loadu_si512(q), z1 = _mm512_loadu_si512(q + 64);
      even[t] = _mm512_permutex2var_epi64(z0, pick_even, z1);
      odd[t] = _mm512_permutex2var_epi64(z0, pick_odd, z1);
      dv[t] = quad_x4(_mm_loadu_ps(A::d(acts, t0 + t, K) + g));
      cv[t] = _mm512_mul_ps(quad_x4(_mm_loadu_ps(A::corr(acts, t0 + t, K) + g)), quarter);
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const uint8_t* w = codes + r * row_bytes + g * 16;
      prefetch_ahead(w, kPrefetchTiles * R * row_bytes);
      const __m512i raw = _mm512_loadu_si512(w);
      const __m512i lo = _mm512_and_si512(raw, low4);
      const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(raw, 4), low4);
      const __m512 sv = scales_quad_x4<kHalf>(scales, (n + r) * G + g);
#pragma GCC unroll 4
      for (int t = 0; t < C; ++t) {
        __m512i dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), lo, even[t]);
        dot = _mm512_dpbusd_epi32(dot, hi, odd[t]);
        const __m512 f = _mm512_fmsub_ps(_mm512_cvtepi32_ps(dot), dv[t], cv[t]);
        acc[r][t] = _mm512_fmadd_ps(f, sv, acc[r][t]);
      }
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int t = 0; t < C; ++t) {
      float total = hsum(acc[r][t]);
      for (int64_t gt = g; gt < G; ++gt)
        total += q4_group_scalar(codes + r * row_bytes + gt * 16, A::q(acts, t0 + t, K) + gt * 32,
                                 A::d(acts, t0 + t, K)[gt], A::corr(acts, t0 + t, K)[gt],
                                 load_param<kHalf>(scales, (n + r) * G + gt));
      float* y = &Y[(t0 + t) * ldy + n + r];
      *y = accumulate ? *y + total : total;
    }
}

// ---- drivers: full R x C tiles, then R x 1 / 1 x C / 1 x 1 for the ragged edges ----
// Tile: which tile routine (AVX2 or AVX-512), as a struct so the driver is ISA-agnostic.
template <bool kHalf>
struct Q4TileAvx2 {
  template <int r, int c>
  AAE_X86_AVX2 static void run(const uint8_t* codes, const void* s, int64_t G, const void* acts,
                               int64_t K, int64_t t0, int64_t n, float* Y, int64_t ldy) {
    q4_tile_avx2<kHalf, r, c>(codes, s, G, acts, K, t0, n, Y, ldy);
  }
};

template <bool kHalf>
struct Q4TileAvx512 {
  template <int r, int c>
  AAE_X86_AVX512 static void run(const uint8_t* codes, const void* s, int64_t G, const void* acts,
                                 int64_t K, int64_t t0, int64_t n, float* Y, int64_t ldy) {
    q4_tile_avx512<kHalf, r, c>(codes, s, G, acts, K, t0, n, Y, ldy);
  }
};

// Prefill through the block GEMMs (x86_q4_block8.h, x86_q4_block16.h), for a K that
// q4_uses_block8/16 accepts (whole blocks, at least one): the block tile, then the plain step
// for a ragged last group. The two structs differ only in the ISA: a generic one without the
// target attribute, calling these as out-of-line functions, made clang 14's prefill ~17% slower.
template <bool kHalf>
struct Q4Block8TileAvx2 {
  template <int r, int c>
  AAE_X86_AVX2 static void run(const uint8_t* codes, const void* s, int64_t G, const void* acts,
                               int64_t K, int64_t t0, int64_t n, float* Y, int64_t ldy) {
    const int64_t covered = K / 32 / kQ4Block8Groups * kQ4Block8Groups;
    float totals[r * c];
    q4_block8_tile<kHalf, r, c>(codes, s, G, acts, K, t0, n, totals);
    for (int i = 0; i < r; ++i)
      for (int j = 0; j < c; ++j) Y[(t0 + j) * ldy + n + i] = totals[i * c + j];
    if (covered < G) q4_tile_avx2<kHalf, r, c>(codes, s, G, acts, K, t0, n, Y, ldy, covered, true);
  }
};

template <bool kHalf>
struct Q4Block16TileAvx512 {
  template <int r, int c>
  AAE_X86_AVX512 static void run(const uint8_t* codes, const void* s, int64_t G, const void* acts,
                                 int64_t K, int64_t t0, int64_t n, float* Y, int64_t ldy) {
    const int64_t covered = K / 32 / kQ4BlockGroups * kQ4BlockGroups;
    float totals[r * c];
    q4_block16_tile<kHalf, r, c>(codes, s, G, acts, K, t0, n, totals);
    for (int i = 0; i < r; ++i)
      for (int j = 0; j < c; ++j) Y[(t0 + j) * ldy + n + i] = totals[i * c + j];
    if (covered < G) q4_tile_avx512<kHalf, r, c>(codes, s, G, acts, K, t0, n, Y, ldy, covered, true);
  }
};

// Tokens are taken kTokenChunk * C at a time, all rows for one chunk before the next, so the
// chunk's activations (24 tokens on AVX2, 64 on AVX-512: ~60 / 160 KB at K = 2048) stay in
// L2 while the rows stream past (on Zen 4, one q4 GEMM at T = 256 ran ~10% slower per token
// than at T = 64 without chunks, and as fast with them).
constexpr int64_t kTokenChunk = 8;
// Shared by the 16-byte-group formats (q4: 32 codes, q3: 40 codes per group); G groups per row.
template <typename Tile, int R, int C>
inline void group_rows_tiled(const void* const* w, const void* acts, float* Y, int64_t ldy, int64_t T,
                             int64_t n0, int64_t n1, int64_t K, int64_t G) {
  const int64_t row_bytes = G * 16;
  const uint8_t* codes = static_cast<const uint8_t*>(w[0]);
  for (int64_t chunk = 0; chunk < T; chunk += kTokenChunk * C) {
    const int64_t chunk_end = min_i(T, chunk + kTokenChunk * C);
    for (int64_t n = n0; n < n1; n += R) {
      const int64_t rows = min_i(R, n1 - n);
      const uint8_t* c = codes + n * row_bytes;
      for (int64_t t = chunk; t < chunk_end; t += C) {
        const int64_t tokens = min_i(C, chunk_end - t);
        if (rows == R && tokens == C) {
          Tile::template run<R, C>(c, w[1], G, acts, K, t, n, Y, ldy);
        } else if (rows == R) {
          for (int64_t j = 0; j < tokens; ++j) Tile::template run<R, 1>(c, w[1], G, acts, K, t + j, n, Y, ldy);
        } else {
          for (int64_t i = 0; i < rows; ++i) {
            if (tokens == C) {
              Tile::template run<1, C>(c + i * row_bytes, w[1], G, acts, K, t, n + i, Y, ldy);
            } else {
              for (int64_t j = 0; j < tokens; ++j)
                Tile::template run<1, 1>(c + i * row_bytes, w[1], G, acts, K, t + j, n + i, Y, ldy);
            }
          }
        }
      }
    }
  }
}

// Tile shapes (a K whose groups are not whole blocks keeps the 2-group / 4-group step at 4 x 2 /
// 4 x 3, its shape before the block GEMMs). AVX2 has 16 ymm: 4 rows x 1 token for decode
// (4 accumulators + 4 activation registers), 2 x 3 for the block-8 prefill GEMM (6 accumulators, 8 of one row's unpacked
// codes; activations are memory operands): on a Zen 4 core ~165 GFLOP/s, against ~150 for
// 2 x 2, 3 x 2 and 4 x 2, and ~116 for the 2-group step at 4 x 2.
// AVX-512 has 32 zmm: 4 x 1 for decode, 2 x 8 for the block-16 prefill GEMM (16 registers of
// the two rows' unpacked codes, 16 accumulators; the activations stream through). Model
// libraries are built with clang 14; there, on a Zen 4 core, 2 x 8 ran ~250 GFLOP/s, 2 x 6
// ~245, 2 x 4 ~238, 1 x 8 ~160, against ~160-180 for the 4-group step (g++ 12 builds of the
// same code, as in the tests and bench/kernel_bench, reach ~225-235).
constexpr int kQ4Avx2Rows = 2, kQ4Avx2Cols = 3, kQ4Avx512Rows = 2, kQ4Avx512Cols = 8;

template <bool kHalf>
inline void q4_rows_avx2(const void* const* w, const void* acts, float* Y, int64_t ldy, int64_t T,
                         int64_t n0, int64_t n1, int64_t K) {
  const int64_t G = (K + 31) / 32;
  if (T == 1) return group_rows_tiled<Q4TileAvx2<kHalf>, 4, 1>(w, acts, Y, ldy, T, n0, n1, K, G);
  if (!q4_uses_block8(T, K)) return group_rows_tiled<Q4TileAvx2<kHalf>, 4, 2>(w, acts, Y, ldy, T, n0, n1, K, G);
  group_rows_tiled<Q4Block8TileAvx2<kHalf>, kQ4Avx2Rows, kQ4Avx2Cols>(w, acts, Y, ldy, T, n0, n1, K, G);
}

template <bool kHalf>
inline void q4_rows_avx512(const void* const* w, const void* acts, float* Y, int64_t ldy, int64_t T,
                           int64_t n0, int64_t n1, int64_t K) {
  const int64_t G = (K + 31) / 32;
  if (T == 1) return group_rows_tiled<Q4TileAvx512<kHalf>, 4, 1>(w, acts, Y, ldy, T, n0, n1, K, G);
  if (!q4_uses_block16(T, K)) return group_rows_tiled<Q4TileAvx512<kHalf>, 4, 3>(w, acts, Y, ldy, T, n0, n1, K, G);
  group_rows_tiled<Q4Block16TileAvx512<kHalf>, kQ4Avx512Rows, kQ4Avx512Cols>(w, acts, Y, ldy, T, n0, n1, K, G);
}

template <bool kHalf>
struct Q4Avx2Variant {
  static constexpr bool kAvailable = true;
  static bool supported(uint64_t f, int64_t) { return (f & kAvx2Features) == kAvx2Features; }
  static LinearKernel kernel() {
    return LinearKernel{"x86-avx2-i8", &prep_q4_block8<7>, &q4_rows_avx2<kHalf>};
  }
};

template <bool kHalf>
struct Q4Avx512Variant {
  static constexpr bool kAvailable = true;
  static bool supported(uint64_t f, int64_t) { return (f & kAvx512Features) == kAvx512Features; }
  static LinearKernel kernel() {
    return LinearKernel{"x86-avx512vnni-i8", &prep_q4_block16<7>, &q4_rows_avx512<kHalf>};
  }
};

}  // namespace x86

template <>
struct LinearVariant<FormatQ4F16_1, kLinearX86Avx2> : x86::Q4Avx2Variant<true> {};
template <>
struct LinearVariant<FormatQ4F32_1, kLinearX86Avx2> : x86::Q4Avx2Variant<false> {};
template <>
struct LinearVariant<FormatQ4F16_1, kLinearX86Avx512> : x86::Q4Avx512Variant<true> {};
template <>
struct LinearVariant<FormatQ4F32_1, kLinearX86Avx512> : x86::Q4Avx512Variant<false> {};

AAE_MODELLIB_END
#endif  // __x86_64__
