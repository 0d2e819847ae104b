// q3f16_1 linear kernels for x86-64: int8 activations in natural order (groups of 40) times
// the stored 3-bit codes, AVX2 (pmaddwd) and AVX-512 VNNI (vpdpwssd).
//
// Unpacking without shifts. A group is 16 bytes (4 words x 10 codes; code i at bit
// o = 32 (i / 10) + 3 (i % 10)), so one group fits one 128-bit lane and pshufb can gather, for
// each code, the two bytes (b, b+1), b = o / 8, into a 16-bit lane: the code then sits at bits
// s..s+2, s = o % 8 <= 7. Masking with 7 << s leaves code * 2^s; instead of shifting it down,
// the matching activation is multiplied by 2^(7-s) once per token (shared by every row), so each
// 16-bit product is code * q * 128, and d / 128 (exact) undoes it. The 40 codes are 5 "slots"
// of 8 lanes (slot j = codes 8j..8j+7): per slot and row one pshufb, one and, one pmaddwd.
// Ranges: code * 2^s <= 896, |q| * 2^(7-s) <= 16256, so a lane's 10 products sum to < 2^28.
//
// Tiles and drivers follow x86_q4.h (R rows x C tokens over the whole K); leftover groups go
// through the exact 128-bit group dot (AVX2) or one masked step (AVX-512).
#pragma once

#include "modellib/kernels/x86_q4.h"

#if defined(__x86_64__)
AAE_MODELLIB_BEGIN
namespace x86 {

// Per slot j, repeated for the four 128-bit lanes of a zmm (one group per lane).
struct Q3Slots {
  uint8_t shuffle[5][64];  // pshufb control: 16-bit lane l <- bytes (b, b+1) around code 8j+l
  uint16_t mask[5][32];    // 7 << s: that code's bits within the lane
  uint16_t act_scale[5][32];  // 2^(7-s): applied to the activation of code 8j+l
};

constexpr Q3Slots make_q3_slots() {
  Q3Slots t{};
  for (int j = 0; j < 5; ++j) {
    for (int l = 0; l < 8; ++l) {
      const int code = 8 * j + l, o = 32 * (code / 10) + 3 * (code % 10), b = o / 8, s = o % 8;
      for (int lane = 0; lane < 4; ++lane) {
        t.shuffle[j][16 * lane + 2 * l] = static_cast<uint8_t>(b);
        // Byte 15 is the group's last; its codes (o = 120, 123) end inside it: high byte 0.
        t.shuffle[j][16 * lane + 2 * l + 1] = static_cast<uint8_t>(b + 1 < 16 ? b + 1 : 0x80);
        t.mask[j][8 * lane + l] = static_cast<uint16_t>(7 << s);
        t.act_scale[j][8 * lane + l] = static_cast<uint16_t>(1 << (7 - s));
      }
    }
  }
  return t;
}

constexpr Q3Slots kQ3Slots = make_q3_slots();

// prep of q3f16_1: X [T, K] -> Q8Acts<40> rows in natural order; full groups vectorized
// (32 + 8 values), a ragged last group through the scalar quantizer.
AAE_X86_AVX2 inline void prep_q3_natural(const float* X, int64_t T, int64_t K, void* acts) {
  using A = Q8Acts<40>;
  const int64_t G = A::groups(K), full = K / 40;
  for (int64_t t = 0; t < T; ++t) {
    const float* x = X + t * K;
    int8_t* q = A::q(acts, t, K);
    float* d = A::d(acts, t, K);
    float* corr = A::corr(acts, t, K);
    for (int64_t g = 0; g < full; ++g) {
      const float amax = abs_max(x + g * 40, 5);
      const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
      int32_t qsum = 0;
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + g * 40), quantize_32(x + g * 40, inv, &qsum));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(q + g * 40 + 32), quantize_8(x + g * 40 + 32, inv, &qsum));
      d[g] = amax / 127.0f;
      corr[g] = 3.0f * d[g] * static_cast<float>(qsum);
    }
    for (int64_t g = full; g < G; ++g) {
      int32_t qsum = 0;
      d[g] = quantize_group_i8<40>(x + g * 40, K - g * 40, q + g * 40, &qsum);
      corr[g] = 3.0f * d[g] * static_cast<float>(qsum);
    }
  }
}

