// Linear layers: Y[t, n] = sum_k W[n, k] X[t, k] (+ bias[n]) for T tokens, rows split across
// host threads, tokens inner so each weight row is read once per chunk. The row dot product is
// a per-format function pointer picked once in prepare (reference, or a SIMD variant).
#pragma once

#include "modellib/kernels/parallel.h"
#include "modellib/kernels/weight_format.h"
#include "modellib/kernels/x86_avx2.h"

AAE_MODELLIB_BEGIN

using DotRowFn = float (*)(const void* const* t, int64_t n, const float* x, int64_t K);

enum GemvVariant : uint32_t { kGemvReference = 0, kGemvX86Avx2 = 1 };

// Which variants exist for a format: the reference always; SIMD where written.
template <typename Format>
struct DotRowVariants {
  static uint32_t pick(uint64_t /*cpu_features*/, int64_t /*K*/) { return kGemvReference; }
  static DotRowFn get(uint32_t /*variant*/) { return &Format::dot_row; }
};

template <>
struct DotRowVariants<FormatQ4F16_1> {
  static uint32_t pick(uint64_t features, int64_t K) {
#if AAE_MODELLIB_HAVE_X86_AVX2
    const uint64_t need = AAE_CPU_X86_AVX2 | AAE_CPU_X86_FMA | AAE_CPU_X86_F16C;
    if ((features & need) == need) return kGemvX86Avx2;
#endif
    (void)features;
    (void)K;
    return kGemvReference;
  }
  static DotRowFn get(uint32_t variant) {
#if AAE_MODELLIB_HAVE_X86_AVX2
    if (variant == kGemvX86Avx2) return &dot_row_q4f16_1_avx2;
#endif
    (void)variant;
    return &FormatQ4F16_1::dot_row;
  }
};

// Row slice dequantized per step of the multi-token path: 1 KiB of stack per worker thread.
constexpr int64_t kDequantSlice = 256;

// X: [T, K] fp32, Y: [T, N] fp32 (row stride N), bias: model-dtype [N] or null.
// One token: the selected row-dot variant. Several tokens: each weight row is dequantized one
// slice at a time and applied to every token, so quantized weights are decoded once per chunk.
template <typename Format>
inline void matmul(const AaeHostApi* host, DotRowFn dot, const void* const* w, const void* bias,
                   const float* X, float* Y, int64_t T, int64_t N, int64_t K) {
  auto body = [&](int64_t begin, int64_t end) {
    float slice[kDequantSlice];
    for (int64_t n = begin; n < end; ++n) {
      const float b = bias ? load_param<Format::kHalfParams>(bias, n) : 0.0f;
      if (T == 1) {
        Y[n] = dot(w, n, X, K) + b;
        continue;
      }
      for (int64_t t = 0; t < T; ++t) Y[t * N + n] = b;
      for (int64_t k0 = 0; k0 < K; k0 += kDequantSlice) {
        const int64_t len = K - k0 < kDequantSlice ? K - k0 : kDequantSlice;
        Format::dequant_range(w, n, K, k0, len, slice);
        for (int64_t t = 0; t < T; ++t) {
          const float* x = X + t * K + k0;
          float acc = 0.0f;
          for (int64_t i = 0; i < len; ++i) acc += slice[i] * x[i];
          Y[t * N + n] += acc;
        }
      }
    }
  };
  parallel_for(host, N, body);
}

AAE_MODELLIB_END
