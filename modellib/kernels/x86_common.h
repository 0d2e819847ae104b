// Shared pieces of the x86-64 linear kernels: the target attributes, the feature masks that
// gate them, horizontal sums, and the int8 activation prep of the 4-bit formats.
//
// The library's baseline ISA is plain x86-64, so every SIMD function carries its own
// __attribute__((target)); it is only reached after prepare saw the matching AAE_CPU_* bits.
// The AVX-512 kernels use 512-bit registers only (no AVX512VL), so the 128/256-bit helpers they
// share with the AVX2 kernels are VEX-encoded AVX2/F16C code and the VL bit is not required.
#pragma once

#include "modellib/kernels/linear_base.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "sphere_aae/aae_model_lib.h"

#define AAE_X86_AVX2 __attribute__((target("avx2,fma,f16c")))
#define AAE_X86_AVX512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vnni")))

AAE_MODELLIB_BEGIN
namespace x86 {

constexpr uint64_t kAvx2Features = AAE_CPU_X86_AVX2 | AAE_CPU_X86_FMA | AAE_CPU_X86_F16C;
// The int8 kernels need BW (byte shifts) and VNNI (vpdpbusd); the float ones only F.
constexpr uint64_t kAvx512FloatFeatures = kAvx2Features | AAE_CPU_X86_AVX512F;
constexpr uint64_t kAvx512Features = kAvx512FloatFeatures | AAE_CPU_X86_AVX512BW | AAE_CPU_X86_AVX512VNNI;

inline int64_t min_i(int64_t a, int64_t b) { return a < b ? a : b; }

// Weight prefetch, measured on Zen 5 decode: rows are contiguous, so an R-row tile is one
// block of R * row_bytes and the hardware streamers restart at every block; prefetching the
// same offset kPrefetchTiles = 2 tiles ahead into L2 (T1) took a q4 GEMV from ~9 to ~18 GB/s
// on one core, where prefetching one tile ahead into L1 (T0) gained under 10%.
// Prefetches past the weight's end are harmless (they never fault); the address is formed
// as an integer so no out-of-range pointer is ever computed.
constexpr int64_t kPrefetchTiles = 2;
inline void prefetch_ahead(const void* p, int64_t bytes) {
  _mm_prefetch(reinterpret_cast<const char*>(reinterpret_cast<uintptr_t>(p) + static_cast<uintptr_t>(bytes)),
               _MM_HINT_T1);
}

AAE_X86_AVX2 inline float hsum(__m256 v) {
  __m128 lo = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
  return _mm_cvtss_f32(lo);
}

AAE_X86_AVX512 inline float hsum(__m512 v) {
  const __m512 halves = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, 0x4e));  // lanes 0-7 += 8-15
  return hsum(_mm512_castps512_ps256(halves));
}

// Two unaligned 16-byte loads into the low and high lanes of a ymm.
AAE_X86_AVX2 inline __m256i load_2x128(const void* lo, const void* hi) {
  return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128(static_cast<const __m128i*>(lo))),
                                 _mm_loadu_si128(static_cast<const __m128i*>(hi)), 1);
}

// ---- int8 activations of the 4-bit formats (groups of 32), in the "evens then odds" order ----
// A q4 weight group is 16 bytes; byte b holds elements 2b (low nibble) and 2b+1 (high nibble).
// Storing a group's activations as [x0 x2 .. x30 | x1 x3 .. x31] lets a kernel use the masked
// low nibbles against the first 16 bytes and the shifted high nibbles against the last 16,
// with no per-element shuffle of the weights.
// In-group position p holds element q4_element_at(p) of the group.
inline int q4_element_at(int p) { return p < 16 ? 2 * p : 2 * (p - 16) + 1; }

