// End to end: `sphere_aae bench` on tiny example models converted and compiled by the real CLI.
// Only small runs (a few dozen tokens, a 16 MiB bandwidth probe): the numbers are checked for
// consistency, not speed.
#include <filesystem>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/package_fixture.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

namespace fs = std::filesystem;
using testing::shell_quote;

struct TinyModel {
  fs::path dir, lib;
  std::string error;
};

// One converted + compiled tiny model per architecture for the whole test process.
const TinyModel& tiny_model(const std::string& arch) {
  static testing::ScratchDir scratch;
  static std::map<std::string, TinyModel> models;
  auto it = models.find(arch);
  if (it != models.end()) return it->second;
  TinyModel model{scratch / (arch + "-q4f16_1"), scratch / (arch + ".so"), {}};
  model.error = testing::make_converted_example(model.dir, arch, "q4f16_1");
  if (model.error.empty()) {
    const std::string command = shell_quote(AAE_CLI_PATH) + " compile " +
                                shell_quote(model.dir.string()) + " --device linux -o " +
                                shell_quote(model.lib.string());
    const testing::CommandResult r = testing::run_command(command);
    if (r.exit_code != 0) model.error = command + "\n" + r.output;
  }
  return models[arch] = model;
}

testing::SplitCommandResult run_bench(const TinyModel& model, const std::string& args) {
  return testing::run_command_split(shell_quote(AAE_CLI_PATH) + " bench " +
                                    shell_quote(model.dir.string()) + " --model-lib " +
                                    shell_quote(model.lib.string()) + " " + args);
}

constexpr const char* kSmallRun =
    "--prompt-tokens 24 --gen-tokens 8 --repeat 2 --bandwidth-mib 16 --threads 2";

// Numbers every bench report must satisfy, whatever the machine. The KV rows read per token
// are a large share of a tiny model's bytes, so short sequences keep the 1.1x bound meaningful.
void expect_consistent_report(const nlohmann::json& j, int prompt_tokens = 24,
                              int gen_tokens = 8) {
  EXPECT_EQ(j.at("prompt_tokens"), prompt_tokens);
  EXPECT_EQ(j.at("gen_tokens"), gen_tokens);
  EXPECT_EQ(j.at("repeat"), 2);
  EXPECT_GE(j.at("threads").get<int>(), 1);
  EXPECT_LE(j.at("threads").get<int>(), 2);
  EXPECT_GT(j.at("prefill_tok_s").get<double>(), 0);
  EXPECT_GT(j.at("decode_tok_s").get<double>(), 0);
  EXPECT_LE(j.at("decode_tok_s_min").get<double>(), j.at("decode_tok_s").get<double>());
  EXPECT_GE(j.at("decode_tok_s_max").get<double>(), j.at("decode_tok_s").get<double>());
  EXPECT_EQ(j.at("decode_tok_s_per_repeat").size(), 2u);
  EXPECT_EQ(j.at("prefill_seconds_per_repeat").size(), 2u);
  EXPECT_GT(j.at("bandwidth_gb_s").get<double>(), 0);
  EXPECT_GT(j.at("roof_tok_s").get<double>(), 0);
  EXPECT_GT(j.at("roof_percent").get<double>(), 0);
  const double weights = j.at("weight_bytes").get<double>();
  const double per_token = j.at("bytes_per_token").get<double>();
  EXPECT_GT(weights, 0);
  EXPECT_GE(per_token, 0.5 * weights);
  EXPECT_LE(per_token, 1.1 * weights);
  EXPECT_GE(j.at("peak_rss_bytes").get<double>(), weights);
  EXPECT_EQ(j.at("overhead_bytes").get<int64_t>(),
            j.at("peak_rss_bytes").get<int64_t>() - j.at("weight_bytes").get<int64_t>() -
                j.at("kv_cache_bytes").get<int64_t>());
  EXPECT_GT(j.at("kv_cache_bytes").get<int64_t>(), 0);
  EXPECT_TRUE(j.at("kernels").is_array());
}

TEST(BenchCommand, JsonReportOnATinyModelIsConsistent) {
  const TinyModel& model = tiny_model("llama");
  ASSERT_TRUE(model.error.empty()) << model.error;
  const auto run = run_bench(model, std::string(kSmallRun) + " --json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const nlohmann::json j = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << run.out;
  expect_consistent_report(j);
  EXPECT_FALSE(j.at("tied_embedding").get<bool>());  // llama: separate lm_head
  EXPECT_EQ(j.at("peak_rss_source"), "VmHWM");
}

TEST(BenchCommand, TiedEmbeddingIsCountedAsTheHead) {
  const TinyModel& model = tiny_model("qwen2");
  ASSERT_TRUE(model.error.empty()) << model.error;
  const auto run = run_bench(
      model, "--prompt-tokens 4 --gen-tokens 4 --repeat 2 --bandwidth-mib 16 --threads 2 --json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const nlohmann::json j = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << run.out;
  expect_consistent_report(j, 4, 4);
  // Tied: the whole table is streamed, so the weights part is (nearly) every tensor byte.
  EXPECT_GE(j.at("weight_bytes_per_token").get<double>(),
            0.95 * j.at("weight_bytes").get<double>());
  EXPECT_TRUE(j.at("tied_embedding").get<bool>());
}

TEST(BenchCommand, TableNamesEveryNumber) {
  const TinyModel& model = tiny_model("llama");
  ASSERT_TRUE(model.error.empty()) << model.error;
  const auto run = run_bench(model, kSmallRun);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const char* label : {"prefill", "decode", "bandwidth", "bytes/token", "roof",
                            "peak memory", "weights", "KV cache", "workspace", "overhead",
                            "kernels"}) {
    EXPECT_NE(run.out.find(label), std::string::npos) << label << "\n" << run.out;
  }
}

TEST(BenchCommand, RequestBeyondTheContextWindowNamesTheMaximum) {
  const TinyModel& model = tiny_model("llama");
  ASSERT_TRUE(model.error.empty()) << model.error;
  const auto ok = run_bench(model, std::string(kSmallRun) + " --json");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  const int64_t window = nlohmann::json::parse(ok.out).at("context_window_size").get<int64_t>();
  const auto run = run_bench(model, "--prompt-tokens " + std::to_string(window) +
                                        " --gen-tokens 1 --bandwidth-mib 16");
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.err.find("at most " + std::to_string(window)), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("context window"), std::string::npos) << run.err;
  EXPECT_TRUE(run.out.empty()) << run.out;
}

TEST(BenchCommand, MissingModelDirAndBadCountsAreClearErrors) {
  testing::ScratchDir scratch;
  const std::string missing = (scratch / "no-such-model").string();
  const auto run = testing::run_command_split(shell_quote(AAE_CLI_PATH) + " bench " +
                                              shell_quote(missing));
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.err.find("model directory " + missing + " does not exist"), std::string::npos)
      << run.err;

  const TinyModel& model = tiny_model("llama");
  ASSERT_TRUE(model.error.empty()) << model.error;
  const auto zero = run_bench(model, "--gen-tokens 0");
  EXPECT_NE(zero.exit_code, 0);
  EXPECT_NE(zero.err.find("--gen-tokens must be >= 1, found 0"), std::string::npos) << zero.err;
}

}  // namespace
}  // namespace aae
