// Portable 4-wide float vectors (GCC/Clang vector extensions): SSE2 on baseline x86-64, NEON on
// aarch64, with no ISA-specific code and no library calls. Used where the work is small enough
// that a baseline-ISA vector loop is all it needs (attention over the KV cache).
#pragma once

#include "modellib/support/fp16.h"

AAE_MODELLIB_BEGIN

typedef float F32x4 __attribute__((vector_size(16)));
typedef uint32_t U32x4 __attribute__((vector_size(16)));
typedef uint16_t U16x4 __attribute__((vector_size(8)));
// Unaligned, aliasing-safe views for loads and stores from plain arrays.
typedef float F32x4u __attribute__((vector_size(16), aligned(4), may_alias));
typedef uint16_t U16x4u __attribute__((vector_size(8), aligned(2), may_alias));

inline F32x4 load4(const float* p) { return *reinterpret_cast<const F32x4u*>(p); }
inline void store4(float* p, F32x4 v) { *reinterpret_cast<F32x4u*>(p) = v; }

// Four fp16 values widened exactly (normals, subnormals, zeros, inf and NaN), as half_to_float:
// the exponent and mantissa shifted into float position and rescaled by 2^112 (which also
// normalises subnormals), with inf/NaN patched to an all-ones exponent.
inline F32x4 load4(const uint16_t* p) {
  // Casts between vector types of the same size reinterpret the bits (vector extension rules).
  const U32x4 h = __builtin_convertvector(*reinterpret_cast<const U16x4u*>(p), U32x4);
  const F32x4 scaled = (F32x4)((h & 0x7fffu) << 13) * 5.192296858534828e33f;  // 2^112
  const U32x4 special = (U32x4)((h & 0x7c00u) == 0x7c00u);  // all-ones lanes for inf / NaN
  U32x4 bits = ((U32x4)scaled & ~special) | (special & (0x7f800000u | ((h & 0x3ffu) << 13)));
  bits |= (h & 0x8000u) << 16;
  return (F32x4)bits;
}

inline float hsum4(F32x4 v) { return (v[0] + v[1]) + (v[2] + v[3]); }

inline F32x4 splat4(float v) { return F32x4{v, v, v, v}; }

// Lane-wise choice: mask lanes all-ones take a, zero lanes take b.
inline F32x4 select4(U32x4 mask, F32x4 a, F32x4 b) {
  return (F32x4)(((U32x4)a & mask) | ((U32x4)b & ~mask));
}

inline F32x4 max4(F32x4 a, F32x4 b) { return select4((U32x4)(a > b), a, b); }

// e^x, four lanes, relative error about 1e-7 (float rounding): x = n ln2 + r with n rounded to
// nearest (|r| <= ln2/2), ln2 split in two so r is exact, e^r by a degree-6 polynomial
// (Cephes-style minimax coefficients), then 2^n put into the exponent bits. Lanes below -87.3
// give 0, above 88.7 give +inf, NaN stays NaN.
inline F32x4 exp4(F32x4 x) {
  const U32x4 under = (U32x4)(x < splat4(-87.33654f)), over = (U32x4)(x > splat4(88.72284f));
  const U32x4 nan = (U32x4)(x != x);
  const F32x4 xc = select4(under | over | nan, splat4(0.0f), x);
  const F32x4 magic = splat4(12582912.0f);  // 1.5 * 2^23: adding it rounds to an integer
  const F32x4 n = (xc * 1.44269504088896341f + magic) - magic;
  F32x4 r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  F32x4 p = splat4(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const F32x4 e = p * r * r + r + 1.0f;
  typedef int32_t I32x4 __attribute__((vector_size(16)));
  const I32x4 ni = __builtin_convertvector(n, I32x4);
  // 2^n as 2^a * 2^(n-a), a = n/2: n spans [-126, 128] near the range ends, past what one
  // float exponent field holds at either end.
  const I32x4 a = ni >> 1;
  F32x4 y = e * (F32x4)((U32x4)(a + 127) << 23) * (F32x4)((U32x4)(ni - a + 127) << 23);
  y = select4(under, splat4(0.0f), y);
  y = select4(over, splat4(__builtin_inff()), y);
  return select4(nan, x, y);
}

// Scalar e^x with the same algorithm (so vector bodies and scalar tails agree).
inline float exp1(float x) { return exp4(splat4(x))[0]; }

// sum_d a[d] * b[d] for n % 4 == 0 (b float or fp16 bits).
template <typename B>
inline float dot4(const float* a, const B* b, int64_t n) {
  F32x4 acc0 = {0, 0, 0, 0}, acc1 = {0, 0, 0, 0};
  int64_t d = 0;
  for (; d + 8 <= n; d += 8) {
    acc0 += load4(a + d) * load4(b + d);
    acc1 += load4(a + d + 4) * load4(b + d + 4);
  }
  for (; d < n; d += 4) acc0 += load4(a + d) * load4(b + d);
  return hsum4(acc0 + acc1);
}

// out[d] += w * b[d] for n % 4 == 0.
template <typename B>
inline void axpy4(float* out, float w, const B* b, int64_t n) {
  const F32x4 wv = {w, w, w, w};
  for (int64_t d = 0; d < n; d += 4) store4(out + d, load4(out + d) + wv * load4(b + d));
}

AAE_MODELLIB_END