// Quantizes 32 floats with inverse scale `inv` exactly as quantize_group_i8 does (x * inv,
// rounded to nearest even: the MXCSR default of cvtps2dq); returns the codes in natural order
// and adds their sum to *sum.
AAE_X86_AVX2 inline __m256i quantize_32(const float* x, float inv, int32_t* sum) {
  const __m256 vinv = _mm256_set1_ps(inv);
  const __m256i a = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x), vinv));
  const __m256i b = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 8), vinv));
  const __m256i c = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 16), vinv));
  const __m256i d = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 24), vinv));
  const __m256i s8 = _mm256_add_epi32(_mm256_add_epi32(a, b), _mm256_add_epi32(c, d));
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(s8), _mm256_extracti128_si256(s8, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  *sum += _mm_cvtsi128_si32(s);
  // The packs leave lane 0 holding elements 0-3, 8-11, 16-19, 24-27 and lane 1 holding 4-7,
  // 12-15, 20-23, 28-31 (values are within [-127, 127], so nothing saturates); the dword
  // permute restores natural order.
  const __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
  return _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// Quantizes 8 floats (natural order) into the low 8 bytes of the result; adds their sum to *sum.
AAE_X86_AVX2 inline __m128i quantize_8(const float* x, float inv, int32_t* sum) {
  const __m256i a = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x), _mm256_set1_ps(inv)));
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  *sum += _mm_cvtsi128_si32(s);
  const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
  return _mm_packs_epi16(w, w);
}

// The q4 order of one full group: 32 codes, evens then odds; returns their sum.
AAE_X86_AVX2 inline int32_t quantize_32_evens_odds(const float* x, float inv, int8_t* q) {
  int32_t sum = 0;
  const __m256i natural = quantize_32(x, inv, &sum);
  // Per 16-byte lane, evens then odds; then [evens lane0, evens lane1, odds lane0, odds lane1].
  const __m256i split = _mm256_shuffle_epi8(
      natural, _mm256_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15, 0, 2, 4, 6, 8, 10,
                                12, 14, 1, 3, 5, 7, 9, 11, 13, 15));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(q), _mm256_permute4x64_epi64(split, 0xd8));
  return sum;
}

// max |x| over n8 * 8 floats (n8 >= 1).
AAE_X86_AVX2 inline float abs_max(const float* x, int n8) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 m = _mm256_andnot_ps(sign, _mm256_loadu_ps(x));
  for (int i = 1; i < n8; ++i) m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + 8 * i)));
  __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  h = _mm_max_ps(h, _mm_movehl_ps(h, h));
  h = _mm_max_ss(h, _mm_shuffle_ps(h, h, 1));
  return _mm_cvtss_f32(h);
}

// prep of the q4 formats: X [T, K] fp32 -> Q8Acts<32> rows in the evens-then-odds order.
// Full groups are vectorized; a ragged last group goes through the scalar quantizer and is
// then reordered, so every group is quantized exactly as prep_q8_natural does.
template <int kZero>
AAE_X86_AVX2 void prep_q4_evens_odds(const float* X, int64_t T, int64_t K, void* acts) {
  using A = Q8Acts<32>;
  const int64_t G = A::groups(K), full = K / 32;
  for (int64_t t = 0; t < T; ++t) {
    const float* x = X + t * K;
    int8_t* q = A::q(acts, t, K);
    float* d = A::d(acts, t, K);
    float* corr = A::corr(acts, t, K);
    for (int64_t g = 0; g < full; ++g) {
      const float amax = abs_max(x + g * 32, 4);
      const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
      const int32_t qsum = quantize_32_evens_odds(x + g * 32, inv, q + g * 32);
      d[g] = amax / 127.0f;
      corr[g] = static_cast<float>(kZero) * d[g] * static_cast<float>(qsum);
    }
    for (int64_t g = full; g < G; ++g) {
      int8_t natural[32];
      int32_t qsum = 0;
      d[g] = quantize_group_i8<32>(x + g * 32, K - g * 32, natural, &qsum);
      corr[g] = static_cast<float>(kZero) * d[g] * static_cast<float>(qsum);
      for (int p = 0; p < 32; ++p) q[g * 32 + p] = natural[q4_element_at(p)];
    }
  }
}

// One q4 group (16 bytes of codes) against its evens-then-odds activations, exactly in ints:
// the tail path of the SIMD kernels (groups left over after the last full SIMD step).
inline float q4_group_scalar(const uint8_t* codes, const int8_t* q, float d, float corr, float scale) {
  int32_t dot = 0;
  for (int b = 0; b < 16; ++b) dot += (codes[b] & 15) * q[b] + (codes[b] >> 4) * q[16 + b];
  return scale * (d * static_cast<float>(dot) - corr);
}

}  // namespace x86
AAE_MODELLIB_END

#endif  // __x86_64__
