// q0f16 / q0bf16 / q0f32 linear kernels for x86-64: fp32 activations (no prep), fp16 weights
// widened with F16C (AVX2, 8 per vcvtph2ps ymm) or AVX-512F (16 per vcvtph2ps zmm), bf16
// weights by a zero-extend and a 16-bit shift, fp32 weights loaded as is; FMA accumulation.
//
// q0_tile_* computes R rows x C tokens over k in [k0, k1): each weight vector is converted once
// and applied to C tokens, each activation vector is applied to R rows. rows() blocks K in
// chunks of kQ0KChunk so that one chunk of every token's activations (T x 512 floats, 512 KB
// at T = 256) stays in L2 and an R-row weight chunk (4 x 512 x 2 bytes) in L1 while the token
// tiles stream past it; a chunk's partial sums are added into Y. T == 1 (decode) is the R-row
// GEMV over the whole K.
#pragma once

#include "modellib/kernels/x86_common.h"

#if defined(__x86_64__)
AAE_MODELLIB_BEGIN
namespace x86 {

constexpr int64_t kQ0KChunk = 512;

// 8 (AVX2) or 16 (AVX-512) weights as fp32.
AAE_X86_AVX2 inline __m256 load8_f32(const uint16_t* w) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w)));
}
AAE_X86_AVX2 inline __m256 load8_f32(const float* w) { return _mm256_loadu_ps(w); }
AAE_X86_AVX512 inline __m512 load16_f32(const uint16_t* w) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w)));
}
AAE_X86_AVX512 inline __m512 load16_f32(const float* w) { return _mm512_loadu_ps(w); }

inline float to_f32(uint16_t h) { return half_to_float(h); }
inline float to_f32(float f) { return f; }

// A q0bf16 weight: its own element type so the tiles below pick the bfloat16 widening (a
// 16-bit shift into the top of a float: zero-extend, then shift left).
struct Bf16 {
  uint16_t bits;
};
AAE_X86_AVX2 inline __m256 load8_f32(const Bf16* w) {
  const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}
AAE_X86_AVX512 inline __m512 load16_f32(const Bf16* w) {
  const __m512i wide = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w)));
  return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
}
inline float to_f32(Bf16 b) { return bf16_to_float(b.bits); }

// Y[t0 + t, n + r] (+)= sum_{k0 <= k < k1} W[n + r, k] X[t0 + t, k]; `accumulate` adds to Y
// (later K chunks). W: row n's weights (rows K elements apart).
template <typename E, int R, int C>
AAE_X86_AVX2 inline void q0_tile_avx2(const E* W, const float* X, int64_t K, int64_t k0, int64_t k1,
                                      int64_t t0, int64_t n, float* Y, int64_t ldy, bool accumulate) {
  __m256 acc[R][C];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int t = 0; t < C; ++t) acc[r][t] = _mm256_setzero_ps();
  int64_t k = k0;
  for (; k + 8 <= k1; k += 8) {
    __m256 w[R];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      prefetch_ahead(W + r * K + k, kPrefetchTiles * R * K * static_cast<int64_t>(sizeof(E)));
      w[r] = load8_f32(W + r * K + k);
    }
#pragma GCC unroll 4
    for (int t = 0; t < C; ++t) {
      const __m256 x = _mm256_loadu_ps(X + (t0 + t) * K + k);
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) acc[r][t] = _mm256_fmadd_ps(w[r], x, acc[r][t]);
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int t = 0; t < C; ++t) {
      float total = hsum(acc[r][t]);
      for (int64_t kt = k; kt < k1; ++kt) total += to_f32(W[r * K + kt]) * X[(t0 + t) * K + kt];
      float& y = Y[(t0 + t) * ldy + n + r];
      y = accumulate ? y + total : total;
    }
}

template <typename E, int R, int C>
AAE_X86_AVX512 inline void q0_tile_avx512(const E* W, const float* X, int64_t K, int64_t k0, int64_t k1,
                                          int64_t t0, int64_t n, float* Y, int64_t ldy, bool accumulate) {
  __m512 acc[R][C];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int t = 0; t < C; ++t) acc[r][t] = _mm512_setzero_ps();
  int64_t k = k0;
  for (; k + 16 <= k1; k += 16) {
    __m512 w[R];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      prefetch_ahead(W + r * K + k, kPrefetchTiles * R * K * static_cast<int64_t>(sizeof(E)));
      w[r] = load16_f32(W + r * K + k);
    }
#pragma GCC unroll 4
    for (int t = 0; t < C; ++t) {
      const __m512 x = _mm512_loadu_ps(X + (t0 + t) * K + k);
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) acc[r][t] = _mm512_fmadd_ps(w[r], x, acc[r][t]);
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int t = 0; t < C; ++t) {
      float total = hsum(acc[r][t]);
      for (int64_t kt = k; kt < k1; ++kt) total += to_f32(W[r * K + kt]) * X[(t0 + t) * K + kt];
      float& y = Y[(t0 + t) * ldy + n + r];
      y = accumulate ? y + total : total;
    }
}

