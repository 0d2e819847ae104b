// The parameters a model library declares: the model's ParamPlan (convert/model) expanded by
// its quantization into exactly the tensors of the tensor cache (names, shapes, dtypes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "convert/model/model.h"
#include "runtime/format/dtype.h"
#include "runtime/format/quantization.h"

namespace aae {

struct ModelLibParam {
  std::string name;            // tensor-cache record name, e.g. "...qkv_proj.q_weight"
  std::vector<int64_t> shape;  // as stored in the tensor cache
  DType dtype;
  TensorRole role;             // of the parameter it came from
  int64_t bytes() const;       // elements * dtype size
};

// For each plan entry in order: a quantized role (quantizes_role) becomes "<base>.q_weight"
// (uint32) then "<base>.q_scale" (model dtype), in the NK form [N, G*W] / [N, G] or, for
// linears of "_0" codes, the KN form [G*W, N] / [G, N] (G = ceil(K / group_size), W = words per
// group); every other parameter keeps its name and shape in the model dtype, or in its
// ParamPlan::stored_dtype when set (gpt_neox's float32 MLP biases).
std::vector<ModelLibParam> model_lib_params(const std::vector<ParamPlan>& plan,
                                            const QuantizationSpec& quantization);

// Sum of bytes() over the list.
int64_t total_param_bytes(const std::vector<ModelLibParam>& params);

}  // namespace aae
