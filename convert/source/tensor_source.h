// A read-only view of the tensors of a source model (Hugging Face safetensors or GGUF), under
// Hugging Face parameter names and in Hugging Face layout, so the converter handles every
// source format the same way.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/status.h"
#include "runtime/format/dtype.h"

namespace aae {

struct SourceTensor {
  std::string name;  // Hugging Face name, e.g. "model.layers.0.self_attn.q_proj.weight"
  // Element type of the stored data: kFloat32, kFloat16 or kBFloat16. Block-quantized GGUF
  // tensors (Q8_0) are reported as kFloat32, the type they decode to.
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;  // row-major (outermost first), as Hugging Face / PyTorch

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
};

class TensorSource {
 public:
  virtual ~TensorSource() = default;

  // What this source is, for error messages: e.g. the model directory or the .gguf path.
  virtual std::string describe() const = 0;

  // Every tensor, under Hugging Face names, in a stable (storage) order.
  virtual const std::vector<SourceTensor>& tensors() const = 0;

  // nullptr when there is no tensor of that name.
  const SourceTensor* find(std::string_view name) const {
    for (const auto& tensor : tensors())
      if (tensor.name == name) return &tensor;
    return nullptr;
  }

  // A row-major float32 copy of one tensor in Hugging Face layout (exact for f32/f16/bf16;
  // Q8_0 is dequantized as d * q). Errors name the tensor and the source.
  virtual Result<std::vector<float>> read_f32(std::string_view name) const = 0;
};

}  // namespace aae
