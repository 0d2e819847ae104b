// The contract between a linear layer and its kernel variants. A variant is two functions:
//   prep(X, T, K, acts)   once per linear call, on the calling thread: turns the fp32
//                         activations X[T, K] into the variant's input (null: rows read X)
//   rows(w, acts, Y, ldy, T, n0, n1, K)
//                         Y[t * ldy + n] = sum_k W[n, k] X[t, k] for t < T, n0 <= n < n1;
//                         called concurrently on disjoint row ranges (no bias: the caller adds it)
// T == 1 is the decode GEMV, T > 1 the prefill GEMM; one function serves both so a variant
// can tile rows x tokens however suits its registers.
//
// Variants are LinearVariant<Format, id> specialisations, written per ISA in x86_*.h / arm_*.h;
// linear.h picks the best one the host's cpu_features allow, once, in prepare.
//
// Int8 activations (the "i8" variants of the group-quantized formats). Per token and per
// weight group g (kGroup elements of K; the last group zero-padded):
//   amax = max |x| over the group, d = amax / 127,
//   q[k] = round-to-nearest-even(x[k] * (127 / amax)) (0 when amax == 0), in [-127, 127],
//   corr[g] = kZero * d * sum(q over the group)
// so that sum_k W[n, k] x[k] ~= sum_g scale[n, g] * (d[g] * sum_j qw[n, g, j] q[g, j] - corr[g]),
// qw being the stored unsigned codes. Every variant quantizes exactly this way; only the order
// of q inside a group (kInGroupOrder of its prep) and float summation order may differ, so a
// SIMD variant agrees with the scalar one to float rounding.
// Layout of one token's row in `acts` (Q8Acts<kGroup>::row_bytes(K) bytes, 64-aligned parts):
//   int8 q[G * kGroup] | float d[G] | float corr[G]
#pragma once

#include "modellib/kernels/weight_format.h"
#include "modellib/support/memory.h"

AAE_MODELLIB_BEGIN

using LinearPrepFn = void (*)(const float* X, int64_t T, int64_t K, void* acts);
using LinearRowsFn = void (*)(const void* const* w, const void* acts, float* Y, int64_t ldy,
                              int64_t T, int64_t n0, int64_t n1, int64_t K);

struct LinearKernel {
  const char* name;   // e.g. "x86-avx2-i8"; logged by prepare
  LinearPrepFn prep;  // may be null
  LinearRowsFn rows;
};

// Variant ids, stored in the state header by prepare. Preference order is in linear.h.
enum LinearVariantId : uint32_t {
  kLinearReference = 0,  // exact fp32 math of weight_format.h (every format)
  kLinearScalarI8 = 1,   // int8 activations, portable C (group formats): the SIMD oracle
  kLinearX86Avx2 = 2,    // avx2 + fma + f16c
  kLinearX86Avx512 = 3,  // avx512f + bw (+ vnni where the variant says so)
  kLinearNeon = 4,       // armv8.0 NEON
  kLinearNeonDot = 5,    // NEON + dot product (sdot)
  kLinearVariantCount = 6
};

// A variant that is not written for a format: unavailable. Specialisations define
//   static constexpr bool kAvailable = true;
//   static bool supported(uint64_t cpu_features, int64_t K);  // host can run it for this K
//   static LinearKernel kernel();
template <typename Format, uint32_t kId>
struct LinearVariant {
  static constexpr bool kAvailable = false;
  static bool supported(uint64_t, int64_t) { return false; }
  static LinearKernel kernel() { return LinearKernel{"unavailable", nullptr, nullptr}; }
};

inline constexpr int64_t align64_i(int64_t n) { return (n + 63) & ~static_cast<int64_t>(63); }

// Row layout of int8 activations for groups of kGroup.
template <int kGroup>
struct Q8Acts {
  static constexpr int64_t groups(int64_t K) { return (K + kGroup - 1) / kGroup; }
  static constexpr int64_t q_bytes(int64_t K) { return align64_i(groups(K) * kGroup); }
  static constexpr int64_t row_bytes(int64_t K) { return q_bytes(K) + 2 * align64_i(groups(K) * 4); }
  static int8_t* q(void* acts, int64_t t, int64_t K) {
    return static_cast<int8_t*>(acts) + t * row_bytes(K);
  }
  static const int8_t* q(const void* acts, int64_t t, int64_t K) {
    return static_cast<const int8_t*>(acts) + t * row_bytes(K);
  }
  static float* d(void* acts, int64_t t, int64_t K) {
    return reinterpret_cast<float*>(q(acts, t, K) + q_bytes(K));
  }
  static const float* d(const void* acts, int64_t t, int64_t K) {
    return reinterpret_cast<const float*>(q(acts, t, K) + q_bytes(K));
  }
  static float* corr(void* acts, int64_t t, int64_t K) { return d(acts, t, K) + align64_i(groups(K) * 4) / 4; }
  static const float* corr(const void* acts, int64_t t, int64_t K) {
    return d(acts, t, K) + align64_i(groups(K) * 4) / 4;
  }
};

