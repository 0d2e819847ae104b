// The quantization codes of MLC LLM that AAE reads and writes (mlc-package-reference.md §5).
//
//   q0f32, q0f16, q0bf16           no quantization; every tensor in the model dtype
//   q4f16_0 / q4f16_1 / q4f32_1    int4, groups of 32 along K, 8 values per uint32
//   q4f16_2                        as q4f16_1 but embedding and lm_head stay float16
//   q3f16_0 / q3f16_1              int3, groups of 40 along K, 10 values per uint32
// "_0" is the KN layout (stored transposed [K, N]); "_1"/"_2" keep HF's [N, K] (NK).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/format/dtype.h"

namespace aae {

enum class QuantizationKind { kNone, kGroup };
enum class WeightLayout { kNK, kKN };

struct QuantizationSpec {
  std::string_view name;
  QuantizationKind kind;
  DType model_dtype;       // activations, norms, biases, q_scale
  int bits;                // 0 for kNone
  int group_size;          // elements per scale along K
  WeightLayout layout;     // linear weights only; embeddings are always [V, H/...]
  bool quantize_embedding;
  bool quantize_final_fc;  // lm_head

  // Derived constants for group quantization (storage is uint32).
  int elements_per_word() const { return bits == 0 ? 0 : 32 / bits; }
  int words_per_group() const { return bits == 0 ? 0 : group_size / elements_per_word(); }
  int max_int() const { return bits == 0 ? 0 : (1 << (bits - 1)) - 1; }
  // Number of groups along an input dimension K (K is padded up to a whole group).
  int64_t num_groups(int64_t k) const { return (k + group_size - 1) / group_size; }
};

// nullptr when the name is not a supported quantization.
const QuantizationSpec* find_quantization(std::string_view name);
// Names of every supported quantization, in table order (for error messages and --help).
std::vector<std::string_view> quantization_names();

}  // namespace aae
