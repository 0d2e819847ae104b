// Linear layers: Y[t, n] = sum_k W[n, k] X[t, k] (+ bias[n]). The variant (reference, scalar
// int8, or a SIMD one from x86_*.h / arm_*.h) is picked once in prepare from the host's
// cpu_features; each call preps the activations on the calling thread, then splits the rows
// over the host's threads in blocks of kRowBlock so SIMD variants can work on whole row tiles.
#pragma once

#include "modellib/kernels/arm_kernels.h"
#include "modellib/kernels/linear_base.h"
#include "modellib/kernels/parallel.h"
#include "modellib/kernels/x86_kernels.h"

AAE_MODELLIB_BEGIN

constexpr int64_t kRowBlock = 16;

template <typename Format>
struct LinearKernels {
  template <uint32_t kId>
  static bool usable(uint64_t features, int64_t K) {
    return LinearVariant<Format, kId>::kAvailable && LinearVariant<Format, kId>::supported(features, K);
  }
  // The fastest variant the host can run for every K in ks (callers pass each linear's K; a
  // variant whose shape rules reject any of them is skipped).
  static uint32_t pick(uint64_t features, const int64_t* ks, int n_ks) {
    auto all = [&](bool (*ok)(uint64_t, int64_t)) {
      for (int i = 0; i < n_ks; ++i)
        if (!ok(features, ks[i])) return false;
      return true;
    };
    if (all(&usable<kLinearX86Avx512>)) return kLinearX86Avx512;
    if (all(&usable<kLinearX86Avx2>)) return kLinearX86Avx2;
    if (all(&usable<kLinearNeonDot>)) return kLinearNeonDot;
    if (all(&usable<kLinearNeon>)) return kLinearNeon;
    return kLinearReference;
  }
  static LinearKernel get(uint32_t id) {
    switch (id) {
      case kLinearScalarI8: return LinearVariant<Format, kLinearScalarI8>::kernel();
      case kLinearX86Avx2: return LinearVariant<Format, kLinearX86Avx2>::kernel();
      case kLinearX86Avx512: return LinearVariant<Format, kLinearX86Avx512>::kernel();
      case kLinearNeon: return LinearVariant<Format, kLinearNeon>::kernel();
      case kLinearNeonDot: return LinearVariant<Format, kLinearNeonDot>::kernel();
      default: return LinearVariant<Format, kLinearReference>::kernel();
    }
  }
  static bool supported(uint32_t id, uint64_t features, int64_t K) {
    switch (id) {
      case kLinearReference: return true;
      case kLinearScalarI8: return usable<kLinearScalarI8>(features, K);
      case kLinearX86Avx2: return usable<kLinearX86Avx2>(features, K);
      case kLinearX86Avx512: return usable<kLinearX86Avx512>(features, K);
      case kLinearNeon: return usable<kLinearNeon>(features, K);
      case kLinearNeonDot: return usable<kLinearNeonDot>(features, K);
      default: return false;
    }
  }
  static bool available(uint32_t id) {
    switch (id) {
      case kLinearReference: return true;
      case kLinearScalarI8: return LinearVariant<Format, kLinearScalarI8>::kAvailable;
      case kLinearX86Avx2: return LinearVariant<Format, kLinearX86Avx2>::kAvailable;
      case kLinearX86Avx512: return LinearVariant<Format, kLinearX86Avx512>::kAvailable;
      case kLinearNeon: return LinearVariant<Format, kLinearNeon>::kAvailable;
      case kLinearNeonDot: return LinearVariant<Format, kLinearNeonDot>::kAvailable;
      default: return false;
    }
  }
};

// X: [T, K] fp32; Y: [T, N] fp32 (row stride N); bias: model-dtype [N] or null; acts: scratch of
// ActsBytes<Format>::of(T, K) bytes, 64-aligned (unused by variants without prep).
// w: the format's Format::kTensors parameter pointers; KN formats also get &N appended here.
template <typename Format>
inline void linear(const AaeHostApi* host, const LinearKernel& kernel, const void* const* w_params,
                   const void* bias, const float* X, float* Y, int64_t T, int64_t N, int64_t K,
                   void* acts) {
  const void* const* w = w_params;
  const void* with_rows[3] = {nullptr, nullptr, &N};
  if constexpr (AppendsRowCount<Format>::value) {
    with_rows[0] = w_params[0];
    with_rows[1] = w_params[1];
    w = with_rows;
  }
  const void* input = X;
  if (kernel.prep != nullptr) {
    kernel.prep(X, T, K, acts);
    input = acts;
  }
  auto body = [&](int64_t begin, int64_t end) {
    const int64_t n0 = begin * kRowBlock, n1 = end * kRowBlock < N ? end * kRowBlock : N;
    kernel.rows(w, input, Y, N, T, n0, n1, K);
    if (bias == nullptr) return;
    for (int64_t t = 0; t < T; ++t)
      for (int64_t n = n0; n < n1; ++n) Y[t * N + n] += load_param<Format::kParamDType>(bias, n);
  };
  parallel_for(host, (N + kRowBlock - 1) / kRowBlock, body);
}

AAE_MODELLIB_END
