// Encoding of one model parameter for an MLC quantization code, bit-exact with MLC LLM's
// group quantization (mlc-package-reference.md §5, mlc-model-params.md §3.4;
// docs/quantization.md explains the rule, the rounding choice and every layout).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/base/status.h"
#include "runtime/format/dtype.h"
#include "runtime/format/quantization.h"

namespace aae {

// What a parameter is in the model, which decides whether it is quantized.
enum class TensorRole {
  kLinear,     // a linear (matmul) weight, HF layout [N(out), K(in)]
  kEmbedding,  // token embedding table [V(vocab), H(hidden)]
  kLmHead,     // a separate (untied) output projection [V, H]; a linear layer in MLC
  kOther,      // norms, biases, anything else: never quantized, only cast
};

// One tensor as it goes into the tensor cache.
struct EncodedTensor {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;  // row-major elements, little-endian, dtype_size(dtype) each
};

// True when `role` is group-quantized under `spec`: kind == kGroup and the role is kLinear,
// kEmbedding with spec.quantize_embedding, or kLmHead with spec.quantize_final_fc.
bool quantizes_role(const QuantizationSpec& spec, TensorRole role);

// Encodes one MLC parameter `name` (e.g. "model.layers.0.mlp.down_proj.weight") whose float
// values are `values` (row-major, shape.product() elements, not owned; HF layout, so
// linear/embedding weights are [N(out or vocab), K(in or hidden)]).
//
// Unquantized roles: one tensor, named as given, in spec.model_dtype (float32 raw; float16 or
// bfloat16 rounded to nearest even), same shape.
// Quantized roles (see quantizes_role): two tensors, "<base>.q_weight" (uint32) then
// "<base>.q_scale" (model dtype), <base> = name without ".weight". With G = ceil(K/group_size)
// and W = words per group:
//   NK form: q_weight [N, G*W], q_scale [N, G]   (embeddings always; linears of "_1"/"_2")
//   KN form: q_weight [G*W, N], q_scale [G, N]   (linears and lm_head of "_0" codes)
//
// Errors name the tensor: NaN or Inf in `values`; a value that overflows the model dtype;
// rank other than 2 for linear/embedding/lm_head (or 0 for others); a dimension <= 0;
// a quantized parameter whose name does not end in ".weight".
Result<std::vector<EncodedTensor>> encode_parameter(const QuantizationSpec& spec,
                                                    const std::string& name, TensorRole role,
                                                    const std::vector<int64_t>& shape,
                                                    const float* values);

}  // namespace aae
