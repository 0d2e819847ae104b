// KN-layout ("_0": q4f16_0, q3f16_0) linear kernels for aarch64 NEON, the same scheme as
// x86_kn.h: 4 consecutive rows of the [N, K] weight are one 16-byte load per stored word of
// q_weight [4G, N]; each lane decodes its row's codes (mask, subtract the zero point, convert),
// one broadcast fp32 activation per k, fp32 FMA; per group the sums are multiplied by the
// group's 4 fp16 scales (FCVTL). No prep, no repacking. Ragged row ends take the reference.
#pragma once

#include "modellib/kernels/arm_neon_base.h"

#if AAE_MODELLIB_HAVE_ARM_NEON
AAE_MODELLIB_BEGIN

// Y[t0 + c, n .. n+4) for c < C, over all K.
template <typename F, int C>
AAE_ARM_INLINE void arm_kn_tile(const uint32_t* codes, const uint16_t* scales, int64_t N, const float* X,
                                int64_t K, int64_t t0, int64_t n, float* Y, int64_t ldy) {
  constexpr int kGroup = F::kPerWord * F::kWordsPerGroup;
  const uint32x4_t mask = vdupq_n_u32(F::kMask);
  const int32x4_t zero = vdupq_n_s32(F::kZero);
  const int64_t G = F::groups(K);
  float32x4_t acc[C];
  for (int c = 0; c < C; ++c) acc[c] = vdupq_n_f32(0.0f);
  for (int64_t g = 0; g < G; ++g) {
    const int64_t k_group = g * kGroup;
    const int64_t valid = K - k_group < kGroup ? K - k_group : kGroup;
    float32x4_t group_acc[C];
    for (int c = 0; c < C; ++c) group_acc[c] = vdupq_n_f32(0.0f);
    for (int j = 0; j < F::kWordsPerGroup; ++j) {
      uint32x4_t word = vld1q_u32(codes + (g * F::kWordsPerGroup + j) * N + n);
      const int64_t left = valid - j * F::kPerWord;
      const int64_t count = left < F::kPerWord ? left : F::kPerWord;
      const float* x = X + t0 * K + k_group + j * F::kPerWord;
      for (int64_t e = 0; e < count; ++e) {
        const float32x4_t w = vcvtq_f32_s32(vsubq_s32(vreinterpretq_s32_u32(vandq_u32(word, mask)), zero));
        word = vshrq_n_u32(word, F::kBits);
        for (int c = 0; c < C; ++c) group_acc[c] = vfmaq_n_f32(group_acc[c], w, x[c * K + e]);
      }
    }
    const float32x4_t s = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(scales + g * N + n)));
    for (int c = 0; c < C; ++c) acc[c] = vfmaq_f32(acc[c], group_acc[c], s);
  }
  for (int c = 0; c < C; ++c) vst1q_f32(Y + (t0 + c) * ldy + n, acc[c]);
}

// The LinearRowsFn body (w = {q_weight, q_scale, &N}; acts is X[T, K]).
template <typename F>
inline void arm_kn_rows(const void* const* w, const void* acts, float* Y, int64_t ldy, int64_t T, int64_t n0,
                        int64_t n1, int64_t K) {
  const uint32_t* codes = static_cast<const uint32_t*>(w[0]);
  const uint16_t* scales = static_cast<const uint16_t*>(w[1]);
  const int64_t N = F::row_count(w);
  const float* X = static_cast<const float*>(acts);
  int64_t n = n0;
  for (; n + 4 <= n1; n += 4) {
    int64_t t = 0;
    for (; t + 4 <= T; t += 4) arm_kn_tile<F, 4>(codes, scales, N, X, K, t, n, Y, ldy);
    for (; t < T; ++t) arm_kn_tile<F, 1>(codes, scales, N, X, K, t, n, Y, ldy);
  }
  for (; n < n1; ++n)
    for (int64_t t = 0; t < T; ++t) Y[t * ldy + n] = F::dot_row(w, n, X + t * K, K);
}

template <typename F>
struct ArmKnNeonVariant {
  static constexpr bool kAvailable = true;
  static bool supported(uint64_t f, int64_t) { return arm_has_neon(f); }
  static LinearKernel kernel() { return LinearKernel{"arm-neon-kn-f32", nullptr, &arm_kn_rows<F>}; }
};

template <>
struct LinearVariant<FormatQ4F16_0, kLinearNeon> : ArmKnNeonVariant<FormatQ4F16_0> {};
template <>
struct LinearVariant<FormatQ3F16_0, kLinearNeon> : ArmKnNeonVariant<FormatQ3F16_0> {};

AAE_MODELLIB_END
#endif
