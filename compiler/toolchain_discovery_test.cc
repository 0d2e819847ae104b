// Per-device compiler discovery with stand-in tools: a fake `xcrun` and a fake NDK folder whose
// clang records its arguments and forwards to the real clang.
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "compiler/toolchain.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

namespace fs = std::filesystem;

// Sets an environment variable for one test and restores it afterwards.
class EnvOverride {
 public:
  EnvOverride(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      setenv(name, value->c_str(), 1);
    } else {
      unsetenv(name);
    }
  }
  ~EnvOverride() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

void write_script(const fs::path& path, const std::string& body) {
  fs::create_directories(path.parent_path());
  testing::write_file(path, "#!/bin/sh\n" + body);
  chmod(path.c_str(), 0755);
}

// A clang stand-in that appends its arguments to `log` and runs the real clang++.
void write_forwarding_clang(const fs::path& path, const fs::path& log,
                            const std::string& real_clang) {
  write_script(path, "echo \"$@\" >> " + testing::shell_quote(log.string()) + "\nexec " +
                         testing::shell_quote(real_clang) + " \"$@\"\n");
}

std::string real_clang_or_empty() { return find_on_path("clang++"); }

TEST(ToolchainDiscovery, IphoneUsesXcrunWhenOnPath) {
  const std::string real = real_clang_or_empty();
  if (real.empty()) GTEST_SKIP() << "clang++ not on PATH";
  testing::ScratchDir dir;
  const fs::path fake_clang = dir / "xcode/bin/clang";
  const fs::path log = dir / "clang.log";
  write_forwarding_clang(fake_clang, log, real);
  write_script(dir / "bin/xcrun",
               "[ \"$*\" = \"--sdk iphoneos --find clang\" ] || exit 2\necho " +
                   testing::shell_quote(fake_clang.string()) + "\n");
  EnvOverride path("PATH", (dir / "bin").string() + ":" + std::getenv("PATH"));

  auto compiler = find_clang_for(*target_for_device("iphone"));
  ASSERT_TRUE(compiler.ok()) << compiler.error().to_string();
  EXPECT_EQ(compiler->path, fake_clang.string());
  EXPECT_EQ(compiler->found_by, "xcrun");

  testing::write_file(dir / "f.cc", "extern \"C\" int f() { return 1; }\n");
  auto built = compile_model_lib_object(*compiler, *target_for_device("iphone"),
                                        dir.path().string(), (dir / "f.cc").string(),
                                        (dir / "f.o").string());
  ASSERT_TRUE(built.ok()) << built.error().to_string();
  EXPECT_NE(testing::read_file(log).find("--target=arm64-apple-ios15.0"), std::string::npos);
  // Other devices never ask xcrun.
  auto linux_compiler = find_clang_for(*target_for_device("linux"));
  ASSERT_TRUE(linux_compiler.ok());
  EXPECT_NE(linux_compiler->found_by, "xcrun");
}

TEST(ToolchainDiscovery, IphoneXcrunWithoutClangIsAnErrorWithAHint) {
  testing::ScratchDir dir;
  write_script(dir / "bin/xcrun", "echo 'xcrun: error: unable to find utility' >&2\nexit 72\n");
  EnvOverride path("PATH", (dir / "bin").string() + ":" + std::getenv("PATH"));
  auto compiler = find_clang_for(*target_for_device("iphone"));
  ASSERT_FALSE(compiler.ok());
  EXPECT_NE(compiler.error().message().find("--sdk iphoneos --find clang"), std::string::npos)
      << compiler.error().to_string();
  EXPECT_NE(compiler.error().hint().find("Xcode"), std::string::npos);
}

TEST(ToolchainDiscovery, IphoneFallsBackToPlainClangWithoutXcrun) {
  if (real_clang_or_empty().empty()) GTEST_SKIP() << "clang++ not on PATH";
  if (!find_on_path("xcrun").empty()) GTEST_SKIP() << "a real xcrun is on PATH";
  EnvOverride cxx("CXX", std::nullopt);
  auto compiler = find_clang_for(*target_for_device("iphone"));
  ASSERT_TRUE(compiler.ok()) << compiler.error().to_string();
  EXPECT_EQ(compiler->path, "clang++");
  EXPECT_EQ(compiler->found_by, "PATH");
}