// One q3 group (16 bytes, natural-order activations) with the slot tables on 128-bit
// registers, exactly in ints: the tail path (groups after the last full SIMD step;
// TinyLlama's K = 5632 leaves one per row, which the scalar loop made ~25% of a down GEMV).
AAE_X86_AVX2 inline float q3_group_sse(const uint8_t* codes, const int8_t* q, float d, float corr, float scale) {
  const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(codes));
  __m128i sum = _mm_setzero_si128();
  for (int j = 0; j < 5; ++j) {
    const __m128i w = _mm_and_si128(_mm_shuffle_epi8(raw, _mm_loadu_si128(reinterpret_cast<const __m128i*>(kQ3Slots.shuffle[j]))),
                                    _mm_loadu_si128(reinterpret_cast<const __m128i*>(kQ3Slots.mask[j])));
    const __m128i a = _mm_mullo_epi16(_mm_cvtepi8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q + 8 * j))),
                                      _mm_loadu_si128(reinterpret_cast<const __m128i*>(kQ3Slots.act_scale[j])));
    sum = _mm_add_epi32(sum, _mm_madd_epi16(w, a));
  }
  sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, 0x4e));
  sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, 0xb1));
  const int32_t dot = _mm_cvtsi128_si32(sum) / 128;  // every product is code * q * 128: exact
  return scale * (d * static_cast<float>(dot) - corr);
}

template <int R, int C>
AAE_X86_AVX2 inline void q3_tile_avx2(const uint8_t* codes, const void* scales, int64_t G, const void* acts,
                                      int64_t K, int64_t t0, int64_t n, float* Y, int64_t ldy) {
  using A = Q8Acts<40>;
  const int64_t row_bytes = G * 16;
  const __m256 d_unit = _mm256_set1_ps(1.0f / 128.0f), quarter = _mm256_set1_ps(0.25f);
  __m256 acc[R][C];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int t = 0; t < C; ++t) acc[r][t] = _mm256_setzero_ps();
  int64_t g = 0;
  for (; g + 2 <= G; g += 2) {  // groups g, g+1 in the two 128-bit lanes
    __m256i a[C][5];
    __m256 dv[C], cv[C];
#pragma GCC unroll 8
    for (int t = 0; t < C; ++t) {
      const int8_t* q = A::q(acts, t0 + t, K) + g * 40;
#pragma GCC unroll 5
      for (int j = 0; j < 5; ++j) {
        const __m128i both = _mm_unpacklo_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q + 8 * j)),
                                                _mm_loadl_epi64(reinterpret_cast<const __m128i*>(q + 40 + 8 * j)));
        a[t][j] = _mm256_mullo_epi16(_mm256_cvtepi8_epi16(both),
                                     _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kQ3Slots.act_scale[j])));
      }
      dv[t] = _mm256_mul_ps(pair_x4<false>(A::d(acts, t0 + t, K), g), d_unit);
      cv[t] = _mm256_mul_ps(pair_x4<false>(A::corr(acts, t0 + t, K), g), quarter);
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const uint8_t* wp = codes + r * row_bytes + g * 16;
      prefetch_ahead(wp, kPrefetchTiles * R * row_bytes);
      const __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wp));
      __m256i sum[C];
#pragma GCC unroll 5
      for (int j = 0; j < 5; ++j) {
        const __m256i w = _mm256_and_si256(
            _mm256_shuffle_epi8(raw, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kQ3Slots.shuffle[j]))),
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kQ3Slots.mask[j])));
#pragma GCC unroll 8
        for (int t = 0; t < C; ++t) {
          const __m256i p = _mm256_madd_epi16(w, a[t][j]);
          sum[t] = j == 0 ? p : _mm256_add_epi32(sum[t], p);
        }
      }
      const __m256 sv = pair_x4<true>(scales, (n + r) * G + g);
#pragma GCC unroll 8
      for (int t = 0; t < C; ++t)
        acc[r][t] = _mm256_fmadd_ps(_mm256_fmsub_ps(_mm256_cvtepi32_ps(sum[t]), dv[t], cv[t]), sv, acc[r][t]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int t = 0; t < C; ++t) {
      float total = hsum(acc[r][t]);
      for (int64_t gt = g; gt < G; ++gt)
        total += q3_group_sse(codes + r * row_bytes + gt * 16, A::q(acts, t0 + t, K) + gt * 40,
                                 A::d(acts, t0 + t, K)[gt], A::corr(acts, t0 + t, K)[gt],
                                 load_param<true>(scales, (n + r) * G + gt));
      Y[(t0 + t) * ldy + n + r] = total;
    }
}

