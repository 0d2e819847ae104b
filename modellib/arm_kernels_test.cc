// The aarch64 linear kernels (modellib/kernels/arm_*.h), checked from an x86 host:
//   - testing/arm_kernel_driver.cc, cross-compiled with aarch64-linux-gnu-g++ -static, runs the
//     shared kernel suite and tiny whole models of every format under qemu-aarch64, on a core
//     with the dot-product extension (-cpu max) and on one without it (-cpu cortex-a53, where
//     NEON-dot must be unsupported and plain NEON must not execute a dot-product instruction);
//   - linear.h compiles with the model-library flags (freestanding clang 14, aarch64) with every
//     aarch64 variant instantiated, imports nothing, and really contains sdot.
// Each test skips visibly when its tools are missing.
#include <gtest/gtest.h>

#include <initializer_list>
#include <memory>
#include <string>

#include "tests/support/test_support.h"

namespace {

using aae::testing::run_command;
using aae::testing::shell_quote;

bool have(const std::string& tool) {
  return run_command("command -v " + tool + " >/dev/null 2>&1").exit_code == 0;
}

// The first of `tools` on PATH, or "".
std::string first_of(std::initializer_list<const char*> tools) {
  for (const char* t : tools)
    if (have(t)) return t;
  return "";
}

// Builds the driver once for every qemu test of the suite.
class ArmKernelsQemu : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!have("aarch64-linux-gnu-g++") || !have("qemu-aarch64")) return;
    dir_ = std::make_unique<aae::testing::ScratchDir>();
    const std::string root = AAE_MODELLIB_SOURCE_ROOT;
    exe_ = (*dir_ / "arm_kernel_driver").string();
    // -ffp-contract=off: g++ defaults to fusing across statements, which would let it fold the
    // scalar oracle's x * (127 / amax) into the rounding add (one rounding instead of two) and
    // quantize differently from the specified fp32 product. clang (the model-library compiler)
    // only contracts within one expression, so this matches how the kernels really run.
    build_ = run_command(
        "aarch64-linux-gnu-g++ -std=c++20 -O2 -static -pthread -ffp-contract=off -I" +
        shell_quote(root) + " -I" + shell_quote(root + "/include") + " " +
        shell_quote(root + "/modellib/testing/arm_kernel_driver.cc") + " " +
        shell_quote(root + "/modellib/testing/kernel_suite.cc") + " " +
        shell_quote(root + "/modellib/testing/tiny_llama.cc") + " -o " + shell_quote(exe_) + " 2>&1");
  }
  static void TearDownTestSuite() { dir_.reset(); }

  void SetUp() override {
    if (dir_ == nullptr) GTEST_SKIP() << "aarch64-linux-gnu-g++ or qemu-aarch64 not on PATH";
    ASSERT_EQ(build_.exit_code, 0) << build_.output;
  }

  static aae::testing::CommandResult run_on(const std::string& cpu) {
    return run_command("qemu-aarch64 -cpu " + cpu + " " + shell_quote(exe_));
  }

  static std::unique_ptr<aae::testing::ScratchDir> dir_;
  static std::string exe_;
  static aae::testing::CommandResult build_;
};
std::unique_ptr<aae::testing::ScratchDir> ArmKernelsQemu::dir_;
std::string ArmKernelsQemu::exe_;
aae::testing::CommandResult ArmKernelsQemu::build_;

TEST_F(ArmKernelsQemu, NeonAndDotProductVariantsMatchTheirOraclesOnACoreWithDotProduct) {
  const auto ran = run_on("max");
  std::printf("%s", ran.output.c_str());
  EXPECT_EQ(ran.exit_code, 0) << ran.output;
  EXPECT_NE(ran.output.find("cpu: neon=1 dotprod=1"), std::string::npos) << ran.output;
  EXPECT_NE(ran.output.find("neon: 8 variants"), std::string::npos) << ran.output;
  EXPECT_NE(ran.output.find("neon-dot: 3 variants"), std::string::npos) << ran.output;
  for (const char* v : {"q0f32 arm-neon-f32", "q0f16 arm-neon-f32", "q4f16_1 arm-neon-i8",
                        "q4f32_1 arm-neon-i8", "q3f16_1 arm-neon-i8", "q4f16_1 arm-neon-dot-i8",
                        "q4f32_1 arm-neon-dot-i8", "q3f16_1 arm-neon-dot-i8", "q0bf16 arm-neon-f32",
                        "q4f16_0 arm-neon-kn-f32", "q3f16_0 arm-neon-kn-f32"})
    EXPECT_NE(ran.output.find(std::string("  ") + v + "\n"), std::string::npos) << v;
  EXPECT_EQ(ran.output.find("FAIL"), std::string::npos) << ran.output;
  // Whole tiny models pick the dot-product kernels here.
  for (const char* m : {"model q4f16_1 arm-neon-dot-i8: ", "model q4f32_1 arm-neon-dot-i8: ",
                        "model q3f16_1 arm-neon-dot-i8: ", "model q0f16 arm-neon-f32: ",
                        "model q0bf16 arm-neon-f32: ", "model q4f16_2 arm-neon-dot-i8: ",
                        "model q4f16_0 arm-neon-kn-f32: ", "model q3f16_0 arm-neon-kn-f32: "})
    EXPECT_NE(ran.output.find(m), std::string::npos) << m;
}

