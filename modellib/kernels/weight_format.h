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
#pragma once

#include "modellib/support/fp16.h"

AAE_MODELLIB_BEGIN

// Reads one "small" parameter (norm weight, bias) element in the model dtype.
template <bool kHalf>
inline float load_param(const void* p, int64_t i) {
  if (kHalf) return half_to_float(static_cast<const uint16_t*>(p)[i]);
  return static_cast<const float*>(p)[i];
}

struct FormatQ0F32 {
  static constexpr int kTensors = 1;
  static constexpr bool kHalfParams = false;
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

struct FormatQ0F16 {
  static constexpr int kTensors = 1;
  static constexpr bool kHalfParams = true;
  static constexpr const char* kName = "q0f16";
  static float dot_row(const void* const* t, int64_t n, const float* x, int64_t K) {
    const uint16_t* w = static_cast<const uint16_t*>(t[0]) + n * K;
    float acc = 0.0f;
    for (int64_t k = 0; k < K; ++k) acc += half_to_float(w[k]) * x[k];
    return acc;
  }
  static void dequant_row(const void* const* t, int64_t n, float* out, int64_t K) {
    dequant_range(t, n, K, 0, K, out);
  }
  static void dequant_range(const void* const* t, int64_t n, int64_t K, int64_t k0, int64_t len,
                            float* out) {
    const uint16_t* w = static_cast<const uint16_t*>(t[0]) + n * K + k0;
    for (int64_t k = 0; k < len; ++k) out[k] = half_to_float(w[k]);
  }
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

struct FormatQ4F16_1 : GroupQuantFormat<4, 32, 7, true> {
  static constexpr bool kHalfParams = true;
  static constexpr const char* kName = "q4f16_1";
};
struct FormatQ4F32_1 : GroupQuantFormat<4, 32, 7, false> {
  static constexpr bool kHalfParams = false;
  static constexpr const char* kName = "q4f32_1";
};
struct FormatQ3F16_1 : GroupQuantFormat<3, 40, 3, true> {
  static constexpr bool kHalfParams = true;
  static constexpr const char* kName = "q3f16_1";
};

AAE_MODELLIB_END
