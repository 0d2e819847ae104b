// End to end through the C API: tests/c_api_smoke.c (compiled as C) on stories260K converted
// and compiled by the real CLI. Its greedy text from BOS must equal the reference run.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "sphere_aae/version.h"
#include "tests/stories260k_model.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

namespace fs = std::filesystem;
using testing::shell_quote;

using Output = testing::SplitCommandResult;

Output run_smoke(const std::string& args) {
  return testing::run_command_split(shell_quote(AAE_C_API_SMOKE_PATH) + " " + args);
}

std::string expected_text(const fs::path& testdata) {
  return testing::read_file(testdata / "expected" / "stories260K_bos_200_expected_stdout.txt");
}

TEST(CApi, GreedyTextFromBosMatchesTheReference) {
  AAE_REQUIRE_TESTDATA(testdata);
  const auto& model = testing::stories260k_q0f32(testdata);
  ASSERT_TRUE(model.error.empty()) << model.error;
  const Output run = run_smoke("generate " + shell_quote(model.dir.string()) + " " +
                               shell_quote(model.lib.string()) + " 200 ''");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, expected_text(testdata));
  EXPECT_NE(run.err.find("n_generated=200"), std::string::npos) << run.err;
}

TEST(CApi, ShortRunIsAPrefixOfTheReference) {
  AAE_REQUIRE_TESTDATA(testdata);
  const auto& model = testing::stories260k_q0f32(testdata);
  ASSERT_TRUE(model.error.empty()) << model.error;
  const Output run = run_smoke("generate " + shell_quote(model.dir.string()) + " " +
                               shell_quote(model.lib.string()) + " 12 ''");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_FALSE(run.out.empty());
  EXPECT_EQ(run.out, expected_text(testdata).substr(0, run.out.size()));
  EXPECT_NE(run.err.find("n_generated=12"), std::string::npos) << run.err;
}

TEST(CApi, CallbackCanCancel) {
  AAE_REQUIRE_TESTDATA(testdata);
  const auto& model = testing::stories260k_q0f32(testdata);
  ASSERT_TRUE(model.error.empty()) << model.error;
  const Output run = run_smoke("cancel " + shell_quote(model.dir.string()) + " " +
                               shell_quote(model.lib.string()) + " 3");
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("status=5 n_generated=3 "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("cancelled"), std::string::npos) << run.out;
}

TEST(CApi, BadModelDirSetsLastError) {
  testing::ScratchDir scratch;
  const std::string missing = (scratch / "no-such-model").string();
  const Output run = run_smoke("bad-dir " + shell_quote(missing));
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("status=2\n"), std::string::npos) << run.out;  // AAE_ERR_NOT_FOUND
  EXPECT_NE(run.out.find("model directory " + missing + " does not exist"), std::string::npos)
      << run.out;
}

// The chat header, and the example app that uses it, are plain C99 (apps and JNI/Swift shims
// include them from C).
TEST(CApi, ChatHeaderAndTheLinuxChatExampleAreStrictC99) {
  const std::string source = AAE_SOURCE_DIR;
  for (const std::string& file : {source + "/include/sphere_aae/aae_chat.h",
                                 source + "/examples/linux-chat/main.c"}) {
    const auto r = testing::run_command(
        "cc -x c -std=c99 -pedantic-errors -Wall -Werror -fsyntax-only -I" +
        shell_quote(source + "/include") + " " + shell_quote(file));
    EXPECT_EQ(r.exit_code, 0) << file << "\n" << r.output;
  }
}

TEST(CApi, VersionIsTheProjectVersion) {
  const Output run = run_smoke("version");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out, std::string(SPHERE_AAE_VERSION_STRING) + "\n");
}

}  // namespace
}  // namespace aae