// Bytes of `acts` a Format's variants may use for T tokens of K inputs (0 for float formats).
template <typename Format>
struct ActsBytes {
  static constexpr int64_t of(int64_t, int64_t) { return 0; }
};
template <int kBits, int kGroup, int kZero, bool kHalfScale>
struct ActsBytes<GroupQuantFormat<kBits, kGroup, kZero, kHalfScale>> {
  static constexpr int64_t of(int64_t T, int64_t K) { return T * Q8Acts<kGroup>::row_bytes(K); }
};
template <>
struct ActsBytes<FormatQ4F16_1> : ActsBytes<GroupQuantFormat<4, 32, 7, true>> {};
template <>
struct ActsBytes<FormatQ4F32_1> : ActsBytes<GroupQuantFormat<4, 32, 7, false>> {};
template <>
struct ActsBytes<FormatQ3F16_1> : ActsBytes<GroupQuantFormat<3, 40, 3, true>> {};
// The KN formats reserve the same (their x86/NEON variants read fp32 activations today; the
// reservation keeps the state size one rule per quantization kind, compiler/codegen.cc).
template <>
struct ActsBytes<FormatQ4F16_0> : ActsBytes<GroupQuantFormat<4, 32, 7, true>> {};
template <>
struct ActsBytes<FormatQ3F16_0> : ActsBytes<GroupQuantFormat<3, 40, 3, true>> {};

// Nearest-even rounding of |v| < 2^22 without libm or SSE4.1 (adding 1.5 * 2^23 leaves the
// rounded integer in the low mantissa bits).
inline int32_t round_nearest_even(float v) {
  const float magic = 12582912.0f;  // 1.5 * 2^23
  volatile float shifted = v + magic;  // volatile: keep the add from being folded away
  return static_cast<int32_t>(bits_of(shifted) & 0x7fffff) - 0x400000;
}

// Quantizes one group of n <= kGroup values (natural order) into q[0..kGroup) (zero padded);
// returns d, writes the sum of q to *qsum.
template <int kGroup>
inline float quantize_group_i8(const float* x, int64_t n, int8_t* q, int32_t* qsum) {
  float amax = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    const float a = x[i] < 0 ? -x[i] : x[i];
    amax = a > amax ? a : amax;
  }
  const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
  int32_t sum = 0;
  for (int64_t i = 0; i < kGroup; ++i) {
    // The product is rounded to float before rounding to an integer: a compiler allowed to
    // contract across statements (g++'s default) would otherwise fuse it into the magic add.
    volatile float scaled = i < n ? x[i] * inv : 0.0f;
    const int32_t v = round_nearest_even(scaled);
    q[i] = static_cast<int8_t>(v);
    sum += v;
  }
  *qsum = sum;
  return amax / 127.0f;
}

// The portable prep: natural order inside each group.
template <int kGroup, int kZero>
inline void prep_q8_natural(const float* X, int64_t T, int64_t K, void* acts) {
  using A = Q8Acts<kGroup>;
  const int64_t G = A::groups(K);
  for (int64_t t = 0; t < T; ++t) {
    int8_t* q = A::q(acts, t, K);
    float* d = A::d(acts, t, K);
    float* corr = A::corr(acts, t, K);
    for (int64_t g = 0; g < G; ++g) {
      const int64_t n = K - g * kGroup < kGroup ? K - g * kGroup : kGroup;
      int32_t qsum = 0;
      d[g] = quantize_group_i8<kGroup>(X + t * K + g * kGroup, n, q + g * kGroup, &qsum);
      corr[g] = static_cast<float>(kZero) * d[g] * static_cast<float>(qsum);
    }
  }
}

// ---- the reference variant: exact fp32 math, every format ----
// Several tokens: each weight row is dequantized one slice at a time and applied to every
// token, so quantized weights are decoded once per call.
constexpr int64_t kDequantSlice = 256;

template <typename Format>
inline void rows_reference(const void* const* w, const void* acts, float* Y, int64_t ldy,
                           int64_t T, int64_t n0, int64_t n1, int64_t K) {
  const float* X = static_cast<const float*>(acts);
  float slice[kDequantSlice];
  for (int64_t n = n0; n < n1; ++n) {
    if (T == 1) {
      Y[n] = Format::dot_row(w, n, X, K);
      continue;
    }
    for (int64_t t = 0; t < T; ++t) Y[t * ldy + n] = 0.0f;
    for (int64_t k0 = 0; k0 < K; k0 += kDequantSlice) {
      const int64_t len = K - k0 < kDequantSlice ? K - k0 : kDequantSlice;
      Format::dequant_range(w, n, K, k0, len, slice);
      for (int64_t t = 0; t < T; ++t) {
        const float* x = X + t * K + k0;
        float acc = 0.0f;
        for (int64_t i = 0; i < len; ++i) acc += slice[i] * x[i];
        Y[t * ldy + n] += acc;
      }
    }
  }
}

