// Weight formats of a linear layer (and of the embedding table), as tag types. Each tag says
// how many tensors one linear uses (in metadata order: weight, or q_weight then q_scale), the
// dtype of unquantized parameters (norm weights, biases), and gives the reference math:
//   dot_row(t, n, x, K)      = sum_k W[n, k] * x[k]   (fp32 accumulation)
//   dequant_row(t, n, out, K)  writes W[n, 0..K) as float
//   dequant_range(t, n, K, k0, len, out)  writes W[n, k0..k0+len) as float
// Layouts (row n of an [N, K] weight):
//   q0f32    float  [N, K]
//   q0f16    fp16   [N, K]
//   q4f16_1  q_weight uint32 [N, 4*G], q_scale fp16 [N, G], G = ceil(K/32); element k is
//            nibble k%8 (lowest first) of word k/8; value = (nibble - 7) * scale[k/32]
//   q4f32_1  as q4f16_1 with float scales
//   q3f16_1  q_weight uint32 [N, 4*G], q_scale fp16 [N, G], G = ceil(K/40); 10 three-bit
//            values per word (bits 3i..3i+2, lowest first, top 2 bits unused), 4 words per
//            group; value = (q - 3) * scale[k/40]. The top 2 bits are zero (MLC's packing and
//            ours), and SIMD kernels may rely on that.
//   q0bf16   bfloat16 [N, K]; norms and biases bfloat16 too
//   q4f16_0  the "_0" (KN) layout of q4f16_1: q_weight uint32 [4*G, N], q_scale fp16 [G, N],
//            i.e. the NK tensors transposed; word j of group g of row n is q_weight[g*4+j][n]
//   q3f16_0  the same for q3f16_1: q_weight uint32 [4*G, N], q_scale fp16 [G, N], G = ceil(K/40)
// KN formats need N, which the [N, K]-row interface does not carry: their tensor list has a
// third entry, a const int64_t* to N, that linear() (linear.h) appends (AppendsRowCount).
#pragma once

#include "modellib/support/fp16.h"

AAE_MODELLIB_BEGIN

// The dtype of a format's unquantized parameters (norm weights, biases; scales of group
// formats). kParamF32/kParamF16 equal false/true, so code written for a bool "half" flag keeps
// working for those two.
enum ParamDType : int { kParamF32 = 0, kParamF16 = 1, kParamBF16 = 2 };

// Reads one "small" parameter (norm weight, bias) element in the given ParamDType.
template <int kDType>
inline float load_param(const void* p, int64_t i) {
  if (kDType == kParamF16) return half_to_float(static_cast<const uint16_t*>(p)[i]);
  if (kDType == kParamBF16) return bf16_to_float(static_cast<const uint16_t*>(p)[i]);
  return static_cast<const float*>(p)[i];
}

struct FormatQ0F32 {
  static constexpr int kTensors = 1;
  static constexpr bool kHalfParams = false;
  static constexpr int kParamDType = kParamF32;
  static constexpr const char* kName = "q0f32";
  static float dot_row(const void* const* t, int64_t n, const float* x, int64_t K) {
    const float* w = static_cast<const float*>(t[0]) + n * K;
    float acc = 0.0f;
    for (int64_t k = 0; k < K; ++k) acc += w[k] * x[k];
    return acc;
  }
  static void dequant_row(const void* const* t, int64_t n, float* out, int64_t K) {
    dequant_range(t, n, K, 0, K, out);
  }
  static void dequant_range(const void* const* t, int64_t n, int64_t K, int64_t k0, int64_t len,
                            float* out) {
    const float* w = static_cast<const float*>(t[0]) + n * K + k0;
    for (int64_t k = 0; k < len; ++k) out[k] = w[k];
  }
};

