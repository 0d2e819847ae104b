// Runs the llama template on aarch64: cross-compiles testing/cross_driver.cc (hosted, static)
// with aarch64-linux-gnu-g++ and runs it under qemu-aarch64. Skips when either is missing.
#include <gtest/gtest.h>

#include <string>

#include "tests/support/test_support.h"

namespace {

using aae::testing::run_command;
using aae::testing::shell_quote;

bool have(const std::string& tool) {
  return run_command("command -v " + tool + " >/dev/null 2>&1").exit_code == 0;
}

TEST(CrossArch, TinyLlamaLogitsMatchReferenceOnAarch64UnderQemu) {
  if (!have("aarch64-linux-gnu-g++") || !have("qemu-aarch64"))
    GTEST_SKIP() << "aarch64-linux-gnu-g++ or qemu-aarch64 not on PATH";
  const std::string root = AAE_MODELLIB_SOURCE_ROOT;
  aae::testing::ScratchDir dir;
  const std::string exe = (dir / "driver").string();
  const auto built = run_command(
      "aarch64-linux-gnu-g++ -std=c++20 -O2 -static -pthread -I" + shell_quote(root) + " -I" +
      shell_quote(root + "/include") + " " + shell_quote(root + "/modellib/testing/cross_driver.cc") +
      " " + shell_quote(root + "/modellib/testing/tiny_llama.cc") + " -o " + shell_quote(exe));
  ASSERT_EQ(built.exit_code, 0) << built.output;
  const auto ran = run_command("qemu-aarch64 " + shell_quote(exe));
  EXPECT_EQ(ran.exit_code, 0) << ran.output;
  EXPECT_NE(ran.output.find("q4f16_1"), std::string::npos) << ran.output;
}

}  // namespace
