#include "runtime/format/quantization.h"

namespace aae {
namespace {
using K = QuantizationKind;
using L = WeightLayout;
constexpr QuantizationSpec kSpecs[] = {
    {"q0f32", K::kNone, DType::kFloat32, 0, 0, L::kNK, false, false},
    {"q0f16", K::kNone, DType::kFloat16, 0, 0, L::kNK, false, false},
    {"q0bf16", K::kNone, DType::kBFloat16, 0, 0, L::kNK, false, false},
    {"q3f16_0", K::kGroup, DType::kFloat16, 3, 40, L::kKN, true, true},
    {"q3f16_1", K::kGroup, DType::kFloat16, 3, 40, L::kNK, true, true},
    {"q4f16_0", K::kGroup, DType::kFloat16, 4, 32, L::kKN, true, true},
    {"q4f16_1", K::kGroup, DType::kFloat16, 4, 32, L::kNK, true, true},
    {"q4f32_1", K::kGroup, DType::kFloat32, 4, 32, L::kNK, true, true},
    {"q4f16_2", K::kGroup, DType::kFloat16, 4, 32, L::kNK, false, false},
};
}  // namespace

const QuantizationSpec* find_quantization(std::string_view name) {
  for (const auto& spec : kSpecs)
    if (spec.name == name) return &spec;
  return nullptr;
}

std::vector<std::string_view> quantization_names() {
  std::vector<std::string_view> names;
  for (const auto& spec : kSpecs) names.push_back(spec.name);
  return names;
}

}  // namespace aae
