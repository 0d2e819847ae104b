// A model's quantization code as the architecture templates see it: which weight format
// (weight_format.h) each role uses. Most codes use one format everywhere; the exceptions are
//   q4f16_2  linears q4f16_1, embedding and untied lm_head unquantized fp16 (MLC keeps them
//            float16 in this code)
//   q4f16_0  linears and untied lm_head in the KN layout (FormatQ4F16_0), embedding in the NK
//            layout (FormatQ4F16_1), as MLC never transposes an embedding
//   q3f16_0  the same with 3-bit formats
// A model format may define `using Linear`, `using Embedding`, `using LmHead`; each missing one
// defaults to the format itself (Linear) or to Linear (Embedding, LmHead). A tied head always
// reads the embedding table, in the Embedding format.
#pragma once

#include "modellib/kernels/weight_format.h"

AAE_MODELLIB_BEGIN

template <typename...>
struct VoidOf {
  using type = void;
};

template <typename F, typename = void>
struct LinearFormatOf {
  using type = F;
};
template <typename F>
struct LinearFormatOf<F, typename VoidOf<typename F::Linear>::type> {
  using type = typename F::Linear;
};

template <typename F, typename = void>
struct EmbeddingFormatOf {
  using type = typename LinearFormatOf<F>::type;
};
template <typename F>
struct EmbeddingFormatOf<F, typename VoidOf<typename F::Embedding>::type> {
  using type = typename F::Embedding;
};

template <typename F, typename = void>
struct LmHeadFormatOf {
  using type = typename LinearFormatOf<F>::type;
};
template <typename F>
struct LmHeadFormatOf<F, typename VoidOf<typename F::LmHead>::type> {
  using type = typename F::LmHead;
};

template <bool kCondition, typename A, typename B>
struct PickType {
  using type = A;
};
template <typename A, typename B>
struct PickType<false, A, B> {
  using type = B;
};

// Model formats whose roles differ (the plain weight formats are model formats of their own).
struct FormatQ4F16_2 {
  using Linear = FormatQ4F16_1;
  using Embedding = FormatQ0F16;
  using LmHead = FormatQ0F16;
  static constexpr int kParamDType = kParamF16;
  static constexpr const char* kName = "q4f16_2";
};
struct FormatQ4F16_0Model {
  using Linear = FormatQ4F16_0;
  using Embedding = FormatQ4F16_1;
  static constexpr int kParamDType = kParamF16;
  static constexpr const char* kName = "q4f16_0";
};
struct FormatQ3F16_0Model {
  using Linear = FormatQ3F16_0;
  using Embedding = FormatQ3F16_1;
  static constexpr int kParamDType = kParamF16;
  static constexpr const char* kName = "q3f16_0";
};

AAE_MODELLIB_END
