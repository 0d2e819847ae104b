// End to end: `sphere_aae chat` with stdin piped (not a terminal): replies, /stats, /reset,
// /exit and EOF, on the tiny chatml example model.
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/chat_example_model.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

using testing::shell_quote;

struct TurnStats {
  long prompt = 0, prefilled = 0, cached = 0, completion = 0;
  double prefill_rate = -1, decode_rate = -1;
};

// Every /stats block in `out`, in order.
std::vector<TurnStats> parse_stats(const std::string& out) {
  static const std::regex block(
      "prompt tokens: ([0-9]+) \\(prefilled ([0-9]+), cached ([0-9]+)\\)\n"
      "completion tokens: ([0-9]+) \\(finish: [a-z]+\\)\n"
      "prefill: ([0-9.]+) tok/s, decode: ([0-9.]+) tok/s\n");
  std::vector<TurnStats> all;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), block); it != std::sregex_iterator();
       ++it) {
    const std::smatch& m = *it;
    all.push_back({std::stol(m[1]), std::stol(m[2]), std::stol(m[3]), std::stol(m[4]),
                   std::stod(m[5]), std::stod(m[6])});
  }
  return all;
}

// Runs chat with `input` on stdin; stdout and stderr apart. Temperature 1 (every request is
// seeded with 0, so still deterministic): this random-weight model's greedy reply after the
// chatml assistant header is a run of newlines, sampling gives visible text.
testing::SplitCommandResult run_chat(const std::string& input, const std::string& flags = "") {
  const auto& model = testing::chat_example_model();
  return testing::run_command_split(
      "printf '%s' " + shell_quote(input) + " | " + shell_quote(AAE_CLI_PATH) + " chat " +
      shell_quote(model.dir.string()) + " --model-lib " + shell_quote(model.lib.string()) +
      " --threads 2 --temperature 1 --max-tokens 8 " + flags);
}

TEST(ChatCli, RepliesShowsStatsResetsAndExits) {
  ASSERT_EQ(testing::chat_example_model().error, "");
  const auto r = run_chat("Hello\n/stats\n/reset\nHi\n/stats\n/exit\nnot read\n");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::vector<TurnStats> stats = parse_stats(r.out);
  ASSERT_EQ(stats.size(), 2u) << r.out;
  for (const TurnStats& s : stats) {
    EXPECT_GT(s.prompt, 0);
    EXPECT_EQ(s.prompt, s.prefilled + s.cached);
    EXPECT_GE(s.completion, 1);
    EXPECT_LE(s.completion, 8);
    EXPECT_GT(s.prefill_rate, 0);
  }
  // After /reset the second turn starts from nothing: nothing cached, a shorter prompt than a
  // continued conversation would have.
  EXPECT_EQ(stats[1].cached, 0);
  // Reply 1, its stats, the reset notice, reply 2, its stats: nothing after /exit.
  const size_t first_stats = r.out.find("prompt tokens:");
  const size_t reset = r.out.find("conversation reset\n");
  ASSERT_NE(reset, std::string::npos) << r.out;
  const size_t second_reply = reset + std::string("conversation reset\n").size();
  const size_t second_stats = r.out.find("prompt tokens:", reset);
  ASSERT_LT(first_stats, reset) << r.out;
  ASSERT_NE(second_stats, std::string::npos) << r.out;
  const std::string reply1 = r.out.substr(0, first_stats);
  const std::string reply2 = r.out.substr(second_reply, second_stats - second_reply);
  // Each reply is text plus the newline that ends it.
  EXPECT_GT(reply1.size(), 1u) << r.out;
  EXPECT_EQ(reply1.back(), '\n');
  EXPECT_GT(reply2.size(), 1u) << r.out;
  EXPECT_EQ(reply2.back(), '\n');
  EXPECT_EQ(r.out.find("not read"), std::string::npos);
  EXPECT_EQ(r.out.find(">>>"), std::string::npos) << "no prompt marker when piped";
}

