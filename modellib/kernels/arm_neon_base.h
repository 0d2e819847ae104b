// Shared pieces of the aarch64 linear kernels: the dot-product target attribute, the two int8
// multiply-accumulate policies (ARMv8.0 NEON widening multiplies, and sdot), and the NEON prep
// that quantizes activations exactly as linear_base.h specifies.
//
// How the dot-product code is compiled (clang 14 and g++ 12 both):
//   - Everything below a kernel's entry point is an always_inline template with no target
//     attribute, so one template body serves both the NEON and the dot-product variant.
//   - The dot-product entry point carries AAE_ARM_DOT_TARGET; after inlining, the sdot inline
//     asm sits inside that function, whose assembler state allows it.
//   - sdot is inline asm rather than vdotq_s32: clang 14 declares vdotq_s32 only when the whole
//     TU is built with dotprod, and both compilers reject an intrinsic that needs dotprod inside a
//     template body without the attribute (the body is checked before it is inlined).
//   - g++ 12's assembler (binutils 2.40) accepts sdot only under armv8.2-a+dotprod, not under
//     armv8-a+dotprod, hence the arch= form there.
// Baseline (ARMv8.0) code never contains sdot, so plain NEON kernels run on any AArch64 core.
#pragma once

#include "modellib/kernels/linear_base.h"
#include "sphere_aae/aae_model_lib.h"

#if defined(__aarch64__)
#include <arm_neon.h>

#define AAE_MODELLIB_HAVE_ARM_NEON 1

#if defined(__clang__)
#define AAE_ARM_DOT_TARGET __attribute__((target("dotprod")))
#else
#define AAE_ARM_DOT_TARGET __attribute__((target("arch=armv8.2-a+dotprod")))
#endif
#define AAE_ARM_INLINE __attribute__((always_inline)) inline

AAE_MODELLIB_BEGIN

// acc[i] += sum_{j<4} a[4i + j] * b[4i + j] (signed bytes). Only reachable from functions
// marked AAE_ARM_DOT_TARGET (see above).
AAE_ARM_INLINE int32x4_t arm_sdot(int32x4_t acc, int8x16_t a, int8x16_t b) {
  __asm__("sdot %0.4s, %1.16b, %2.16b" : "+w"(acc) : "w"(a), "w"(b));
  return acc;
}

// The int8 multiply-accumulate of one weight group: w[i] . a[i] over kPairs pairs of 16-byte
// vectors, returned as 4 int32 partial sums whose total is the group's dot product (how the
// products spread over the 4 lanes differs per policy and does not matter to the caller).
//
// ARMv8.0: widening multiplies into int16 lanes, then one pairwise widen to int32. Each int16
// lane takes 2 * kPairs products of an unsigned code and an int8 activation (|q| <= 127):
// q4 2 * 2 * 15 * 127 = 7620, q3 2 * 3 * 7 * 127 = 5334, both < 32767 (arm_group_tile.h
// static_asserts this per format).
struct ArmMulNeon {
  template <int kPairs>
  AAE_ARM_INLINE static int32x4_t dot(const int8x16_t* w, const int8x16_t* a) {
    int16x8_t p = vmull_s8(vget_low_s8(w[0]), vget_low_s8(a[0]));
    p = vmlal_high_s8(p, w[0], a[0]);
    for (int i = 1; i < kPairs; ++i) {
      p = vmlal_s8(p, vget_low_s8(w[i]), vget_low_s8(a[i]));
      p = vmlal_high_s8(p, w[i], a[i]);
    }
    return vpaddlq_s16(p);
  }
};

// Dot-product extension: one sdot per 16 bytes, int32 accumulation (no overflow bound needed).
struct ArmMulSdot {
  template <int kPairs>
  AAE_ARM_INLINE static int32x4_t dot(const int8x16_t* w, const int8x16_t* a) {
    int32x4_t acc = vdupq_n_s32(0);
    for (int i = 0; i < kPairs; ++i) acc = arm_sdot(acc, w[i], a[i]);
    return acc;
  }
};

// 4 group scales at p, fp16 widened exactly (FCVTL, ARMv8.0) or fp32.
template <bool kHalf>
AAE_ARM_INLINE float32x4_t arm_load_scales4(const void* p) {
  if (kHalf) return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(static_cast<const uint16_t*>(p))));
  return vld1q_f32(static_cast<const float*>(p));
}