template <typename Format>
struct LinearVariant<Format, kLinearReference> {
  static constexpr bool kAvailable = true;
  static bool supported(uint64_t, int64_t) { return true; }
  static LinearKernel kernel() { return LinearKernel{"reference", nullptr, &rows_reference<Format>}; }
};

// ---- the scalar int8 variant (group formats): the oracle every SIMD i8 variant must match ----
template <int kBits, int kGroup, int kZero, bool kHalfScale>
inline void rows_scalar_i8(const void* const* w, const void* acts, float* Y, int64_t ldy,
                           int64_t T, int64_t n0, int64_t n1, int64_t K) {
  using F = GroupQuantFormat<kBits, kGroup, kZero, kHalfScale>;
  using A = Q8Acts<kGroup>;
  const int64_t G = A::groups(K);
  for (int64_t n = n0; n < n1; ++n) {
    const uint32_t* words = static_cast<const uint32_t*>(w[0]) + n * G * F::kWordsPerGroup;
    for (int64_t t = 0; t < T; ++t) {
      const int8_t* q = A::q(acts, t, K);
      const float* d = A::d(acts, t, K);
      const float* corr = A::corr(acts, t, K);
      float acc = 0.0f;
      for (int64_t g = 0; g < G; ++g) {
        int32_t dot = 0;
        for (int i = 0; i < kGroup; ++i) {
          const uint32_t word = words[g * F::kWordsPerGroup + i / F::kPerWord];
          const int32_t code = static_cast<int32_t>((word >> (kBits * (i % F::kPerWord))) & F::kMask);
          dot += code * q[g * kGroup + i];
        }
        acc += F::scale(w, n, g, G) * (d[g] * static_cast<float>(dot) - corr[g]);
      }
      Y[t * ldy + n] = acc;
    }
  }
}

template <int kBits, int kGroup, int kZero, bool kHalfScale>
struct ScalarI8Variant {
  static constexpr bool kAvailable = true;
  static bool supported(uint64_t, int64_t) { return true; }
  static LinearKernel kernel() {
    return LinearKernel{"scalar-i8", &prep_q8_natural<kGroup, kZero>,
                        &rows_scalar_i8<kBits, kGroup, kZero, kHalfScale>};
  }
};
template <>
struct LinearVariant<FormatQ4F16_1, kLinearScalarI8> : ScalarI8Variant<4, 32, 7, true> {};
template <>
struct LinearVariant<FormatQ4F32_1, kLinearScalarI8> : ScalarI8Variant<4, 32, 7, false> {};
template <>
struct LinearVariant<FormatQ3F16_1, kLinearScalarI8> : ScalarI8Variant<3, 40, 3, true> {};

// The scalar int8 variant of the KN ("_0") formats: the same math reading the transposed codes.
template <typename F>
inline void rows_scalar_i8_kn(const void* const* w, const void* acts, float* Y, int64_t ldy, int64_t T,
                              int64_t n0, int64_t n1, int64_t K) {
  constexpr int kGroup = F::kPerWord * F::kWordsPerGroup;
  using A = Q8Acts<kGroup>;
  const int64_t G = A::groups(K), N = F::row_count(w);
  for (int64_t n = n0; n < n1; ++n) {
    for (int64_t t = 0; t < T; ++t) {
      const int8_t* q = A::q(acts, t, K);
      const float* d = A::d(acts, t, K);
      const float* corr = A::corr(acts, t, K);
      float acc = 0.0f;
      for (int64_t g = 0; g < G; ++g) {
        int32_t dot = 0;  // padding codes meet zero activations
        for (int i = 0; i < kGroup; ++i) dot += F::code(w, n, g * kGroup + i, N) * q[g * kGroup + i];
        acc += F::scale(w, n, g, N) * (d[g] * static_cast<float>(dot) - corr[g]);
      }
      Y[t * ldy + n] = acc;
    }
  }
}

template <typename F>
struct ScalarI8KnVariant {
  static constexpr bool kAvailable = true;
  static bool supported(uint64_t, int64_t) { return true; }
  static LinearKernel kernel() {
    return LinearKernel{"scalar-i8", &prep_q8_natural<F::kPerWord * F::kWordsPerGroup, F::kZero>,
                        &rows_scalar_i8_kn<F>};
  }
};
template <>
struct LinearVariant<FormatQ4F16_0, kLinearScalarI8> : ScalarI8KnVariant<FormatQ4F16_0> {};
template <>
struct LinearVariant<FormatQ3F16_0, kLinearScalarI8> : ScalarI8KnVariant<FormatQ3F16_0> {};

AAE_MODELLIB_END
