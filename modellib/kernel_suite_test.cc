// Every linear kernel variant this machine can run, through the shared suite
// (modellib/testing/kernel_suite.h); the same suite runs for aarch64 under qemu.
#include <gtest/gtest.h>

#include "modellib/kernels/linear.h"
#include "modellib/testing/kernel_suite.h"
#include "modellib/testing/tiny_llama.h"

namespace ml = aae::modellib;
namespace mt = aae::modellib_testing;

namespace {

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "  " + l + "\n";
  return out;
}

TEST(LinearKernelSuite, EveryVariantThisHostRunsMatchesItsOracle) {
  const mt::SuiteResult r = mt::run_linear_kernel_suite(mt::host_cpu_features());
  std::printf("[ kernels  ] %d cases; variants run:\n%s", r.checked, joined(r.variants).c_str());
  EXPECT_TRUE(r.failures.empty()) << joined(r.failures);
  // The scalar int8 oracle itself runs against the fp32 reference for the group formats.
  EXPECT_GE(r.variants.size(), 3u);
  EXPECT_GT(r.checked, 50);
}

TEST(LinearKernelSuite, ReferenceIsPickedWithoutCpuFeatures) {
  const int64_t ks[] = {64, 96};
  EXPECT_EQ(ml::LinearKernels<ml::FormatQ4F16_1>::pick(0, ks, 2), ml::kLinearReference);
  EXPECT_EQ(ml::LinearKernels<ml::FormatQ0F16>::pick(0, ks, 2), ml::kLinearReference);
  EXPECT_STREQ(ml::LinearKernels<ml::FormatQ3F16_1>::get(ml::kLinearReference).name, "reference");
}

}  // namespace
