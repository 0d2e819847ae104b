// Shared set-up for the `sphere_aae package` end-to-end suites: example models converted by the
// real CLI, a package config beside them, and runs of `sphere_aae package` with a cache home
// shared by the whole test process (so each library and the runtime are built once).
#pragma once

#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

namespace aae::testing {

// One cache home for every package test of this build: libraries and the runtime library are
// compiled once per build tree, however many tests use them.
inline std::filesystem::path shared_package_home() {
  return std::filesystem::path(AAE_BUILD_DIR) / "test-home";
}

// Converts a `sphere_aae_make_example --preset tiny` model of `arch` to `quantization` into
// `dir` (convert_weight + gen_config). Returns "" or the failing command with its output.
inline std::string make_converted_example(const std::filesystem::path& dir,
                                          const std::string& arch = "llama",
                                          const std::string& quantization = "q4f16_1",
                                          int seed = 0) {
  const std::filesystem::path src = dir.string() + "-src";
  const std::string cli = shell_quote(AAE_CLI_PATH);
  for (const std::string& command :
       {shell_quote(AAE_MAKE_EXAMPLE_PATH) + " --arch " + arch + " --preset tiny --seed " +
            std::to_string(seed) + " -o " + shell_quote(src.string()),
        cli + " convert_weight " + shell_quote(src.string()) + " --quantization " + quantization +
            " -o " + shell_quote(dir.string()),
        cli + " gen_config " + shell_quote(src.string()) + " --quantization " + quantization +
            " --conv-template llama-2 -o " + shell_quote(dir.string())}) {
    const CommandResult r = run_command(command);
    if (r.exit_code != 0) return command + "\n" + r.output;
  }
  return "";
}

// `sphere_aae package` run from `cwd` with SPHERE_AAE_SOURCE_DIR set to this checkout and the
// shared home, plus `env` ("VAR=value ..."), and `args`. stdout only when `stdout_only`.
inline CommandResult run_package(const std::filesystem::path& cwd, const std::string& args,
                                 const std::string& env = "", bool stdout_only = false) {
  std::string command = "cd " + shell_quote(cwd.string()) +
                         " && env SPHERE_AAE_SOURCE_DIR=" + shell_quote(AAE_SOURCE_DIR) +
                         " SPHERE_AAE_HOME=" + shell_quote(shared_package_home().string()) +
                         " " + env + " " + shell_quote(AAE_CLI_PATH) + " package " + args;
  if (stdout_only) command = "{ " + command + " 2>/dev/null; }";
  return run_command(command);
}

// Parses JSON printed on stdout; fails the test (and returns null) when it is not JSON.
inline nlohmann::json parse_json_output(const CommandResult& result) {
  auto parsed = nlohmann::json::parse(result.output, nullptr, false);
  EXPECT_FALSE(parsed.is_discarded()) << result.output;
  return parsed;
}

// Every file under `dir` with its bytes, for "nothing changed" assertions.
inline std::string tree_snapshot(const std::filesystem::path& dir) {
  std::string out;
  if (!std::filesystem::exists(dir)) return "<absent>";
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) names.push_back(std::filesystem::relative(e.path(), dir).string());
  }
  std::sort(names.begin(), names.end());
  for (const auto& n : names) out += n + "\n" + read_file(dir / n) + "\n";
  return out;
}

}  // namespace aae::testing