TEST(ChatCli, SecondTurnReusesTheFirstTurnsTokens) {
  ASSERT_EQ(testing::chat_example_model().error, "");
  const auto r = run_chat("Hello\n/stats\nHi\n/stats\n");  // EOF ends the session
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::vector<TurnStats> stats = parse_stats(r.out);
  ASSERT_EQ(stats.size(), 2u) << r.out;
  EXPECT_EQ(stats[0].cached, 0);
  EXPECT_GT(stats[1].cached, 0) << r.out;
  // The second prompt holds the whole first turn, so it is longer than the first.
  EXPECT_GT(stats[1].prompt, stats[0].prompt);
  EXPECT_LT(stats[1].prefilled, stats[1].prompt);
}

TEST(ChatCli, SameInputGivesTheSameRepliesAndUnknownCommandsAreReported) {
  ASSERT_EQ(testing::chat_example_model().error, "");
  const auto a = run_chat("Hello\n/help\n");
  const auto b = run_chat("Hello\n");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(a.out, b.out) << "seeded sampling is deterministic; /help prints nothing to stdout";
  EXPECT_FALSE(a.out.empty());
  EXPECT_NE(a.err.find("unknown command /help"), std::string::npos) << a.err;
}

TEST(ChatCli, SystemMessageChangesThePrompt) {
  ASSERT_EQ(testing::chat_example_model().error, "");
  const auto plain = run_chat("Hi\n/stats\n");
  const auto system =
      run_chat("Hi\n/stats\n", "--system " + shell_quote("You are a pirate. Answer in verse."));
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ASSERT_EQ(system.exit_code, 0) << system.err;
  const auto a = parse_stats(plain.out), b = parse_stats(system.out);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_NE(a[0].prompt, b[0].prompt);
}

TEST(ChatCli, TooLongMessageIsReportedAndTheSessionGoesOn) {
  ASSERT_EQ(testing::chat_example_model().error, "");
  std::string long_line;
  for (int i = 0; i < 600; ++i) long_line += "story time ";
  const auto r = run_chat(long_line + "\nHello\n/stats\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("error:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/reset"), std::string::npos) << "the hint names /reset: " << r.err;
  const auto stats = parse_stats(r.out);
  ASSERT_EQ(stats.size(), 1u) << r.out;
  EXPECT_GE(stats[0].completion, 1);
}

TEST(ChatCli, InterruptAtThePromptQuitsWithExitCode130) {
  const auto& model = testing::chat_example_model();
  ASSERT_EQ(model.error, "");
  testing::ScratchDir dir;
  const std::string out = shell_quote((dir / "out").string());
  const std::string fifo = shell_quote((dir / "stdin").string());
  // stdin is a FIFO held open by the shell, so only the signal can end the session; the reply
  // and its stats are waited for, so the signal arrives at the prompt, not during the reply.
  const std::string script =
      "mkfifo " + fifo + " && { " + shell_quote(AAE_CLI_PATH) + " chat " +
      shell_quote(model.dir.string()) + " --model-lib " + shell_quote(model.lib.string()) +
      " --threads 2 --max-tokens 4 < " + fifo + " > " + out + " 2>/dev/null & p=$!; exec 3>" +
      fifo + "; printf 'Hello\\n/stats\\n' >&3; n=0; until grep -q 'decode:' " + out +
      " 2>/dev/null || [ $n -ge 600 ]; do sleep 0.1; n=$((n+1)); done; kill -INT $p; wait $p; "
      "echo \"rc=$?\"; }";
  const auto r = testing::run_command(script);
  EXPECT_NE(r.output.find("rc=130"), std::string::npos) << r.output;
  EXPECT_NE(testing::read_file(dir / "out").find("prompt tokens:"), std::string::npos);
}

}  // namespace
}  // namespace aae