// Unquantized 16-bit weights [N][K]: fp16 (q0f16) or bfloat16 (q0bf16) bits.
template <int kDType>
struct Float16BitsFormat {
  static constexpr int kTensors = 1;
  static constexpr int kParamDType = kDType;
  static float widen(uint16_t bits) {
    return kDType == kParamBF16 ? bf16_to_float(bits) : half_to_float(bits);
  }
  static float dot_row(const void* const* t, int64_t n, const float* x, int64_t K) {
    const uint16_t* w = static_cast<const uint16_t*>(t[0]) + n * K;
    float acc = 0.0f;
    for (int64_t k = 0; k < K; ++k) acc += widen(w[k]) * x[k];
    return acc;
  }
  static void dequant_row(const void* const* t, int64_t n, float* out, int64_t K) {
    dequant_range(t, n, K, 0, K, out);
  }
  static void dequant_range(const void* const* t, int64_t n, int64_t K, int64_t k0, int64_t len,
                            float* out) {
    const uint16_t* w = static_cast<const uint16_t*>(t[0]) + n * K + k0;
    for (int64_t k = 0; k < len; ++k) out[k] = widen(w[k]);
  }
};

struct FormatQ0F16 : Float16BitsFormat<kParamF16> {
  static constexpr bool kHalfParams = true;
  static constexpr const char* kName = "q0f16";
};

struct FormatQ0BF16 : Float16BitsFormat<kParamBF16> {
  // No kHalfParams: code written for fp16-or-f32 parameters must not build for bf16.
  static constexpr const char* kName = "q0bf16";
};

// Group-quantized formats share one implementation over (bits, group, zero, scale dtype).
template <int kBits, int kGroup, int kZero, bool kHalfScale>
struct GroupQuantFormat {
  static constexpr int kTensors = 2;
  static constexpr int kPerWord = 32 / kBits;
  static constexpr int kWordsPerGroup = kGroup / kPerWord;
  static constexpr uint32_t kMask = (1u << kBits) - 1u;
  static int64_t groups(int64_t K) { return (K + kGroup - 1) / kGroup; }
  static float scale(const void* const* t, int64_t n, int64_t g, int64_t G) {
    return load_param<kHalfScale>(t[1], n * G + g);
  }
  static float dot_row(const void* const* t, int64_t n, const float* x, int64_t K) {
    const int64_t G = groups(K);
    const uint32_t* w = static_cast<const uint32_t*>(t[0]) + n * G * kWordsPerGroup;
    float acc = 0.0f;
    for (int64_t g = 0; g < G; ++g) {
      float group_acc = 0.0f;
      for (int i = 0; i < kGroup; ++i) {
        const int64_t k = g * kGroup + i;
        if (k >= K) break;
        const uint32_t word = w[g * kWordsPerGroup + i / kPerWord];
        const int q = static_cast<int>((word >> (kBits * (i % kPerWord))) & kMask);
        group_acc += static_cast<float>(q - kZero) * x[k];
      }
      acc += group_acc * scale(t, n, g, G);
    }
    return acc;
  }
  static void dequant_row(const void* const* t, int64_t n, float* out, int64_t K) {
    dequant_range(t, n, K, 0, K, out);
  }
  static void dequant_range(const void* const* t, int64_t n, int64_t K, int64_t k0, int64_t len,
                            float* out) {
    const int64_t G = groups(K);
    const uint32_t* w = static_cast<const uint32_t*>(t[0]) + n * G * kWordsPerGroup;
    for (int64_t j = 0; j < len; ++j) {
      const int64_t k = k0 + j, g = k / kGroup, i = k % kGroup;
      const uint32_t word = w[g * kWordsPerGroup + i / kPerWord];
      const int q = static_cast<int>((word >> (kBits * (i % kPerWord))) & kMask);
      out[j] = static_cast<float>(q - kZero) * scale(t, n, g, G);
    }
  }
};

