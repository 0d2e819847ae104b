// End to end: `sphere_aae generate` on stories260K converted and compiled by the real CLI, and
// the Engine behind it. The greedy text from BOS must equal the reference run byte for byte.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/engine/engine.h"
#include "tests/stories260k_model.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

namespace fs = std::filesystem;
using testing::shell_quote;

using Output = testing::SplitCommandResult;

Output run_cli(const std::string& args) {
  return testing::run_command_split(shell_quote(AAE_CLI_PATH) + " " + args);
}

std::string expected_text(const fs::path& testdata) {
  return testing::read_file(testdata / "expected" / "stories260K_bos_200_expected_stdout.txt");
}

#define AAE_REQUIRE_MODEL(model, testdata, overrides)                                \
  const testing::CompiledModel& model = testing::stories260k_q0f32(testdata, overrides); \
  ASSERT_TRUE(model.error.empty()) << model.error

TEST(Generate, GreedyFromBosMatchesTheReferenceByteForByte) {
  AAE_REQUIRE_TESTDATA(testdata);
  AAE_REQUIRE_MODEL(model, testdata, "");
  // No --model-lib: the command compiles a library for the host itself.
  const Output run = run_cli("generate " + shell_quote(model.dir.string()) +
                             " --prompt '' --max-tokens 200 --temperature 0");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, expected_text(testdata));
}

TEST(Generate, PromptIsContinuedGreedily) {
  AAE_REQUIRE_TESTDATA(testdata);
  AAE_REQUIRE_MODEL(model, testdata, "");
  // The reference greedy story starts with "Once upon a time, there was": continuing a prefix
  // of it must follow the same path, so the output is a prefix of the rest of the reference.
  // "Once upon a" also checks the first generated token keeps its leading space (" time").
  for (const std::string prompt : {"Once upon a time", "Once upon a"}) {
    const Output run = run_cli("generate " + shell_quote(model.dir.string()) + " --prompt " +
                               shell_quote(prompt) +
                               " --max-tokens 30 --temperature 0 --model-lib " +
                               shell_quote(model.lib.string()));
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const std::string rest = expected_text(testdata).substr(prompt.size());
    ASSERT_GT(run.out.size(), 20u);
    EXPECT_EQ(run.out, rest.substr(0, run.out.size())) << "prompt: " << prompt;
  }
}

TEST(Generate, MaxTokensStopsGenerationAndVerboseReportsStats) {
  AAE_REQUIRE_TESTDATA(testdata);
  AAE_REQUIRE_MODEL(model, testdata, "");
  const Output run = run_cli("generate " + shell_quote(model.dir.string()) +
                             " --prompt '' --max-tokens 7 --temperature 0 --verbose --model-lib " +
                             shell_quote(model.lib.string()));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("generated: 7 tokens"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("stop: max_tokens"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("prompt: 1 tokens"), std::string::npos) << run.err;
  ASSERT_FALSE(run.out.empty());
  const std::string expected = expected_text(testdata);
  EXPECT_LT(run.out.size(), 60u);
  EXPECT_EQ(run.out, expected.substr(0, run.out.size()));
}

TEST(Generate, SeededSamplingIsReproducible) {
  AAE_REQUIRE_TESTDATA(testdata);
  AAE_REQUIRE_MODEL(model, testdata, "");
  const std::string args = "generate " + shell_quote(model.dir.string()) +
                           " --prompt 'The cat' --max-tokens 40 --temperature 0.9 --top-p 0.9 "
                           "--top-k 40 --repetition-penalty 1.1 --model-lib " +
                           shell_quote(model.lib.string());
  const Output a = run_cli(args + " --seed 11");
  const Output b = run_cli(args + " --seed 11");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_FALSE(a.out.empty());
  EXPECT_EQ(a.out, b.out);
}

TEST(Generate, MissingModelDirIsAClearError) {
  testing::ScratchDir scratch;
  const std::string missing = (scratch / "no-such-model").string();
  const Output run = run_cli("generate " + shell_quote(missing) + " --prompt hi");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(run.out.empty()) << run.out;
  EXPECT_NE(run.err.find("model directory " + missing + " does not exist"), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("hint:"), std::string::npos) << run.err;
}

TEST(Generate, BadModelLibIsAClearError) {
  AAE_REQUIRE_TESTDATA(testdata);
  AAE_REQUIRE_MODEL(model, testdata, "");
  testing::ScratchDir scratch;
  const fs::path fake = scratch / "fake.so";
  testing::write_file(fake, "this is not a shared object");
  const Output run = run_cli("generate " + shell_quote(model.dir.string()) +
                             " --prompt hi --model-lib " + shell_quote(fake.string()));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(run.out.empty()) << run.out;
  EXPECT_NE(run.err.find(fake.string()), std::string::npos) << run.err;

  const std::string missing = (scratch / "missing.so").string();
  const Output none = run_cli("generate " + shell_quote(model.dir.string()) +
                              " --prompt hi --model-lib " + shell_quote(missing));
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("model library " + missing + " does not exist"), std::string::npos)
      << none.err;
}

