// aarch64 variants of q3f16_1: kLinearNeon and kLinearNeonDot on int8 activations.
//
// One group = 40 three-bit codes in 4 little-endian words (10 codes per word at bits 3i..3i+2,
// top 2 bits unused) = 16 bytes. Unpacking keeps natural element order, so the prep is the
// plain natural-order one. Element e = 10j + i (word j, code i) starts at bit 3i of word j, i.e.
// byte b = 3i / 8 of the word at shift 3i - 8b, and never reaches past that byte's successor.
// So per 8 elements: one table lookup gathers the byte pair (b, b + 1) of each element into a
// 16-bit lane, one per-lane shift right aligns its code, and a byte narrow + `& 7` leaves it
// in a byte: 5 lookups + 5 shifts + 3 narrows + 3 ands per 40 codes. (The pair's second byte can
// be the next word's first byte, or index 16 for the last code of word 3; the lookup returns 0
// there, and either way those bits are above the code and masked off.)
#pragma once

#include "modellib/kernels/arm_group_tile.h"

#if AAE_MODELLIB_HAVE_ARM_NEON
AAE_MODELLIB_BEGIN

// Lookup indices and shifts of the 5 blocks of 8 elements (see above), built at compile time.
struct ArmQ3Tables {
  uint8_t index[5][16];  // bytes 2l, 2l+1: the byte pair holding element 8v + l
  int16_t shift[5][8];   // minus the code's bit offset in that pair (vshl shifts right)
  constexpr ArmQ3Tables() : index(), shift() {
    for (int v = 0; v < 5; ++v) {
      for (int l = 0; l < 8; ++l) {
        const int e = 8 * v + l, j = e / 10, i = e % 10, b = 3 * i / 8;
        const int first = 4 * j + b;
        index[v][2 * l] = static_cast<uint8_t>(first);
        index[v][2 * l + 1] = static_cast<uint8_t>(first + 1 < 16 ? first + 1 : 0xff);
        shift[v][l] = static_cast<int16_t>(-(3 * i - 8 * b));
      }
    }
  }
};
constexpr ArmQ3Tables kArmQ3Tables{};

struct ArmQ3Unpack {
  static constexpr int kGroup = 40, kWordsPerGroup = 4, kPairs = 3, kMaxCode = 7;
  AAE_ARM_INLINE static void weights(const uint32_t* words, int8x16_t* w) {
    const uint8x16_t raw = vld1q_u8(reinterpret_cast<const uint8_t*>(words));
    uint16x8_t v[5];
    for (int i = 0; i < 5; ++i) {
      const uint8x16_t pairs = vqtbl1q_u8(raw, vld1q_u8(kArmQ3Tables.index[i]));
      v[i] = vshlq_u16(vreinterpretq_u16_u8(pairs), vld1q_s16(kArmQ3Tables.shift[i]));
    }
    const uint8x16_t seven = vdupq_n_u8(7);
    // vuzp1q_u8 keeps the low byte of each 16-bit lane: elements 0..15 and 16..31.
    const uint8x16_t c0 = vuzp1q_u8(vreinterpretq_u8_u16(v[0]), vreinterpretq_u8_u16(v[1]));
    const uint8x16_t c1 = vuzp1q_u8(vreinterpretq_u8_u16(v[2]), vreinterpretq_u8_u16(v[3]));
    const uint8x16_t c2 = vcombine_u8(vmovn_u16(v[4]), vdup_n_u8(0));  // elements 32..39, then 0
    w[0] = vreinterpretq_s8_u8(vandq_u8(c0, seven));
    w[1] = vreinterpretq_s8_u8(vandq_u8(c1, seven));
    w[2] = vreinterpretq_s8_u8(vandq_u8(c2, seven));
  }
  AAE_ARM_INLINE static void acts(const int8_t* q, int8x16_t* a) {
    a[0] = vld1q_s8(q);
    a[1] = vld1q_s8(q + 16);
    a[2] = vcombine_s8(vld1_s8(q + 32), vdup_n_s8(0));  // 8 bytes: never reads the next group
  }
};

inline void rows_q3f16_1_neon(const void* const* w, const void* acts, float* Y, int64_t ldy,
                              int64_t T, int64_t n0, int64_t n1, int64_t K) {
  arm_group_rows<ArmQ3Unpack, ArmMulNeon, true>(w, acts, Y, ldy, T, n0, n1, K);
}
AAE_ARM_DOT_TARGET inline void rows_q3f16_1_dot(const void* const* w, const void* acts, float* Y,
                                                int64_t ldy, int64_t T, int64_t n0, int64_t n1,
                                                int64_t K) {
  arm_group_rows<ArmQ3Unpack, ArmMulSdot, true>(w, acts, Y, ldy, T, n0, n1, K);
}

constexpr LinearPrepFn kArmQ3Prep = &prep_q8_neon<40, 3, false>;

template <>
struct LinearVariant<FormatQ3F16_1, kLinearNeon> {
  static constexpr bool kAvailable = true;
  static bool supported(uint64_t f, int64_t) { return arm_has_neon(f); }
  static LinearKernel kernel() { return LinearKernel{"arm-neon-i8", kArmQ3Prep, &rows_q3f16_1_neon}; }
};
template <>
struct LinearVariant<FormatQ3F16_1, kLinearNeonDot> {
  static constexpr bool kAvailable = true;
  static bool supported(uint64_t f, int64_t) { return arm_has_dot(f); }
  static LinearKernel kernel() { return LinearKernel{"arm-neon-dot-i8", kArmQ3Prep, &rows_q3f16_1_dot}; }
};

AAE_MODELLIB_END
#endif
