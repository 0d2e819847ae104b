// End-to-end `sphere_aae download` against a fake hub on loopback: the real binary, real
// processes (two at once; one killed with SIGKILL midway).
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/support/fake_hub.h"
#include "tests/support/test_support.h"

extern char** environ;

namespace aae {
namespace {
namespace fs = std::filesystem;
using aae::testing::FakeFault;
using aae::testing::FakeHub;
using aae::testing::shell_quote;

constexpr int kShards = 4;
constexpr size_t kShardBytes = 512 * 1024;

class DownloadCli : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(hub_.base_url().empty());
    files_ = aae::testing::tiny_converted_model(kShards, kShardBytes);
    for (const auto& [name, bytes] : files_) hub_.put(path_of(name), bytes);
  }

  static std::string path_of(const std::string& name) { return "/org/repo/resolve/main/" + name; }
  fs::path home() const { return scratch_.path() / "home"; }
  fs::path final_dir() const { return home() / "model_weights/hf/org/repo"; }

  std::string env_prefix() const {
    return "HF_ENDPOINT=" + shell_quote(hub_.base_url()) + " SPHERE_AAE_HOME=" +
           shell_quote(home().string()) +
           " SPHERE_AAE_DOWNLOAD_BACKOFF_MS=20 SPHERE_AAE_DOWNLOAD_STALL_TIMEOUT_S=2 ";
  }
  std::string command(const std::string& extra = "") const {
    return env_prefix() + shell_quote(AAE_CLI_PATH) + " download HF://org/repo " + extra;
  }

  void expect_complete() {
    for (const auto& [name, bytes] : files_) {
      EXPECT_EQ(aae::testing::read_file(final_dir() / name), bytes) << name;
    }
  }

  int shard_requests() {
    int n = 0;
    for (const auto& r : hub_.requests()) n += r.path.find("params_shard_") != std::string::npos;
    return n;
  }

  // Starts `sh -c cmd` in the background; returns its pid.
  static pid_t spawn(const std::string& cmd) {
    pid_t pid = -1;
    std::string shell_cmd = "exec env " + cmd;  // env: cmd starts with VAR=value words
    const char* argv[] = {"/bin/sh", "-c", shell_cmd.c_str(), nullptr};
    posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ);
    return pid;
  }
  static int wait_exit(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  aae::testing::ScratchDir scratch_;
  FakeHub hub_;
  std::map<std::string, std::string> files_;
};

std::string last_line(const std::string& text) {
  std::string trimmed = text;
  while (!trimmed.empty() && trimmed.back() == '\n') trimmed.pop_back();
  auto newline = trimmed.rfind('\n');
  return newline == std::string::npos ? trimmed : trimmed.substr(newline + 1);
}

TEST_F(DownloadCli, PrintsTheModelDirectoryAsLastLineAndHitsCacheOffline) {
  auto first = aae::testing::run_command(command("2>/dev/null"));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_EQ(last_line(first.output), final_dir().string());
  expect_complete();
  hub_.stop();
  auto second = aae::testing::run_command(command("--verify 2>/dev/null"));
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_EQ(last_line(second.output), final_dir().string());
}

TEST_F(DownloadCli, UnknownPolicyIsAnErrorNamingTheValues) {
  auto result = aae::testing::run_command("SPHERE_AAE_DOWNLOAD_CACHE_POLICY=maybe " + command());
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("ON, OFF, REDO, READONLY"), std::string::npos) << result.output;
}

TEST_F(DownloadCli, TwoConcurrentProcessesEndWithOneCorrectCopy) {
  for (int i = 0; i < kShards; ++i) {
    hub_.fault(path_of("params_shard_" + std::to_string(i) + ".bin"),
               FakeFault::make(FakeFault::Kind::kThrottle, -1, 64 * 1024));
  }
  fs::path out_a = scratch_.path() / "a.txt", out_b = scratch_.path() / "b.txt";
  pid_t a = spawn(command("> " + shell_quote(out_a.string()) + " 2>&1"));
  pid_t b = spawn(command("> " + shell_quote(out_b.string()) + " 2>&1"));
  ASSERT_GT(a, 0);
  ASSERT_GT(b, 0);
  EXPECT_EQ(wait_exit(a), 0) << aae::testing::read_file(out_a);
  EXPECT_EQ(wait_exit(b), 0) << aae::testing::read_file(out_b);
  EXPECT_EQ(last_line(aae::testing::read_file(out_a)), final_dir().string());
  EXPECT_EQ(last_line(aae::testing::read_file(out_b)), final_dir().string());
  expect_complete();
  EXPECT_EQ(shard_requests(), kShards);  // the second process waited and reused the copy
}

TEST_F(DownloadCli, KillNineMidwayThenRerunResumes) {
  for (int i = 0; i < kShards; ++i) {
    hub_.fault(path_of("params_shard_" + std::to_string(i) + ".bin"),
               FakeFault::make(FakeFault::Kind::kThrottle, 1, 16 * 1024));
  }
  pid_t pid = spawn(command("> /dev/null 2>&1"));
  ASSERT_GT(pid, 0);
  fs::path staging = home() / "model_weights/.staging/org--repo";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  bool partial = false;
  while (!partial && std::chrono::steady_clock::now() < deadline) {
    std::error_code ec;
    for (auto it = fs::directory_iterator(staging, ec); !ec && it != fs::directory_iterator(); ++it) {
      if (it->path().extension() == ".part" && fs::file_size(it->path(), ec) > 0) partial = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  wait_exit(pid);
  ASSERT_TRUE(partial) << "the download never started";
  EXPECT_FALSE(fs::exists(final_dir()));

  auto rerun = aae::testing::run_command(command("2>/dev/null"));
  ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
  expect_complete();
  bool resumed = false;
  for (const auto& r : hub_.requests()) resumed |= !r.range.empty();
  EXPECT_TRUE(resumed) << "the rerun should continue the partial files with Range requests";
}

}  // namespace
}  // namespace aae