TEST(Generate, PromptLongerThanTheContextWindowIsAnError) {
  AAE_REQUIRE_TESTDATA(testdata);
  AAE_REQUIRE_MODEL(model, testdata, "context_window_size=16;prefill_chunk_size=16");
  const Output run = run_cli(
      "generate " + shell_quote(model.dir.string()) +
      " --prompt 'Once upon a time there was a little girl named Lily who loved to play "
      "outside in the park with her friends' --max-tokens 4 --model-lib " +
      shell_quote(model.lib.string()));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(run.out.empty()) << run.out;
  EXPECT_NE(run.err.find("but the context window is 16 tokens"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("the prompt is "), std::string::npos) << run.err;
}

TEST(Generate, ReachingTheContextWindowStopsWithAWarning) {
  AAE_REQUIRE_TESTDATA(testdata);
  AAE_REQUIRE_MODEL(model, testdata, "context_window_size=16;prefill_chunk_size=16");
  const Output run = run_cli("generate " + shell_quote(model.dir.string()) +
                             " --prompt '' --max-tokens 100 --temperature 0 --verbose "
                             "--model-lib " + shell_quote(model.lib.string()));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("warning: generation stopped at the context window (16 tokens)"),
            std::string::npos) << run.err;
  // BOS fills position 0; 15 decoded tokens fill the rest; the 16th is sampled but not fed back.
  EXPECT_NE(run.err.find("generated: 16 tokens"), std::string::npos) << run.err;
  EXPECT_EQ(run.out, expected_text(testdata).substr(0, run.out.size()));
}

// The Engine directly: error codes and stop reasons the CLI and the C API rely on.
TEST(EngineGenerate, ReportsCodesAndStopReasons) {
  AAE_REQUIRE_TESTDATA(testdata);
  AAE_REQUIRE_MODEL(model, testdata, "context_window_size=16;prefill_chunk_size=16");
  auto engine = Engine::open({.model_dir = model.dir.string(),
                              .model_lib_path = model.lib.string(),
                              .num_threads = 1});
  ASSERT_TRUE(engine.ok()) << engine.error().to_string();
  EXPECT_EQ(engine->context_window_size(), 16);

  GenerateOptions options;
  options.sampling.temperature = 0;
  options.max_tokens = 3;
  std::string text;
  auto result = engine->generate("", options, [&](std::string_view piece) {
    text += piece;
    return true;
  });
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  EXPECT_EQ(result->stop_reason, StopReason::kMaxTokens);
  EXPECT_EQ(result->generated_tokens, 3);
  EXPECT_EQ(result->prompt_tokens, 1);
  EXPECT_FALSE(text.empty());

  int calls = 0;
  options.max_tokens = 10;
  auto cancelled = engine->generate("", options, [&](std::string_view) { return ++calls < 2; });
  ASSERT_TRUE(cancelled.ok()) << cancelled.error().to_string();
  EXPECT_EQ(cancelled->stop_reason, StopReason::kCancelled);
  EXPECT_EQ(calls, 2);

  const std::string long_prompt(200, 'a');
  auto overflow = engine->generate(long_prompt, options);
  ASSERT_FALSE(overflow.ok());
  EXPECT_EQ(overflow.error().code(), ErrorCode::kContextOverflow);
  // The engine stays usable after the error.
  auto again = engine->generate("", options);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(again->generated_tokens, 10);

  options.add_bos = false;
  auto empty = engine->generate("", options);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code(), ErrorCode::kInvalidArgument);
}

TEST(EngineGenerate, OpenErrorsAreCoded) {
  testing::ScratchDir scratch;
  auto missing = Engine::open({.model_dir = (scratch / "nope").string(),
                               .model_lib_path = (scratch / "x.so").string()});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  auto no_lib = Engine::open({.model_dir = scratch.path().string()});
  ASSERT_FALSE(no_lib.ok());
  EXPECT_EQ(no_lib.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace aae
