// Dequantization of MLC group-quantized weights with MLC's exact arithmetic
// (mlc-package-reference.md §5.1), for verifying converted packages and for the CPU runtime's
// reference path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/base/status.h"
#include "runtime/format/dtype.h"
#include "runtime/format/quantization.h"

namespace aae {

// Dequantizes one group-quantized tensor pair (q_weight, q_scale) to float.
//   G = spec.num_groups(k), W = spec.words_per_group().
//   NK (kn_layout false; linear weights of "_1"/"_2" codes, and embeddings of every code):
//     q_weight uint32[N, W*G], q_scale [N, G] -> output float[N, k] (row-major)
//   KN (kn_layout true; linear weights of "_0" codes):
//     q_weight uint32[G*W, N], q_scale [G, N] -> output float[k, N] (row-major)
// q_scale elements are spec.model_dtype (float16, float32 or bfloat16), read unaligned-safe.
// Element i along K sits in word i / elements_per_word at bit bits * (i % elements_per_word);
// positions >= k (padding up to a whole group) are ignored.
// Value = (q - max_int) * scale, rounded once to the model dtype, which equals MLC's
// model-dtype arithmetic bit for bit (the fp32 product is exact).
// The buffers must hold the element counts the shapes describe; the shapes themselves are
// checked against spec and k, and mismatches are errors naming expected vs found shapes.
Result<std::vector<float>> dequantize_group(const QuantizationSpec& spec, const uint32_t* q_weight,
                                            const void* q_scale,
                                            std::vector<int64_t> q_weight_shape,
                                            std::vector<int64_t> q_scale_shape, int64_t k,
                                            bool kn_layout);

// Widens `count` raw little-endian elements of `dtype` to float. float32/float16/bfloat16 are
// exact; integer dtypes convert by value (uint32/int32 beyond 2^24 round). Unaligned-safe.
std::vector<float> decode_plain(DType dtype, const void* data, size_t count);

}  // namespace aae