TEST_F(ArmKernelsQemu, NeonVariantsPassAndDotProductIsUnsupportedOnCortexA53) {
  const auto ran = run_on("cortex-a53");
  std::printf("%s", ran.output.c_str());
  EXPECT_EQ(ran.exit_code, 0) << ran.output;
  EXPECT_NE(ran.output.find("cpu: neon=1 dotprod=0"), std::string::npos) << ran.output;
  EXPECT_NE(ran.output.find("neon: 8 variants"), std::string::npos) << ran.output;
  EXPECT_NE(ran.output.find("neon-dot: not supported by this cpu"), std::string::npos) << ran.output;
  EXPECT_EQ(ran.output.find("arm-neon-dot-i8"), std::string::npos) << ran.output;
  EXPECT_EQ(ran.output.find("FAIL"), std::string::npos) << ran.output;
  EXPECT_NE(ran.output.find("model q3f16_1 arm-neon-i8: "), std::string::npos) << ran.output;
}

// Every aarch64 variant's kernel(), as a model library would reach it through linear.h.
constexpr const char* kTu = R"(#include "modellib/kernels/linear.h"
namespace ml = aae::modellib;
template <typename F, uint32_t kId>
ml::LinearKernel kernel_of() {
  static_assert(ml::LinearVariant<F, kId>::kAvailable, "variant written for this format");
  return ml::LinearVariant<F, kId>::kernel();
}
extern "C" __attribute__((visibility("default"))) void aae_arm_kernels(ml::LinearKernel* out) {
  out[0] = kernel_of<ml::FormatQ4F16_1, ml::kLinearNeon>();
  out[1] = kernel_of<ml::FormatQ4F16_1, ml::kLinearNeonDot>();
  out[2] = kernel_of<ml::FormatQ4F32_1, ml::kLinearNeon>();
  out[3] = kernel_of<ml::FormatQ4F32_1, ml::kLinearNeonDot>();
  out[4] = kernel_of<ml::FormatQ3F16_1, ml::kLinearNeon>();
  out[5] = kernel_of<ml::FormatQ3F16_1, ml::kLinearNeonDot>();
  out[6] = kernel_of<ml::FormatQ0F16, ml::kLinearNeon>();
  out[7] = kernel_of<ml::FormatQ0F32, ml::kLinearNeon>();
}
)";

TEST(ArmKernelsFreestanding, LinearHeaderCompilesForAarch64WithModelLibFlagsAndImportsNothing) {
  const std::string nm = first_of({"llvm-nm", "llvm-nm-14"});
  const std::string objdump = first_of({"llvm-objdump", "llvm-objdump-14"});
  if (!have("clang++") || nm.empty() || objdump.empty())
    GTEST_SKIP() << "clang++, llvm-nm or llvm-objdump not on PATH";
  aae::testing::ScratchDir dir;
  aae::testing::write_file(dir / "tu.cc", kTu);
  const std::string object = (dir / "tu.o").string(), root = AAE_MODELLIB_SOURCE_ROOT;
  const auto compiled = run_command(
      "clang++ --target=aarch64-linux-gnu -std=c++17 -O2 -ffreestanding -fno-exceptions -fno-rtti "
      "-fno-stack-protector -fPIC -nostdinc++ -nostdlibinc -mno-outline-atomics -Wall -Werror -I" +
      shell_quote(root) + " -I" + shell_quote(root + "/include") + " -c " +
      shell_quote((dir / "tu.cc").string()) + " -o " + shell_quote(object) + " 2>&1");
  ASSERT_EQ(compiled.exit_code, 0) << compiled.output;
  const auto undefined = run_command(nm + " -u " + shell_quote(object));
  ASSERT_EQ(undefined.exit_code, 0) << undefined.output;
  EXPECT_EQ(undefined.output, "");
  // The dot-product kernels were really emitted with sdot (and the NEON ones with widening
  // multiplies); cortex-a53 above shows no sdot leaks into the plain NEON paths.
  const auto disasm = run_command(objdump + " -d --mattr=+dotprod " + shell_quote(object));
  ASSERT_EQ(disasm.exit_code, 0) << disasm.output;
  EXPECT_NE(disasm.output.find("sdot\t"), std::string::npos);
  EXPECT_NE(disasm.output.find("smlal2\t"), std::string::npos);
  EXPECT_NE(disasm.output.find("fcvtl2\t"), std::string::npos);
}

}  // namespace