// One AVX-512 step: groups g .. g+3 (kTail: the last G - g < 4 groups, with the missing groups'
// weight bytes masked off the load, which then never touches memory past the tensor, and their
// d, corr and scale lanes zeroed; their activation bytes are read but meet zero codes).
template <int R, int C, bool kTail>
AAE_X86_AVX512 inline void q3_step_avx512(const uint8_t* codes, const void* scales, int64_t G,
                                          const void* acts, int64_t K, int64_t t0, int64_t n,
                                          int64_t g, __m512 (&acc)[R][C]) {
  using A = Q8Acts<40>;
  const int64_t row_bytes = G * 16;
  const int64_t in_step = kTail ? G - g : 4;
  const __mmask16 lanes = static_cast<__mmask16>((1u << (4 * in_step)) - 1);
  const __mmask64 bytes = in_step == 4 ? ~0ull : (1ull << (16 * in_step)) - 1;
  const __m512 d_unit = _mm512_set1_ps(1.0f / 128.0f), quarter = _mm512_set1_ps(0.25f);
  __m512i a[C][5];
  __m512 dv[C], cv[C];
#pragma GCC unroll 8
  for (int t = 0; t < C; ++t) {
    const int8_t* q = A::q(acts, t0 + t, K) + g * 40;
    // The 4 groups' 160 bytes are qwords 0..19, group i's slot j is qword 5i + j. Slots 0-2
    // take qwords {j, 5+j, 10+j, 15+j} from qwords 0-7 and 10-17, slots 3-4 from 3-10 and
    // 12-19: four overlapping loads and one two-source qword permute per slot. (A tail step
    // reads up to 120 bytes past the last group: still inside the row's d and corr arrays.)
    const __m512i q0_7 = _mm512_loadu_si512(q), q10_17 = _mm512_loadu_si512(q + 80);
    const __m512i q3_10 = _mm512_loadu_si512(q + 24), q12_19 = _mm512_loadu_si512(q + 96);
    __m512i packed[5];
    packed[0] = _mm512_permutex2var_epi64(q0_7, _mm512_setr_epi64(0, 5, 8, 13, 0, 0, 0, 0), q10_17);
    packed[1] = _mm512_permutex2var_epi64(q0_7, _mm512_setr_epi64(1, 6, 9, 14, 0, 0, 0, 0), q10_17);
    packed[2] = _mm512_permutex2var_epi64(q0_7, _mm512_setr_epi64(2, 7, 10, 15, 0, 0, 0, 0), q10_17);
    packed[3] = _mm512_permutex2var_epi64(q3_10, _mm512_setr_epi64(0, 5, 9, 14, 0, 0, 0, 0), q12_19);
    packed[4] = _mm512_permutex2var_epi64(q3_10, _mm512_setr_epi64(1, 6, 10, 15, 0, 0, 0, 0), q12_19);
#pragma GCC unroll 5
    for (int j = 0; j < 5; ++j)
      a[t][j] = _mm512_mullo_epi16(_mm512_cvtepi8_epi16(_mm512_castsi512_si256(packed[j])),
                                   _mm512_loadu_si512(kQ3Slots.act_scale[j]));
    dv[t] = _mm512_mul_ps(quad_x4(_mm_loadu_ps(A::d(acts, t0 + t, K) + g)), d_unit);
    cv[t] = _mm512_mul_ps(quad_x4(_mm_loadu_ps(A::corr(acts, t0 + t, K) + g)), quarter);
    if (kTail) {  // lanes past G hold whatever the padding holds (maybe not finite)
      dv[t] = _mm512_maskz_mov_ps(lanes, dv[t]);
      cv[t] = _mm512_maskz_mov_ps(lanes, cv[t]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    const uint8_t* wp = codes + r * row_bytes + g * 16;
    prefetch_ahead(wp, kPrefetchTiles * R * row_bytes);
    const __m512i raw = kTail ? _mm512_maskz_loadu_epi8(bytes, wp) : _mm512_loadu_si512(wp);
    __m512i sum[C];
#pragma GCC unroll 5
    for (int j = 0; j < 5; ++j) {
      const __m512i w = _mm512_and_si512(_mm512_shuffle_epi8(raw, _mm512_loadu_si512(kQ3Slots.shuffle[j])),
                                         _mm512_loadu_si512(kQ3Slots.mask[j]));
#pragma GCC unroll 8
      for (int t = 0; t < C; ++t)  // slot 0 starts the sum (no zeroed accumulator to copy)
        sum[t] = j == 0 ? _mm512_madd_epi16(w, a[t][j]) : _mm512_dpwssd_epi32(sum[t], w, a[t][j]);
    }
    __m512 sv;
    if (kTail) {  // scales past the row may lie past the tensor: read only the real ones
      const uint16_t* row_scales = static_cast<const uint16_t*>(scales) + (n + r) * G + g;
      uint16_t four[4] = {0, 0, 0, 0};
      for (int64_t i = 0; i < in_step; ++i) four[i] = row_scales[i];
      sv = scales_quad_x4<true>(four, 0);
    } else {
      sv = scales_quad_x4<true>(scales, (n + r) * G + g);
    }
#pragma GCC unroll 8
    for (int t = 0; t < C; ++t)
      acc[r][t] = _mm512_fmadd_ps(_mm512_fmsub_ps(_mm512_cvtepi32_ps(sum[t]), dv[t], cv[t]), sv, acc[r][t]);
  }
}

// The groups after the last full step go through one masked step: with K = 896 (Qwen2-0.5B's
// hidden size, 23 groups) the 3 leftover groups per row through the 128-bit group dot were
// ~40% of a decode GEMV's work.
template <int R, int C>
AAE_X86_AVX512 inline void q3_tile_avx512(const uint8_t* codes, const void* scales, int64_t G, const void* acts,
                                          int64_t K, int64_t t0, int64_t n, float* Y, int64_t ldy) {
  __m512 acc[R][C];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int t = 0; t < C; ++t) acc[r][t] = _mm512_setzero_ps();
  int64_t g = 0;
  for (; g + 4 <= G; g += 4) q3_step_avx512<R, C, false>(codes, scales, G, acts, K, t0, n, g, acc);
  if (g < G) q3_step_avx512<R, C, true>(codes, scales, G, acts, K, t0, n, g, acc);
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int t = 0; t < C; ++t) Y[(t0 + t) * ldy + n + r] = hsum(acc[r][t]);
}