// ---- activation prep ----
// Quantizes one whole group of kGroup floats into q[0..kGroup) in natural order, or, with
// kEvenOdd (groups of 32 only), even elements in q[0..16) and odd ones in q[16..32): that pairs
// each byte's low nibble of a q4 weight with the first 16 and its high nibble with the last 16.
// Same d and rounding as quantize_group_i8: x * (127 / amax) in fp32, then FCVTNS rounds to
// nearest even like round_nearest_even does; amax by exact max.
template <int kGroup, bool kEvenOdd>
inline float arm_quantize_group(const float* x, int8_t* q, int32_t* qsum) {
  static_assert(kGroup % 8 == 0, "groups are whole 8-lane blocks");
  static_assert(!kEvenOdd || kGroup == 32, "even/odd order is the q4 layout");
  constexpr int kChunks = kGroup / 4;
  float32x4_t v[kChunks];
  float32x4_t m = vdupq_n_f32(0.0f);
  for (int i = 0; i < kChunks; ++i) {
    v[i] = vld1q_f32(x + 4 * i);
    m = vmaxq_f32(m, vabsq_f32(v[i]));
  }
  const float amax = vmaxvq_f32(m);
  const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
  int16x8_t h[kChunks / 2];
  int32x4_t sum = vdupq_n_s32(0);
  for (int i = 0; i < kChunks; i += 2) {
    const int32x4_t a = vcvtnq_s32_f32(vmulq_n_f32(v[i], inv));
    const int32x4_t b = vcvtnq_s32_f32(vmulq_n_f32(v[i + 1], inv));
    sum = vaddq_s32(sum, vaddq_s32(a, b));
    h[i / 2] = vcombine_s16(vmovn_s32(a), vmovn_s32(b));
  }
  int i = 0;
  if (kEvenOdd) {
    const int8x16_t lo = vcombine_s8(vmovn_s16(h[0]), vmovn_s16(h[1]));  // elements 0..15
    const int8x16_t hi = vcombine_s8(vmovn_s16(h[2]), vmovn_s16(h[3]));  // elements 16..31
    vst1q_s8(q, vuzp1q_s8(lo, hi));
    vst1q_s8(q + 16, vuzp2q_s8(lo, hi));
    i = kChunks / 2;
  }
  for (; i + 1 < kChunks / 2; i += 2) vst1q_s8(q + 8 * i, vcombine_s8(vmovn_s16(h[i]), vmovn_s16(h[i + 1])));
  if (i < kChunks / 2) vst1_s8(q + 8 * i, vmovn_s16(h[i]));
  *qsum = vaddvq_s32(sum);
  return amax / 127.0f;
}

// The prep of the aarch64 i8 variants: Q8Acts<kGroup> rows for X[T, K], whole groups in NEON,
// a ragged last group through the portable quantize_group_i8 (then reordered like the rest).
template <int kGroup, int kZero, bool kEvenOdd>
inline void prep_q8_neon(const float* X, int64_t T, int64_t K, void* acts) {
  using A = Q8Acts<kGroup>;
  const int64_t G = A::groups(K), full = K / kGroup;
  for (int64_t t = 0; t < T; ++t) {
    const float* x = X + t * K;
    int8_t* q = A::q(acts, t, K);
    float* d = A::d(acts, t, K);
    float* corr = A::corr(acts, t, K);
    for (int64_t g = 0; g < G; ++g) {
      int32_t qsum = 0;
      if (g < full) {
        d[g] = arm_quantize_group<kGroup, kEvenOdd>(x + g * kGroup, q + g * kGroup, &qsum);
      } else {
        int8_t natural[kGroup];
        d[g] = quantize_group_i8<kGroup>(x + g * kGroup, K - g * kGroup, natural, &qsum);
        for (int i = 0; i < kGroup; ++i) {
          const int src = kEvenOdd ? (i < kGroup / 2 ? 2 * i : 2 * (i - kGroup / 2) + 1) : i;
          q[g * kGroup + i] = natural[src];
        }
      }
      corr[g] = static_cast<float>(kZero) * d[g] * static_cast<float>(qsum);
    }
  }
}

inline bool arm_has_neon(uint64_t features) { return (features & AAE_CPU_ARM_NEON) != 0; }
inline bool arm_has_dot(uint64_t features) {
  const uint64_t need = AAE_CPU_ARM_NEON | AAE_CPU_ARM_DOTPROD;
  return (features & need) == need;
}

AAE_MODELLIB_END

#else
#define AAE_MODELLIB_HAVE_ARM_NEON 0
#endif
