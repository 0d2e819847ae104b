// `cmake --install` gives a self-contained tool: the installed sphere_aae compiles a model library
// from the model-library sources installed beside it, not from the source tree.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace aae {
namespace {

using testing::run_command;
using testing::shell_quote;
namespace fs = std::filesystem;

TEST(Install, InstalledToolCompilesFromInstalledSources) {
  testing::ScratchDir dir;
  const fs::path prefix = dir / "prefix";
  auto installed = run_command("cmake --install " + shell_quote(AAE_BUILD_DIR) + " --prefix " +
                               shell_quote(prefix.string()));
  ASSERT_EQ(installed.exit_code, 0) << installed.output;
  for (const char* file : {"bin/sphere_aae", "bin/sphere_aae_make_example",
                           "include/sphere_aae/aae_model_lib.h", "include/sphere_aae/version.h",
                           "share/sphere_aae/modellib/arch/llama.h"}) {
    EXPECT_TRUE(fs::exists(prefix / file)) << file;
  }
  const std::string bin = (prefix / "bin").string();
  const fs::path hf = dir / "hf", model = dir / "model";
  ASSERT_EQ(run_command(shell_quote(bin + "/sphere_aae_make_example") + " --arch llama --preset tiny -o " +
                        shell_quote(hf.string())).exit_code, 0);
  ASSERT_EQ(run_command(shell_quote(bin + "/sphere_aae") + " convert_weight " + shell_quote(hf.string()) +
                        " --quantization q4f16_1 -o " + shell_quote(model.string())).exit_code, 0);
  ASSERT_EQ(run_command(shell_quote(bin + "/sphere_aae") + " gen_config " + shell_quote(hf.string()) +
                        " --quantization q4f16_1 --conv-template llama-3 -o " +
                        shell_quote(model.string())).exit_code, 0);
  auto compiled = run_command("env -u SPHERE_AAE_SOURCE_DIR " + shell_quote(bin + "/sphere_aae") +
                              " compile " + shell_quote(model.string()) + " --device linux -o " +
                              shell_quote((dir / "lib.so").string()));
  ASSERT_EQ(compiled.exit_code, 0) << compiled.output;
  EXPECT_NE(compiled.output.find((prefix / "share" / "sphere_aae").string()), std::string::npos)
      << compiled.output;
  EXPECT_TRUE(fs::exists(dir / "lib.so"));
}

}  // namespace
}  // namespace aae
