#include "tests/support/test_support.h"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <sys/wait.h>
#include <unistd.h>
#include <cstdio>

namespace aae::testing {

std::filesystem::path testdata_dir() {
  const char* env = std::getenv("AAE_TESTDATA_DIR");
  std::filesystem::path dir = env && *env ? env : AAE_DEFAULT_TESTDATA_DIR;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir / "expected", ec)) return {};
  return std::filesystem::weakly_canonical(dir, ec);
}

ScratchDir::ScratchDir() {
  static std::atomic<int> counter{0};
  const auto base = std::filesystem::temp_directory_path();
  for (int attempt = 0; attempt < 1000; ++attempt) {
    auto candidate = base / ("aae-test-" + std::to_string(::getpid()) + "-" +
                             std::to_string(counter++));
    if (std::filesystem::create_directory(candidate)) {
      path_ = candidate;
      return;
    }
  }
  throw std::runtime_error("cannot create a scratch directory");
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path.string());
  out << bytes;
}

CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  const int status = ::pclose(pipe);
  if (status != -1 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

std::string shell_quote(const std::string& word) {
  std::string quoted = "'";
  for (char c : word) {
    if (c == '\'') quoted += "'\\''";
    else quoted += c;
  }
  return quoted + "'";
}

SplitCommandResult run_command_split(const std::string& command) {
  ScratchDir scratch;
  const std::filesystem::path err = scratch / "stderr.txt";
  // run_command appends 2>&1 to the whole line; the group's own redirection wins inside it.
  const CommandResult result =
      run_command("{ " + command + " 2>" + shell_quote(err.string()) + "; }");
  return {result.exit_code, result.output, read_file(err)};
}

}  // namespace aae::testing