// The KN ("_0") layout of a group format: the same codes and scales as GroupQuantFormat,
// stored transposed (q_weight uint32 [kWordsPerGroup*G, N], q_scale [G, N]). t[2] is a
// const int64_t* to N (appended by linear()).
template <int kBits_, int kGroup, int kZero_, bool kHalfScale>
struct GroupQuantKnFormat {
  static constexpr int kTensors = 2;  // parameters taken from the model's list
  static constexpr int kBits = kBits_;
  static constexpr int kZero = kZero_;
  static constexpr int kPerWord = 32 / kBits;
  static constexpr int kWordsPerGroup = kGroup / kPerWord;
  static constexpr uint32_t kMask = (1u << kBits) - 1u;
  static int64_t groups(int64_t K) { return (K + kGroup - 1) / kGroup; }
  static int64_t row_count(const void* const* t) { return *static_cast<const int64_t*>(t[2]); }
  static float scale(const void* const* t, int64_t n, int64_t g, int64_t N) {
    return load_param<kHalfScale>(t[1], g * N + n);
  }
  static int code(const void* const* t, int64_t n, int64_t k, int64_t N) {
    const int64_t g = k / kGroup, i = k % kGroup;
    const uint32_t word = static_cast<const uint32_t*>(t[0])[(g * kWordsPerGroup + i / kPerWord) * N + n];
    return static_cast<int>((word >> (kBits * (i % kPerWord))) & kMask);
  }
  static float dot_row(const void* const* t, int64_t n, const float* x, int64_t K) {
    const int64_t N = row_count(t), G = groups(K);
    float acc = 0.0f;
    for (int64_t g = 0; g < G; ++g) {
      float group_acc = 0.0f;
      for (int64_t k = g * kGroup; k < K && k < (g + 1) * kGroup; ++k)
        group_acc += static_cast<float>(code(t, n, k, N) - kZero) * x[k];
      acc += group_acc * scale(t, n, g, N);
    }
    return acc;
  }
  static void dequant_row(const void* const* t, int64_t n, float* out, int64_t K) {
    dequant_range(t, n, K, 0, K, out);
  }
  static void dequant_range(const void* const* t, int64_t n, int64_t, int64_t k0, int64_t len,
                            float* out) {
    const int64_t N = row_count(t);
    for (int64_t j = 0; j < len; ++j) {
      const int64_t k = k0 + j;
      out[j] = static_cast<float>(code(t, n, k, N) - kZero) * scale(t, n, k / kGroup, N);
    }
  }
};

struct FormatQ4F16_1 : GroupQuantFormat<4, 32, 7, true> {
  static constexpr bool kHalfParams = true;
  static constexpr int kParamDType = kParamF16;
  static constexpr const char* kName = "q4f16_1";
};
struct FormatQ4F32_1 : GroupQuantFormat<4, 32, 7, false> {
  static constexpr bool kHalfParams = false;
  static constexpr int kParamDType = kParamF32;
  static constexpr const char* kName = "q4f32_1";
};
struct FormatQ3F16_1 : GroupQuantFormat<3, 40, 3, true> {
  static constexpr bool kHalfParams = true;
  static constexpr int kParamDType = kParamF16;
  static constexpr const char* kName = "q3f16_1";
};
struct FormatQ4F16_0 : GroupQuantKnFormat<4, 32, 7, true> {
  static constexpr bool kHalfParams = true;
  static constexpr int kParamDType = kParamF16;
  static constexpr const char* kName = "q4f16_0";
};
struct FormatQ3F16_0 : GroupQuantKnFormat<3, 40, 3, true> {
  static constexpr bool kHalfParams = true;
  static constexpr int kParamDType = kParamF16;
  static constexpr const char* kName = "q3f16_0";
};

// Whether linear() must append &N to a format's tensor list (the KN formats).
template <typename Format>
struct AppendsRowCount {
  static constexpr bool value = false;
};
template <>
struct AppendsRowCount<FormatQ4F16_0> {
  static constexpr bool value = true;
};
template <>
struct AppendsRowCount<FormatQ3F16_0> {
  static constexpr bool value = true;
};

AAE_MODELLIB_END
