// The JIT cache across processes: two runs started together compile once, and a compile
// killed with SIGKILL midway leaves no entry and does not disturb the next run.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "compiler/jit_cache.h"
#include "compiler/jit_cache_inventory.h"
#include "compiler/jit_cache_test_support.h"

namespace aae {
namespace {

namespace fs = std::filesystem;
using testing::JitCacheTest;

// Forks a child that runs jit_compile(req, ON) in its own process group and exits 0 (miss),
// 10 (hit) or 1 (error).
pid_t fork_compile(const JitRequest& req) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    auto result = jit_compile(req, JitPolicy::kOn);
    if (!result.ok()) std::fprintf(stderr, "%s\n", result.error().to_string().c_str());
    std::fflush(stderr);
    ::_exit(!result.ok() ? 1 : result->hit ? 10 : 0);
  }
  return pid;
}

int wait_exit_code(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(JitCacheTest, TwoProcessesStartedTogetherCompileOnce) {
  testing::write_file(slow_marker(), "");  // keeps the first compile running while the second arrives
  const auto start = std::chrono::steady_clock::now();
  const pid_t a = fork_compile(request());
  const pid_t b = fork_compile(request());
  ASSERT_GT(a, 0);
  ASSERT_GT(b, 0);
  const int code_a = wait_exit_code(a), code_b = wait_exit_code(b);
  std::printf("[jit] two processes finished in %.3f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  // One compiled (0), the other waited on the lock and hit (10).
  EXPECT_EQ(code_a + code_b, 10) << "exit codes " << code_a << ", " << code_b;
  EXPECT_EQ(compile_count(), 1) << log_text();
  auto entries = list_model_lib_cache(home());
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ(entries->front().status, ModelLibEntryStatus::kComplete);
}

TEST_F(JitCacheTest, CompileKilledMidwayLeavesNoEntryAndTheNextRunCompiles) {
  testing::write_file(hang_marker(), "");
  const pid_t child = fork_compile(request());
  ASSERT_GT(child, 0);
  // Wait until the stand-in compiler is running, then kill the whole process group.
  for (int i = 0; i < 600 && !fs::exists(started_marker()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(fs::exists(started_marker())) << "the stand-in compiler never started";
  ::kill(-child, SIGKILL);
  EXPECT_EQ(wait_exit_code(child), -1);  // killed, not exited
  fs::remove(hang_marker());

  auto lookup = jit_lookup(request());
  ASSERT_TRUE(lookup.ok()) << lookup.error().to_string();
  EXPECT_FALSE(lookup->hit);
  EXPECT_FALSE(fs::exists(lookup->path));
  EXPECT_FALSE(fs::exists(model_lib_sidecar_path(home(), lookup->key)));
  auto before = list_model_lib_cache(home());
  ASSERT_TRUE(before.ok());
  for (const auto& e : *before) EXPECT_EQ(e.status, ModelLibEntryStatus::kLeftover) << e.path;

  auto next = jit_compile(request(), JitPolicy::kOn);
  ASSERT_TRUE(next.ok()) << next.error().to_string();
  std::printf("[jit] recompiled after the kill in %.3f s\n", next->seconds);
  EXPECT_FALSE(next->hit);
  EXPECT_EQ(next->key, lookup->key);
  EXPECT_EQ(cache_listing(), next->key + ".json\n" + next->key + ".so\n");  // work dirs gone
}

}  // namespace
}  // namespace aae
