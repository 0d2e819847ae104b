#include "runtime/engine/cpu_features.h"

#include <string>

#include <gtest/gtest.h>

#include "sphere_aae/aae_model_lib.h"

namespace aae {
namespace {

TEST(CpuFeatures, DetectionIsStableAndArchitectureSpecific) {
  const uint64_t bits = detect_cpu_features();
  EXPECT_EQ(bits, detect_cpu_features());
  [[maybe_unused]] const uint64_t x86 = AAE_CPU_X86_AVX2 | AAE_CPU_X86_F16C | AAE_CPU_X86_FMA |
                       AAE_CPU_X86_AVX512F | AAE_CPU_X86_AVX512VNNI | AAE_CPU_X86_AVX512BW;
  [[maybe_unused]] const uint64_t arm = AAE_CPU_ARM_NEON | AAE_CPU_ARM_DOTPROD | AAE_CPU_ARM_FP16 |
                       AAE_CPU_ARM_I8MM;
#if defined(__x86_64__)
  EXPECT_EQ(bits & arm, 0u);
  // The compiler runtime's own probe (which also checks OS support) must agree.
  EXPECT_EQ((bits & AAE_CPU_X86_AVX2) != 0, __builtin_cpu_supports("avx2") != 0);
  EXPECT_EQ((bits & AAE_CPU_X86_AVX512F) != 0, __builtin_cpu_supports("avx512f") != 0);
  if (bits & AAE_CPU_X86_AVX2) {
    EXPECT_EQ((bits & AAE_CPU_X86_FMA) != 0, __builtin_cpu_supports("fma") != 0);
  }
  // AVX-512 sub-features only ever come with AVX-512F.
  if (!(bits & AAE_CPU_X86_AVX512F)) {
    EXPECT_EQ(bits & (AAE_CPU_X86_AVX512BW | AAE_CPU_X86_AVX512VNNI), 0u);
  }
#elif defined(__aarch64__)
  EXPECT_EQ(bits & x86, 0u);
  EXPECT_NE(bits & AAE_CPU_ARM_NEON, 0u);  // mandatory on AArch64
#else
  EXPECT_EQ(bits & (x86 | arm), 0u);
#endif
}

TEST(CpuFeatures, NamesEveryBit) {
  EXPECT_EQ(std::string(cpu_feature_name(AAE_CPU_X86_AVX2)), "avx2");
  EXPECT_EQ(std::string(cpu_feature_name(AAE_CPU_ARM_I8MM)), "i8mm");
  EXPECT_EQ(std::string(cpu_feature_name(1ull << 40)), "unknown");
}

}  // namespace
}  // namespace aae