struct Q3TileAvx2 {
  template <int r, int c>
  AAE_X86_AVX2 static void run(const uint8_t* codes, const void* s, int64_t G, const void* acts, int64_t K,
                               int64_t t0, int64_t n, float* Y, int64_t ldy) {
    q3_tile_avx2<r, c>(codes, s, G, acts, K, t0, n, Y, ldy);
  }
};

struct Q3TileAvx512 {
  template <int r, int c>
  AAE_X86_AVX512 static void run(const uint8_t* codes, const void* s, int64_t G, const void* acts, int64_t K,
                                 int64_t t0, int64_t n, float* Y, int64_t ldy) {
    q3_tile_avx512<r, c>(codes, s, G, acts, K, t0, n, Y, ldy);
  }
};

// Tile shapes: decode AVX2 4 x 1, AVX-512 8 x 1 (one token's 5 activation registers are
// rebuilt per step, so more rows share the cost); prefill AVX2 2 x 2, AVX-512 4 x 2
// (8 accumulators + 2 x 7 activation registers).
inline void q3_rows_avx2(const void* const* w, const void* acts, float* Y, int64_t ldy, int64_t T, int64_t n0,
                         int64_t n1, int64_t K) {
  const int64_t G = (K + 39) / 40;
  if (T == 1) return group_rows_tiled<Q3TileAvx2, 4, 1>(w, acts, Y, ldy, T, n0, n1, K, G);
  group_rows_tiled<Q3TileAvx2, 2, 2>(w, acts, Y, ldy, T, n0, n1, K, G);
}

inline void q3_rows_avx512(const void* const* w, const void* acts, float* Y, int64_t ldy, int64_t T, int64_t n0,
                           int64_t n1, int64_t K) {
  const int64_t G = (K + 39) / 40;
  if (T == 1) return group_rows_tiled<Q3TileAvx512, 8, 1>(w, acts, Y, ldy, T, n0, n1, K, G);
  group_rows_tiled<Q3TileAvx512, 4, 2>(w, acts, Y, ldy, T, n0, n1, K, G);
}

}  // namespace x86

template <>
struct LinearVariant<FormatQ3F16_1, kLinearX86Avx2> {
  static constexpr bool kAvailable = true;
  static bool supported(uint64_t f, int64_t) { return (f & x86::kAvx2Features) == x86::kAvx2Features; }
  static LinearKernel kernel() { return LinearKernel{"x86-avx2-i8", &x86::prep_q3_natural, &x86::q3_rows_avx2}; }
};

template <>
struct LinearVariant<FormatQ3F16_1, kLinearX86Avx512> {
  static constexpr bool kAvailable = true;
  static bool supported(uint64_t f, int64_t) { return (f & x86::kAvx512Features) == x86::kAvx512Features; }
  static LinearKernel kernel() {
    return LinearKernel{"x86-avx512vnni-i8", &x86::prep_q3_natural, &x86::q3_rows_avx512};
  }
};

AAE_MODELLIB_END
#endif  // __x86_64__
