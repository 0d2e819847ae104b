// The shared correctness suite of the linear kernels (modellib/kernels/linear.h): every variant
// that is written for a format and that the given cpu_features can run is checked over ragged
// shapes and token counts against an oracle:
//   variants with a prep (int8 activations) against the portable scalar-i8 variant, to float
//     summation-order tolerance, and against the exact fp32 reference to int8 tolerance;
//   variants without a prep against the fp32 reference, to summation-order tolerance.
// Rows are also run in two ragged ranges, with an output stride wider than N, and every
// output outside the range must stay untouched. Hosted C++ without GoogleTest, so the same code
// runs in the gtest binary and in a standalone driver under qemu.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace aae::modellib_testing {

struct SuiteResult {
  int checked = 0;                    // (format, variant, shape, T) cases compared
  std::vector<std::string> variants;  // "<format> <variant name>" for each variant run
  std::vector<std::string> failures;  // one line per failed case, with the worst element
};

// only_variant: a LinearVariantId to restrict the run to, or ~0u for every variant.
SuiteResult run_linear_kernel_suite(uint64_t cpu_features, uint32_t only_variant = ~0u);

}  // namespace aae::modellib_testing
