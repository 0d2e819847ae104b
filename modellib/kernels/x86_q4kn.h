// q4f16_0 (KN layout) linear kernels for x86-64 with int8 activations. As in x86_kn.h, 8 (AVX2)
// or 16 (AVX-512) consecutive rows of the [N, K] weight are one vector load of q_weight [4G, N];
// here each 32-bit lane is the row's word j of group g, i.e. elements 8j..8j+7, byte b holding
// element 8j+2b (low nibble) and 8j+2b+1 (high nibble). With the activations in the
// evens-then-odds order of prep_q4_evens_odds (x86_common.h), the low nibbles of a word meet
// the 4 bytes q[4j..4j+4) and the high nibbles q[16+4j..16+4j+4): one broadcast dword each, so
// a word costs two masks and two byte dot products (AVX-512 VNNI vpdpbusd; AVX2 vpmaddubsw +
// vpmaddwd) for 8 elements of 8 or 16 rows. Per group: scale * (d * dot - corr), as
// rows_scalar_i8_kn. Ragged row ends run the same integer math in scalar code.
#pragma once

#include "modellib/kernels/x86_common.h"

#if defined(__x86_64__)
AAE_MODELLIB_BEGIN
namespace x86 {

// The 4 activation bytes at p as one little-endian dword (for a broadcast).
inline int32_t q4kn_dword(const int8_t* p) {
  return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint8_t>(p[0])) |
                              static_cast<uint32_t>(static_cast<uint8_t>(p[1])) << 8 |
                              static_cast<uint32_t>(static_cast<uint8_t>(p[2])) << 16 |
                              static_cast<uint32_t>(static_cast<uint8_t>(p[3])) << 24);
}

// Y[t0 + c, n .. n+8) for c < C.
template <int C>
AAE_X86_AVX2 inline void q4kn_tile_avx2(const uint32_t* codes, const uint16_t* scales, int64_t N,
                                        const void* acts, int64_t K, int64_t t0, int64_t n, float* Y,
                                        int64_t ldy) {
  using A = Q8Acts<32>;
  const int64_t G = A::groups(K);
  const __m256i low4 = _mm256_set1_epi8(0x0f), ones = _mm256_set1_epi16(1);
  __m256 acc[C];
  for (int c = 0; c < C; ++c) acc[c] = _mm256_setzero_ps();
  for (int64_t g = 0; g < G; ++g) {
    __m256i dot[C];
    for (int c = 0; c < C; ++c) dot[c] = _mm256_setzero_si256();
    for (int j = 0; j < 4; ++j) {
      const uint32_t* at = codes + (g * 4 + j) * N + n;
      prefetch_ahead(at, 4 * 4 * N * 4);
      const __m256i word = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at));
      const __m256i lo = _mm256_and_si256(word, low4);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi32(word, 4), low4);
      for (int c = 0; c < C; ++c) {
        const int8_t* q = A::q(acts, t0 + c, K) + g * 32;
        const __m256i even = _mm256_set1_epi32(q4kn_dword(q + 4 * j));
        const __m256i odd = _mm256_set1_epi32(q4kn_dword(q + 16 + 4 * j));
        // int16 pair sums are at most 2 * 15 * 127 each, 7620 for the two: no saturation.
        const __m256i pairs = _mm256_add_epi16(_mm256_maddubs_epi16(lo, even), _mm256_maddubs_epi16(hi, odd));
        dot[c] = _mm256_add_epi32(dot[c], _mm256_madd_epi16(pairs, ones));
      }
    }
    const __m256 s = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales + g * N + n)));
    for (int c = 0; c < C; ++c) {
      const float d = A::d(acts, t0 + c, K)[g], corr = A::corr(acts, t0 + c, K)[g];
      const __m256 v = _mm256_fmsub_ps(_mm256_cvtepi32_ps(dot[c]), _mm256_set1_ps(d), _mm256_set1_ps(corr));
      acc[c] = _mm256_fmadd_ps(s, v, acc[c]);
    }
  }
  for (int c = 0; c < C; ++c) _mm256_storeu_ps(Y + (t0 + c) * ldy + n, acc[c]);
}

template <int C>
AAE_X86_AVX512 inline void q4kn_tile_avx512(const uint32_t* codes, const uint16_t* scales, int64_t N,
                                            const void* acts, int64_t K, int64_t t0, int64_t n, float* Y,
                                            int64_t ldy) {
  using A = Q8Acts<32>;
  const int64_t G = A::groups(K);
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  __m512 acc[C];
  for (int c = 0; c < C; ++c) acc[c] = _mm512_setzero_ps();
  for (int64_t g = 0; g < G; ++g) {
    __m512i dot[C];
    for (int c = 0; c < C; ++c) dot[c] = _mm512_setzero_si512();
    for (int j = 0; j < 4; ++j) {
      const uint32_t* at = codes + (g * 4 + j) * N + n;
      prefetch_ahead(at, 4 * 4 * N * 4);
      const __m512i word = _mm512_loadu_si512(at);
      const __m512i lo = _mm512_and_si512(word, low4);
      const __m512i hi = _mm512_and_si512(_mm512_srli_epi32(word, 4), low4);
      for (int c = 0; c < C; ++c) {
        const int8_t* q = A::q(acts, t0 + c, K) + g * 32;
        dot[c] = _mm512_dpbusd_epi32(dot[c], lo, _mm512_set1_epi32(q4kn_dword(q + 4 * j)));
        dot[c] = _mm512_dpbusd_epi32(dot[c], hi, _mm512_set1_epi32(q4kn_dword(q + 16 + 4 * j)));
      }
    }
    const __m512 s = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(scales + g * N + n)));
    for (int c = 0; c < C; ++c) {
      const float d = A::d(acts, t0 + c, K)[g], corr = A::corr(acts, t0 + c, K)[g];
      const __m512 v = _mm512_fmsub_ps(_mm512_cvtepi32_ps(dot[c]), _mm512_set1_ps(d), _mm512_set1_ps(corr));
      acc[c] = _mm512_fmadd_ps(s, v, acc[c]);
    }
  }
  for (int c = 0; c < C; ++c) _mm512_storeu_ps(Y + (t0 + c) * ldy + n, acc[c]);
}

