// aarch64 NEON variants of the unquantized formats (q0f16, q0bf16, q0f32): fp32 activations
// straight from X (no prep), fp16 weights widened exactly with vcvt_f32_f16 (FCVTL, ARMv8.0),
// bf16 weights by a 16-bit widening shift (USHLL), fp32 FMA. kHalf below is a ParamDType.
// Matches rows_reference up to float summation order (4 lanes x 2 accumulators per output,
// then a horizontal add, then the K % 8 tail in scalar).
//
// Tiles as the int8 kernels: 4 rows per activation load for decode, 4 rows x 2 tokens for
// prefill (each widened weight vector feeds 2 tokens).
#pragma once

#include "modellib/kernels/arm_neon_base.h"

#if AAE_MODELLIB_HAVE_ARM_NEON
AAE_MODELLIB_BEGIN

// 8 consecutive weights of a row as two fp32 vectors.
template <int kHalf>
AAE_ARM_INLINE void arm_load_w8(const void* row, int64_t k, float32x4_t* lo, float32x4_t* hi) {
  if (kHalf == kParamBF16) {
    const uint16x8_t b = vld1q_u16(static_cast<const uint16_t*>(row) + k);
    *lo = vreinterpretq_f32_u32(vshll_n_u16(vget_low_u16(b), 16));
    *hi = vreinterpretq_f32_u32(vshll_high_n_u16(b, 16));
  } else if (kHalf) {
    const uint16x8_t h = vld1q_u16(static_cast<const uint16_t*>(row) + k);
    *lo = vcvt_f32_f16(vreinterpret_f16_u16(vget_low_u16(h)));
    *hi = vcvt_high_f32_f16(vreinterpretq_f16_u16(h));
  } else {
    const float* w = static_cast<const float*>(row) + k;
    *lo = vld1q_f32(w);
    *hi = vld1q_f32(w + 4);
  }
}

template <int kHalf>
AAE_ARM_INLINE const void* arm_float_row(const void* base, int64_t n, int64_t K) {
  return static_cast<const char*>(base) + n * K * (kHalf ? 2 : 4);
}

// Y[t * ldy + n + r] = W[n + r, :] . X[t, :] for r < R, t0 <= t < t0 + TT.
template <int kHalf, int R, int TT>
AAE_ARM_INLINE void arm_float_tile(const void* w, const float* X, float* Y, int64_t ldy,
                                   int64_t t0, int64_t n, int64_t K) {
  const void* row[R];
  for (int r = 0; r < R; ++r) row[r] = arm_float_row<kHalf>(w, n + r, K);
  const float* x[TT];
  for (int t = 0; t < TT; ++t) x[t] = X + (t0 + t) * K;
  float32x4_t acc_lo[R][TT], acc_hi[R][TT];
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < TT; ++t) acc_lo[r][t] = acc_hi[r][t] = vdupq_n_f32(0.0f);
  int64_t k = 0;
  for (; k + 8 <= K; k += 8) {
    float32x4_t xlo[TT], xhi[TT];
    for (int t = 0; t < TT; ++t) {
      xlo[t] = vld1q_f32(x[t] + k);
      xhi[t] = vld1q_f32(x[t] + k + 4);
    }
    for (int r = 0; r < R; ++r) {
      float32x4_t wlo, whi;
      arm_load_w8<kHalf>(row[r], k, &wlo, &whi);
      for (int t = 0; t < TT; ++t) {
        acc_lo[r][t] = vfmaq_f32(acc_lo[r][t], wlo, xlo[t]);
        acc_hi[r][t] = vfmaq_f32(acc_hi[r][t], whi, xhi[t]);
      }
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int t = 0; t < TT; ++t) {
      float sum = vaddvq_f32(vaddq_f32(acc_lo[r][t], acc_hi[r][t]));
      for (int64_t kk = k; kk < K; ++kk) sum += load_param<kHalf>(row[r], kk) * x[t][kk];
      Y[(t0 + t) * ldy + n + r] = sum;
    }
  }
}

// The LinearRowsFn body: rows [n0, n1) for T tokens (w = {weight}; acts is X[T, K]).
template <int kHalf>
inline void arm_float_rows(const void* const* w, const void* acts, float* Y, int64_t ldy, int64_t T,
                           int64_t n0, int64_t n1, int64_t K) {
  const float* X = static_cast<const float*>(acts);
  constexpr int kRows = 4;
  int64_t n = n0;
  const int TT = T == 1 ? 1 : 2;
  for (; n + kRows <= n1; n += kRows) {
    int64_t t = 0;
    if (TT == 2)
      for (; t + 2 <= T; t += 2) arm_float_tile<kHalf, kRows, 2>(w[0], X, Y, ldy, t, n, K);
    for (; t < T; ++t) arm_float_tile<kHalf, kRows, 1>(w[0], X, Y, ldy, t, n, K);
  }
  for (; n < n1; ++n) {
    int64_t t = 0;
    for (; t + 2 <= T; t += 2) arm_float_tile<kHalf, 1, 2>(w[0], X, Y, ldy, t, n, K);
    for (; t < T; ++t) arm_float_tile<kHalf, 1, 1>(w[0], X, Y, ldy, t, n, K);
  }
}

template <>
struct LinearVariant<FormatQ0F16, kLinearNeon> {
  static constexpr bool kAvailable = true;
  static bool supported(uint64_t f, int64_t) { return arm_has_neon(f); }
  static LinearKernel kernel() { return LinearKernel{"arm-neon-f32", nullptr, &arm_float_rows<true>}; }
};
template <>
struct LinearVariant<FormatQ0F32, kLinearNeon> {
  static constexpr bool kAvailable = true;
  static bool supported(uint64_t f, int64_t) { return arm_has_neon(f); }
  static LinearKernel kernel() { return LinearKernel{"arm-neon-f32", nullptr, &arm_float_rows<false>}; }
};
template <>
struct LinearVariant<FormatQ0BF16, kLinearNeon> {
  static constexpr bool kAvailable = true;
  static bool supported(uint64_t f, int64_t) { return arm_has_neon(f); }
  static LinearKernel kernel() { return LinearKernel{"arm-neon-f32", nullptr, &arm_float_rows<kParamBF16>}; }
};

AAE_MODELLIB_END
#endif
