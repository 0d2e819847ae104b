// IEEE binary16 <-> binary32 by bit operations. No __fp16 / _Float16 arithmetic: clang 14
// cannot use _Float16 on x86 and __fp16 pulls compiler-rt helpers (__gnu_h2f_ieee) on some
// targets. Rounding to half is round-to-nearest, ties to even.
#pragma once

#include "modellib/support/base.h"

AAE_MODELLIB_BEGIN

inline uint32_t bits_of(float f) {
  union {
    float f;
    uint32_t u;
  } v;
  v.f = f;
  return v.u;
}

inline float float_of(uint32_t u) {
  union {
    float f;
    uint32_t u;
  } v;
  v.u = u;
  return v.f;
}

inline float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0x1f) return float_of(sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0) {
    if (mantissa == 0) return float_of(sign);
    exponent = 127 - 15 + 1;  // subnormal half: normalise
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    return float_of(sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13));
  }
  return float_of(sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
}

inline uint16_t float_to_half(float f) {
  const uint32_t u = bits_of(f);
  const uint32_t sign = (u >> 16) & 0x8000u;
  const uint32_t abs = u & 0x7fffffffu;
  if (abs >= 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // >= 65520 -> inf
  if (abs < 0x38800000u) {                                              // half subnormal or zero
    if (abs < 0x33000000u) return static_cast<uint16_t>(sign);
    const uint32_t shift = 126 - (abs >> 23);
    const uint32_t mantissa = (abs & 0x7fffffu) | 0x800000u;
    uint32_t r = mantissa >> shift;
    const uint32_t rem = mantissa & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (r & 1u))) ++r;
    return static_cast<uint16_t>(sign | r);
  }
  uint32_t r = ((abs - 0x38000000u) >> 13);  // rebias exponent 127 -> 15
  const uint32_t rem = abs & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (r & 1u))) ++r;
  return static_cast<uint16_t>(sign | r);
}

// Round-trips through half: the value an fp16 store would keep.
inline float round_to_half(float f) { return half_to_float(float_to_half(f)); }

// bfloat16 is the top half of a binary32, so widening is a 16-bit shift (exact).
inline float bf16_to_float(uint16_t b) { return float_of(static_cast<uint32_t>(b) << 16); }

AAE_MODELLIB_END
