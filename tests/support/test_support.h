// Helpers shared by every test executable: where the third-party reference files are,
// and scratch directories that clean up after themselves.
#pragma once

#include <filesystem>
#include <string>

namespace aae::testing {

// The shared testdata folder (../shared/testdata beside the checkout, or $AAE_TESTDATA_DIR).
// Returns an empty path when it is absent.
std::filesystem::path testdata_dir();

// Use at the top of a test that needs testdata: skips with a visible reason when absent.
#define AAE_REQUIRE_TESTDATA(var)                                                       \
  const std::filesystem::path var = ::aae::testing::testdata_dir();                     \
  if (var.empty()) {                                                                    \
    GTEST_SKIP() << "shared testdata not found (set AAE_TESTDATA_DIR or place ../shared " \
                    "beside the checkout)";                                             \
  }

// A fresh empty directory under the system temp dir, removed when the object dies.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Whole-file helpers for tests.
std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& bytes);

// Runs a shell command, capturing stdout and stderr together.
struct CommandResult {
  int exit_code = -1;  // the process's exit status; -1 if it did not exit normally
  std::string output;
};
CommandResult run_command(const std::string& command);

// Runs a shell command keeping stdout (`out`) and stderr (`err`) apart.
struct SplitCommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
SplitCommandResult run_command_split(const std::string& command);

// Quotes a path or word for /bin/sh.
std::string shell_quote(const std::string& word);

}  // namespace aae::testing
