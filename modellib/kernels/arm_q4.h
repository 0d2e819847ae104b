// aarch64 variants of the 4-bit group formats (q4f16_1, q4f32_1): kLinearNeon (ARMv8.0
// widening multiplies) and kLinearNeonDot (sdot), both on int8 activations.
//
// One group = 32 codes in 16 bytes (4 little-endian words, 8 nibbles each, lowest first), so
// byte m holds element 2m in its low nibble and 2m + 1 in its high nibble. The prep stores each
// group's activations as even elements then odd elements, so `bytes & 0xf` pairs with the first
// 16 activations and `bytes >> 4` with the last 16: no shuffles in the inner loop. The zero
// point 7 is not subtracted per element; it comes back through corr (linear_base.h).
#pragma once

#include "modellib/kernels/arm_group_tile.h"

#if AAE_MODELLIB_HAVE_ARM_NEON
AAE_MODELLIB_BEGIN

struct ArmQ4Unpack {
  static constexpr int kGroup = 32, kWordsPerGroup = 4, kPairs = 2, kMaxCode = 15;
  AAE_ARM_INLINE static void weights(const uint32_t* words, int8x16_t* w) {
    const uint8x16_t raw = vld1q_u8(reinterpret_cast<const uint8_t*>(words));
    w[0] = vreinterpretq_s8_u8(vandq_u8(raw, vdupq_n_u8(0x0f)));  // elements 0, 2, ..., 30
    w[1] = vreinterpretq_s8_u8(vshrq_n_u8(raw, 4));               // elements 1, 3, ..., 31
  }
  AAE_ARM_INLINE static void acts(const int8_t* q, int8x16_t* a) {
    a[0] = vld1q_s8(q);
    a[1] = vld1q_s8(q + 16);
  }
};

inline void rows_q4f16_1_neon(const void* const* w, const void* acts, float* Y, int64_t ldy,
                              int64_t T, int64_t n0, int64_t n1, int64_t K) {
  arm_group_rows<ArmQ4Unpack, ArmMulNeon, true>(w, acts, Y, ldy, T, n0, n1, K);
}
AAE_ARM_DOT_TARGET inline void rows_q4f16_1_dot(const void* const* w, const void* acts, float* Y,
                                                int64_t ldy, int64_t T, int64_t n0, int64_t n1,
                                                int64_t K) {
  arm_group_rows<ArmQ4Unpack, ArmMulSdot, true>(w, acts, Y, ldy, T, n0, n1, K);
}
inline void rows_q4f32_1_neon(const void* const* w, const void* acts, float* Y, int64_t ldy,
                              int64_t T, int64_t n0, int64_t n1, int64_t K) {
  arm_group_rows<ArmQ4Unpack, ArmMulNeon, false>(w, acts, Y, ldy, T, n0, n1, K);
}
AAE_ARM_DOT_TARGET inline void rows_q4f32_1_dot(const void* const* w, const void* acts, float* Y,
                                                int64_t ldy, int64_t T, int64_t n0, int64_t n1,
                                                int64_t K) {
  arm_group_rows<ArmQ4Unpack, ArmMulSdot, false>(w, acts, Y, ldy, T, n0, n1, K);
}

// Activations for both q4 formats: groups of 32, zero point 7, even/odd order.
constexpr LinearPrepFn kArmQ4Prep = &prep_q8_neon<32, 7, true>;

template <>
struct LinearVariant<FormatQ4F16_1, kLinearNeon> {
  static constexpr bool kAvailable = true;
  static bool supported(uint64_t f, int64_t) { return arm_has_neon(f); }
  static LinearKernel kernel() { return LinearKernel{"arm-neon-i8", kArmQ4Prep, &rows_q4f16_1_neon}; }
};
template <>
struct LinearVariant<FormatQ4F16_1, kLinearNeonDot> {
  static constexpr bool kAvailable = true;
  static bool supported(uint64_t f, int64_t) { return arm_has_dot(f); }
  static LinearKernel kernel() { return LinearKernel{"arm-neon-dot-i8", kArmQ4Prep, &rows_q4f16_1_dot}; }
};
template <>
struct LinearVariant<FormatQ4F32_1, kLinearNeon> {
  static constexpr bool kAvailable = true;
  static bool supported(uint64_t f, int64_t) { return arm_has_neon(f); }
  static LinearKernel kernel() { return LinearKernel{"arm-neon-i8", kArmQ4Prep, &rows_q4f32_1_neon}; }
};
template <>
struct LinearVariant<FormatQ4F32_1, kLinearNeonDot> {
  static constexpr bool kAvailable = true;
  static bool supported(uint64_t f, int64_t) { return arm_has_dot(f); }
  static LinearKernel kernel() { return LinearKernel{"arm-neon-dot-i8", kArmQ4Prep, &rows_q4f32_1_dot}; }
};

AAE_MODELLIB_END
#endif