TEST(ToolchainDiscovery, AndroidUsesTheNdkClang) {
  const std::string real = real_clang_or_empty();
  if (real.empty()) GTEST_SKIP() << "clang++ not on PATH";
  testing::ScratchDir dir;
  const fs::path bin = dir / "ndk/toolchains/llvm/prebuilt/linux-x86_64/bin";
  const fs::path log = dir / "clang.log";
  write_forwarding_clang(bin / "clang++", log, real);
  EnvOverride ndk("ANDROID_NDK", (dir / "ndk").string());

  auto compiler = find_clang_for(*target_for_device("android"));
  ASSERT_TRUE(compiler.ok()) << compiler.error().to_string();
  EXPECT_EQ(compiler->path, (bin / "clang++").string());
  EXPECT_EQ(compiler->found_by, "$ANDROID_NDK");
  testing::write_file(dir / "f.cc", "extern \"C\" int f() { return 1; }\n");
  auto built = compile_model_lib_object(*compiler, *target_for_device("android"),
                                        dir.path().string(), (dir / "f.cc").string(),
                                        (dir / "f.o").string());
  ASSERT_TRUE(built.ok()) << built.error().to_string();
  EXPECT_NE(testing::read_file(log).find("--target=aarch64-linux-android24"), std::string::npos);
  // linux ignores the NDK.
  EXPECT_NE(find_clang_for(*target_for_device("linux"))->found_by, "$ANDROID_NDK");
}

TEST(ToolchainDiscovery, AndroidNdkWithoutClangIsAnError) {
  testing::ScratchDir dir;
  fs::create_directories(dir / "ndk/toolchains");
  EnvOverride ndk("ANDROID_NDK", (dir / "ndk").string());
  auto compiler = find_clang_for(*target_for_device("android"));
  ASSERT_FALSE(compiler.ok());
  const std::string all = compiler.error().to_string();
  EXPECT_NE(all.find("ANDROID_NDK"), std::string::npos) << all;
  EXPECT_NE(all.find("toolchains/llvm/prebuilt/linux-x86_64/bin/clang++ (missing)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("bin/clang (missing)"), std::string::npos) << all;
}

TEST(ToolchainDiscovery, MissingCompilerSaysWhatWasTriedAndHowToInstall) {
  testing::ScratchDir dir;
  fs::create_directories(dir / "empty");
  EnvOverride cxx("CXX", (dir / "no-such-clang++").string());
  EnvOverride path("PATH", (dir / "empty").string());
  EnvOverride ndk("ANDROID_NDK", std::nullopt);
  for (const char* device : {"linux", "linux-arm64", "android", "iphone"}) {
    auto compiler = find_clang_for(*target_for_device(device));
    ASSERT_FALSE(compiler.ok()) << device;
    const std::string all = compiler.error().to_string();
    const std::string cxx_tried = "no-such-clang++ (not runnable)";
    const size_t cxx_at = all.find(cxx_tried);
    const size_t path_at = all.find(", clang++ (not runnable)", cxx_at + cxx_tried.size());
    EXPECT_NE(cxx_at, std::string::npos) << all;
    EXPECT_NE(path_at, std::string::npos) << all;  // $CXX first, then PATH
    EXPECT_NE(compiler.error().hint().find("apt-get install clang lld"), std::string::npos);
  }
  EXPECT_NE(find_clang_for(*target_for_device("iphone")).error().to_string().find("xcrun"),
            std::string::npos);
  EXPECT_NE(
      find_clang_for(*target_for_device("android")).error().to_string().find("$ANDROID_NDK"),
      std::string::npos);
}

TEST(ToolchainDiscovery, FindOnPathReturnsTheFirstExecutable) {
  testing::ScratchDir dir;
  write_script(dir / "a/tool-xyz", "exit 0\n");
  write_script(dir / "b/tool-xyz", "exit 0\n");
  EnvOverride path("PATH", (dir / "a").string() + ":" + (dir / "b").string());
  EXPECT_EQ(find_on_path("tool-xyz"), (dir / "a/tool-xyz").string());
  EXPECT_EQ(find_on_path("tool-missing"), "");
}

}  // namespace
}  // namespace aae
