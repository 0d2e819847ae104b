#include "compiler/toolchain.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace aae {
namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(Toolchain, MapsDevicesToTriples) {
  EXPECT_EQ(target_for_device("iphone")->triple, "arm64-apple-ios15.0");
  EXPECT_TRUE(target_for_device("iphone")->apple);
  EXPECT_EQ(target_for_device("android")->triple, "aarch64-linux-android24");
  EXPECT_EQ(target_for_device("linux-arm64")->triple, "aarch64-linux-gnu");
  EXPECT_EQ(target_for_device("linux")->device, "linux");
  auto bad = target_for_device("windows");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().hint().find("linux-arm64"), std::string::npos);
  EXPECT_FALSE(target_for_triple("riscv64-linux-gnu").ok());
}

TEST(Toolchain, FlagsCloseTheKnownTraps) {
  const auto x86 = model_lib_flags(*target_for_triple("x86_64-linux-gnu"), "/src");
  for (const char* f : {"-ffreestanding", "-nostdlibinc", "-fno-stack-protector",
                        "-fno-threadsafe-statics", "-fno-math-errno", "-fvisibility=hidden",
                        "--target=x86_64-linux-gnu"}) {
    EXPECT_TRUE(has(x86, f)) << f;
  }
  EXPECT_FALSE(has(x86, "-mno-outline-atomics"));
  EXPECT_TRUE(has(model_lib_flags(*target_for_triple("aarch64-linux-gnu"), "/src"),
                  "-mno-outline-atomics"));
  for (const auto& f : x86) EXPECT_EQ(f.find("-march"), std::string::npos) << f;
}

TEST(Toolchain, RunProcessReportsExitCodeSignalAndOutput) {
  auto ok = run_process({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_EQ(ok->exit_code, 3);
  EXPECT_NE(ok->output.find("out"), std::string::npos);
  EXPECT_NE(ok->output.find("err"), std::string::npos);
  auto killed = run_process({"sh", "-c", "kill -9 $$"});
  ASSERT_TRUE(killed.ok());
  EXPECT_EQ(killed->signal, 9);
  EXPECT_FALSE(killed->ok());
  EXPECT_FALSE(run_process({"/nonexistent/compiler-xyz"}).ok());
}

TEST(Toolchain, CompileErrorCarriesCommandAndDiagnostics) {
  auto clang = find_clang();
  if (!clang.ok()) GTEST_SKIP() << clang.error().to_string();
  EXPECT_NE(clang->version.find("clang"), std::string::npos);
  testing::ScratchDir dir;
  testing::write_file(dir / "bad.cc", "int f() { return undeclared_thing; }\n");
  auto r = compile_model_lib_object(*clang, *target_for_device("iphone"), dir.path().string(),
                                    (dir / "bad.cc").string(), (dir / "bad.o").string());
  ASSERT_FALSE(r.ok());
  const std::string all = r.error().to_string();
  EXPECT_NE(all.find("exit code 1"), std::string::npos) << all;
  EXPECT_NE(all.find("undeclared_thing"), std::string::npos) << all;
  EXPECT_NE(all.find("--target=arm64-apple-ios15.0"), std::string::npos) << all;
}

TEST(Toolchain, AllowListAcceptsOnlyDocumentedImports) {
  EXPECT_TRUE(disallowed_imports({"memcpy", "memset"}, false).empty());
  EXPECT_TRUE(disallowed_imports({"_memcpy"}, true).empty());
  EXPECT_EQ(disallowed_imports({"_memcpy", "___stack_chk_fail"}, true),
            std::vector<std::string>{"___stack_chk_fail"});
  EXPECT_EQ(disallowed_imports({"sqrtf"}, false), std::vector<std::string>{"sqrtf"});
}

}  // namespace
}  // namespace aae
