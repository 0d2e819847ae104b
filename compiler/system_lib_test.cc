#include "compiler/system_lib.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "compiler/model_lib_archive.h"
#include "compiler/object_reader.h"
#include "compiler/small_model_test_config.h"
#include "compiler/toolchain.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

namespace fs = std::filesystem;
using testing::shell_quote;

bool have_tools() { return find_clang().ok() && !find_on_path("llvm-ar").empty(); }

TEST(SystemLib, RegistrySourceIsFreestandingAndNamesEveryLibrary) {
  const std::string src = system_lib_registry_source({"llama_a", "qwen2_b"});
  EXPECT_EQ(src.find("#include"), std::string::npos);
  EXPECT_EQ(src.find("strcmp"), std::string::npos);
  EXPECT_NE(src.find("aae_system_model_lib(const char* model_lib)"), std::string::npos);
  EXPECT_NE(src.find("return &llama_a___aae_model_lib;"), std::string::npos);
  EXPECT_NE(src.find("return &qwen2_b___aae_model_lib;"), std::string::npos);
}

// Two models in one archive; a C program that calls only aae_system_model_lib links against it
// without --whole-archive and finds both by name, and NULL for an unknown name.
TEST(SystemLib, LinksWithoutWholeArchiveAndFindsEveryLibrary) {
  if (!have_tools()) GTEST_SKIP() << "clang++ or llvm-ar not found";
  testing::ScratchDir dir;
  auto a = testing::compile_small_model(dir / "a", "linux", (dir / "a.o").string(), 64);
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  auto b = testing::compile_small_model(dir / "b", "linux", (dir / "b.a").string(), 32);
  ASSERT_TRUE(b.ok()) << b.error().to_string();
  ASSERT_NE(a->model_lib, b->model_lib);

  const std::string lib = (dir / "libmodel_linux.a").string();
  auto built = build_system_lib("linux", {a->output, b->output}, lib);
  ASSERT_TRUE(built.ok()) << built.error().to_string();
  EXPECT_EQ(built->model_libs, (std::vector<std::string>{a->model_lib, b->model_lib}));

  auto objects = read_objects(lib);
  ASSERT_TRUE(objects.ok()) << objects.error().to_string();
  EXPECT_EQ(objects->size(), 3u);  // registry + two models
  EXPECT_TRUE(disallowed_imports(unresolved_imports(*objects), false).empty());
  EXPECT_TRUE(check_model_libs(lib, {a->model_lib, b->model_lib}).ok());

  testing::write_file(dir / "main.c", R"(#include <stdio.h>
#include "sphere_aae/aae.h"
int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const AaeModelLib* lib = aae_system_model_lib(argv[i]);
    if (lib == NULL) printf("NULL\n");
    else printf("%s abi=%u vocab=%d\n", lib->model_lib, (unsigned)lib->abi_version, lib->vocab_size);
  }
  return 0;
}
)");
  const std::string exe = (dir / "app").string();
  auto link = testing::run_command(
      "clang -std=c11 -I " + shell_quote(testing::model_lib_source_checkout() + "/include") + " " +
      shell_quote((dir / "main.c").string()) + " " + shell_quote(lib) + " -o " +
      shell_quote(exe));
  ASSERT_EQ(link.exit_code, 0) << link.output;
  auto run = testing::run_command(shell_quote(exe) + " " + a->model_lib + " " + b->model_lib +
                                  " no_such_model_lib");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(run.output, a->model_lib + " abi=1 vocab=100\n" + b->model_lib +
                            " abi=1 vocab=100\nNULL\n");
}

TEST(SystemLib, RefusesDuplicateNamesBeforeArchiving) {
  if (!have_tools()) GTEST_SKIP() << "clang++ or llvm-ar not found";
  testing::ScratchDir dir;
  auto a = testing::compile_small_model(dir / "m", "linux", (dir / "first.o").string());
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  auto b = testing::compile_small_model(dir / "m", "linux", (dir / "second.a").string());
  ASSERT_TRUE(b.ok()) << b.error().to_string();
  const std::string lib = (dir / "libmodel_linux.a").string();
  auto built = build_system_lib("linux", {a->output, b->output}, lib);
  ASSERT_FALSE(built.ok());
  const std::string msg = built.error().message();
  EXPECT_NE(msg.find(a->model_lib), std::string::npos) << msg;
  EXPECT_NE(msg.find("first.o"), std::string::npos) << msg;
  EXPECT_NE(msg.find("second.a(model_lib.o)"), std::string::npos) << msg;
  EXPECT_FALSE(fs::exists(lib));
}

TEST(SystemLib, RefusesInputsOfAnotherDevice) {
  if (!have_tools()) GTEST_SKIP() << "clang++ or llvm-ar not found";
  testing::ScratchDir dir;
  auto a = testing::compile_small_model(dir / "m", "iphone", (dir / "m.a").string());
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  auto built = build_system_lib("android", {a->output}, (dir / "libmodel_android.a").string());
  ASSERT_FALSE(built.ok());
  EXPECT_NE(built.error().message().find("is Mach-O aarch64, but android needs ELF aarch64"),
            std::string::npos)
      << built.error().to_string();
  EXPECT_NE(built.error().hint().find("--device android"), std::string::npos);
  EXPECT_FALSE(build_system_lib("linux", {}, (dir / "x.a").string()).ok());
}

TEST(SystemLib, RebuildingFromASystemLibraryReplacesItsRegistry) {
  if (!have_tools()) GTEST_SKIP() << "clang++ or llvm-ar not found";
  testing::ScratchDir dir;
  auto a = testing::compile_small_model(dir / "a", "iphone", (dir / "a.o").string(), 64);
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  auto b = testing::compile_small_model(dir / "b", "iphone", (dir / "b.o").string(), 32);
  ASSERT_TRUE(b.ok()) << b.error().to_string();
  const std::string first = (dir / "first.a").string(), second = (dir / "second.a").string();
  ASSERT_TRUE(build_system_lib("iphone", {a->output}, first).ok());
  auto rebuilt = build_system_lib("iphone", {first, b->output}, second);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().to_string();
  auto libs = list_model_libs(second);
  ASSERT_TRUE(libs.ok()) << libs.error().to_string();
  ASSERT_EQ(libs->size(), 2u);
  EXPECT_EQ(libs->at(0).format, ObjectFormat::kMachO);
  auto objects = read_objects(second);
  ASSERT_TRUE(objects.ok());
  EXPECT_EQ(objects->size(), 3u);  // one registry, two models
  EXPECT_TRUE(disallowed_imports(unresolved_imports(*objects), true).empty());
}

}  // namespace
}  // namespace aae
