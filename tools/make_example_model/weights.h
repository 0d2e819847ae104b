// The tensors of an example model and their deterministic random values.
//
// Values come from splitmix64, seeded per tensor from (seed, tensor name), so a tensor's values
// do not depend on which other tensors exist or in what order they are written. Each value is an
// Irwin-Hall sum of four 16-bit uniforms (close to normal, bounded at +-3.46 sigma), scaled with
// one IEEE multiply (or one fma), so the bytes are the same on every conforming platform.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tools/make_example_model/model_spec.h"

namespace aae::example {

enum class Init {
  kWeight,  // matrices and embeddings: mean 0, std 0.02 (the usual initializer_range)
  kBias,    // mean 0, std 0.02 (non-zero, so a dropped bias changes the output)
  kNorm,    // RMSNorm scales: mean 1, std 0.05 (not all ones, so a skipped scale shows)
  kNormDelta,  // gemma RMSNorm weights: mean 0, std 0.05 (the model multiplies by 1 + w)
  kWideEmbedding,  // gemma embeddings: mean 0, std 0.125 = 1/sqrt(64), so that sqrt(hidden) * e
                   // has RMS 1 for the tiny preset, as in real Gemma
};

struct PlannedTensor {
  std::string name;             // Hugging Face name, e.g. "model.layers.0.mlp.up_proj.weight"
  std::vector<int64_t> shape;   // [out, in] for linear weights, as PyTorch stores them
  Init init = Init::kWeight;

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
};

// Every tensor of the model in checkpoint order: embedding, layers 0..L-1, final norm, lm_head
// (untied only). Precondition: spec.vocab_size is final.
std::vector<PlannedTensor> plan_tensors(const ModelSpec& spec);

// The value stream of one tensor.
class TensorValues {
 public:
  TensorValues(uint64_t seed, std::string_view tensor_name, Init init);
  // Writes the next `count` values.
  void next(float* out, size_t count);

 private:
  uint64_t state_;
  double scale_;   // maps the centred Irwin-Hall integer to the wanted standard deviation
  double offset_;  // mean
};

// `count` floats as little-endian bytes of `dtype` (float32, float16 or bfloat16, rounded to
// nearest even), appended to `out`.
void append_as_dtype(const float* values, size_t count, DType dtype, std::vector<uint8_t>& out);

}  // namespace aae::example