// One row, one token, in the evens-then-odds order: the ragged row ends.
inline float q4kn_row_scalar(const uint32_t* codes, const uint16_t* scales, int64_t N, const void* acts,
                             int64_t K, int64_t t, int64_t n) {
  using A = Q8Acts<32>;
  const int64_t G = A::groups(K);
  const int8_t* q = A::q(acts, t, K);
  float acc = 0.0f;
  for (int64_t g = 0; g < G; ++g) {
    int32_t dot = 0;
    for (int j = 0; j < 4; ++j) {
      const uint32_t word = codes[(g * 4 + j) * N + n];
      for (int b = 0; b < 4; ++b) {
        dot += static_cast<int32_t>((word >> (8 * b)) & 15u) * q[g * 32 + 4 * j + b];
        dot += static_cast<int32_t>((word >> (8 * b + 4)) & 15u) * q[g * 32 + 16 + 4 * j + b];
      }
    }
    acc += half_to_float(scales[g * N + n]) *
           (A::d(acts, t, K)[g] * static_cast<float>(dot) - A::corr(acts, t, K)[g]);
  }
  return acc;
}

struct Q4KnTileAvx2 {
  static constexpr int kLanes = 8;
  template <int C>
  AAE_X86_AVX2 static void run(const uint32_t* codes, const uint16_t* scales, int64_t N, const void* acts,
                               int64_t K, int64_t t0, int64_t n, float* Y, int64_t ldy) {
    q4kn_tile_avx2<C>(codes, scales, N, acts, K, t0, n, Y, ldy);
  }
};
struct Q4KnTileAvx512 {
  static constexpr int kLanes = 16;
  template <int C>
  AAE_X86_AVX512 static void run(const uint32_t* codes, const uint16_t* scales, int64_t N, const void* acts,
                                 int64_t K, int64_t t0, int64_t n, float* Y, int64_t ldy) {
    q4kn_tile_avx512<C>(codes, scales, N, acts, K, t0, n, Y, ldy);
  }
};

// The LinearRowsFn body (w = {q_weight, q_scale, &N}; acts from prep_q4_evens_odds<7>).
template <typename Tile>
inline void q4kn_rows(const void* const* w, const void* acts, float* Y, int64_t ldy, int64_t T, int64_t n0,
                      int64_t n1, int64_t K) {
  const uint32_t* codes = static_cast<const uint32_t*>(w[0]);
  const uint16_t* scales = static_cast<const uint16_t*>(w[1]);
  const int64_t N = FormatQ4F16_0::row_count(w);
  int64_t n = n0;
  for (; n + Tile::kLanes <= n1; n += Tile::kLanes) {
    int64_t t = 0;
    for (; t + 4 <= T; t += 4) Tile::template run<4>(codes, scales, N, acts, K, t, n, Y, ldy);
    for (; t < T; ++t) Tile::template run<1>(codes, scales, N, acts, K, t, n, Y, ldy);
  }
  for (; n < n1; ++n)
    for (int64_t t = 0; t < T; ++t) Y[t * ldy + n] = q4kn_row_scalar(codes, scales, N, acts, K, t, n);
}

}  // namespace x86

template <>
struct LinearVariant<FormatQ4F16_0, kLinearX86Avx2> {
  static constexpr bool kAvailable = true;
  static bool supported(uint64_t f, int64_t) { return (f & x86::kAvx2Features) == x86::kAvx2Features; }
  static LinearKernel kernel() {
    return LinearKernel{"x86-avx2-kn-i8", &x86::prep_q4_evens_odds<7>, &x86::q4kn_rows<x86::Q4KnTileAvx2>};
  }
};
template <>
struct LinearVariant<FormatQ4F16_0, kLinearX86Avx512> {
  static constexpr bool kAvailable = true;
  static bool supported(uint64_t f, int64_t) { return (f & x86::kAvx512Features) == x86::kAvx512Features; }
  static LinearKernel kernel() {
    return LinearKernel{"x86-avx512vnni-kn-i8", &x86::prep_q4_evens_odds<7>,
                        &x86::q4kn_rows<x86::Q4KnTileAvx512>};
  }
};

AAE_MODELLIB_END
#endif  // __x86_64__
