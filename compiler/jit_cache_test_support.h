// Test-only fixture for the JIT cache tests: a scratch cache home, a small llama model dir, a
// private copy of the model-library sources, and a stand-in clang++ (a shell script that logs
// every non --version call, can pause, and forwards to the real clang++).
#pragma once

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/jit_cache.h"
#include "compiler/small_model_test_config.h"
#include "tests/support/test_support.h"

namespace aae::testing {

class JitCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto real = run_command("command -v clang++");
    if (real.exit_code != 0) GTEST_SKIP() << "clang++ not found";
    real_clang_ = real.output.substr(0, real.output.find('\n'));
    if (const char* cxx = std::getenv("CXX")) saved_cxx_ = cxx, had_cxx_ = true;
    write_model();
    copy_sources();
    write_standin("clang version 99.0.0 (jit cache test stand-in)");
    ::setenv("CXX", standin().c_str(), 1);
  }
  void TearDown() override {
    if (had_cxx_) {
      ::setenv("CXX", saved_cxx_.c_str(), 1);
    } else {
      ::unsetenv("CXX");
    }
  }

  std::filesystem::path home() const { return scratch_ / "home"; }
  std::filesystem::path sources() const { return scratch_ / "src"; }
  std::filesystem::path model_dir() const { return scratch_ / "model"; }
  std::string standin() const { return (scratch_ / "bin" / "clang++").string(); }
  std::filesystem::path log_path() const { return scratch_ / "compiler.log"; }
  // Present: the stand-in touches `started` and sleeps before compiling.
  std::filesystem::path hang_marker() const { return scratch_ / "hang"; }
  std::filesystem::path started_marker() const { return scratch_ / "started"; }
  // Present: the stand-in sleeps one second before compiling (to overlap two processes).
  std::filesystem::path slow_marker() const { return scratch_ / "slow"; }

  // The stand-in prints `version` for --version.
  void write_standin(const std::string& version) const {
    std::filesystem::create_directories(scratch_ / "bin");
    const std::string script =
        "#!/bin/sh\n"
        "if [ \"$1\" = \"--version\" ]; then echo '" + version + "'; exit 0; fi\n"
        "echo \"$*\" >> " + shell_quote(log_path().string()) + "\n"
        "if [ -e " + shell_quote(hang_marker().string()) + " ]; then touch " +
        shell_quote(started_marker().string()) + "; sleep 60; fi\n"
        "if [ -e " + shell_quote(slow_marker().string()) + " ]; then sleep 1; fi\n"
        "exec " + shell_quote(real_clang_) + " \"$@\"\n";
    write_file(scratch_ / "bin" / "clang++", script);
    std::filesystem::permissions(scratch_ / "bin" / "clang++",
                                 std::filesystem::perms::owner_all);
  }

  // Object compiles the stand-in has run (lines with " -c ").
  int compile_count() const {
    std::error_code ec;
    if (!std::filesystem::exists(log_path(), ec)) return 0;
    const std::string log = read_file(log_path());
    int n = 0;
    for (size_t pos = 0; (pos = log.find(" -c ", pos)) != std::string::npos; ++pos) ++n;
    return n;
  }

  std::string log_text() const {
    std::error_code ec;
    return std::filesystem::exists(log_path(), ec) ? read_file(log_path()) : std::string();
  }

  // Names in <home>/model_lib, sorted, ".locks" excluded.
  std::string cache_listing() const {
    std::string out;
    std::error_code ec;
    std::vector<std::string> names;
    for (std::filesystem::directory_iterator it(home() / "model_lib", ec), end; !ec && it != end;
         it.increment(ec)) {
      if (it->path().filename() != ".locks") names.push_back(it->path().filename().string());
    }
    std::sort(names.begin(), names.end());
    for (const auto& n : names) out += n + "\n";
    return out;
  }

  JitRequest request() const {
    JitRequest req;
    req.base.model_dir = model_dir().string();
    req.base.device = "linux";
    req.base.overrides.context_window_size = 32;
    req.base.source_dir = sources().string();
    req.home = home();
    return req;
  }

 private:
  void write_model() const {
    std::filesystem::create_directories(model_dir());
    write_file(model_dir() / "mlc-chat-config.json", small_chat_config().dump(2));
  }


  void copy_sources() const {
    const auto checkout = std::filesystem::path(__FILE__).parent_path().parent_path();
    std::filesystem::create_directories(sources() / "include");
    std::filesystem::copy(checkout / "modellib", sources() / "modellib",
                          std::filesystem::copy_options::recursive);
    std::filesystem::copy(checkout / "include" / "sphere_aae", sources() / "include" / "sphere_aae",
                          std::filesystem::copy_options::recursive);
  }

  ScratchDir scratch_;
  std::string real_clang_;
  std::string saved_cxx_;
  bool had_cxx_ = false;
};

}  // namespace aae::testing