template <typename E>
struct Q0TileAvx2 {
  template <int R, int C>
  AAE_X86_AVX2 static void run(const E* W, const float* X, int64_t K, int64_t k0, int64_t k1, int64_t t0,
                               int64_t n, float* Y, int64_t ldy, bool accumulate) {
    q0_tile_avx2<E, R, C>(W, X, K, k0, k1, t0, n, Y, ldy, accumulate);
  }
};

template <typename E>
struct Q0TileAvx512 {
  template <int R, int C>
  AAE_X86_AVX512 static void run(const E* W, const float* X, int64_t K, int64_t k0, int64_t k1, int64_t t0,
                                 int64_t n, float* Y, int64_t ldy, bool accumulate) {
    q0_tile_avx512<E, R, C>(W, X, K, k0, k1, t0, n, Y, ldy, accumulate);
  }
};

// Rows [n0, n1) x all T tokens over k in [k0, k1) in R x C tiles (R x 1, 1 x C, 1 x 1 at the
// ragged edges).
template <typename Tile, typename E, int R, int C>
inline void q0_block(const E* W, const float* X, float* Y, int64_t ldy, int64_t T, int64_t n0, int64_t n1,
                     int64_t K, int64_t k0, int64_t k1) {
  const bool accumulate = k0 > 0;
  for (int64_t n = n0; n < n1; n += R) {
    const int64_t rows = min_i(R, n1 - n);
    const E* w = W + n * K;
    for (int64_t t = 0; t < T; t += C) {
      const int64_t tokens = min_i(C, T - t);
      if (rows == R && tokens == C) {
        Tile::template run<R, C>(w, X, K, k0, k1, t, n, Y, ldy, accumulate);
      } else if (rows == R) {
        for (int64_t j = 0; j < tokens; ++j) Tile::template run<R, 1>(w, X, K, k0, k1, t + j, n, Y, ldy, accumulate);
      } else {
        for (int64_t i = 0; i < rows; ++i) {
          if (tokens == C) {
            Tile::template run<1, C>(w + i * K, X, K, k0, k1, t, n + i, Y, ldy, accumulate);
          } else {
            for (int64_t j = 0; j < tokens; ++j)
              Tile::template run<1, 1>(w + i * K, X, K, k0, k1, t + j, n + i, Y, ldy, accumulate);
          }
        }
      }
    }
  }
}

// Tile shapes: AVX2 4 x 2 (8 accumulators + 4 weight vectors of 16 ymm), AVX-512 4 x 4
// (16 accumulators + 4 weight vectors of 32 zmm). Decode is the 4 x 1 ymm tile on both: on
// Zen 5 the zmm GEMV (vcvtph2ps zmm) streamed q0f16 at ~21 GB/s on one core, the ymm one ~27.
template <typename Tile, typename E, int R, int C>
inline void q0_rows(const void* const* w, const void* acts, float* Y, int64_t ldy, int64_t T, int64_t n0,
                    int64_t n1, int64_t K) {
  const E* W = static_cast<const E*>(w[0]);
  const float* X = static_cast<const float*>(acts);
  if (T == 1) return q0_block<Q0TileAvx2<E>, E, 4, 1>(W, X, Y, ldy, T, n0, n1, K, 0, K);
  for (int64_t k0 = 0; k0 < K; k0 += kQ0KChunk)
    q0_block<Tile, E, R, C>(W, X, Y, ldy, T, n0, n1, K, k0, min_i(K, k0 + kQ0KChunk));
}

template <typename E>
struct Q0Avx2Variant {
  static constexpr bool kAvailable = true;
  static bool supported(uint64_t f, int64_t) { return (f & kAvx2Features) == kAvx2Features; }
  static LinearKernel kernel() { return LinearKernel{"x86-avx2-f32", nullptr, &q0_rows<Q0TileAvx2<E>, E, 4, 2>}; }
};

template <typename E>
struct Q0Avx512Variant {
  static constexpr bool kAvailable = true;
  static bool supported(uint64_t f, int64_t) { return (f & kAvx512FloatFeatures) == kAvx512FloatFeatures; }
  static LinearKernel kernel() {
    return LinearKernel{"x86-avx512-f32", nullptr, &q0_rows<Q0TileAvx512<E>, E, 4, 4>};
  }
};

}  // namespace x86

template <>
struct LinearVariant<FormatQ0F16, kLinearX86Avx2> : x86::Q0Avx2Variant<uint16_t> {};
template <>
struct LinearVariant<FormatQ0F32, kLinearX86Avx2> : x86::Q0Avx2Variant<float> {};
template <>
struct LinearVariant<FormatQ0F16, kLinearX86Avx512> : x86::Q0Avx512Variant<uint16_t> {};
template <>
struct LinearVariant<FormatQ0F32, kLinearX86Avx512> : x86::Q0Avx512Variant<float> {};
template <>
struct LinearVariant<FormatQ0BF16, kLinearX86Avx2> : x86::Q0Avx2Variant<x86::Bf16> {};
template <>
struct LinearVariant<FormatQ0BF16, kLinearX86Avx512> : x86::Q0Avx512Variant<x86::Bf16> {};

AAE_MODELLIB_END
#endif  // __x86_64__
