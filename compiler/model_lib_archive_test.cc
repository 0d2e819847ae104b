#include "compiler/model_lib_archive.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "compiler/small_model_test_config.h"
#include "compiler/toolchain.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

namespace fs = std::filesystem;

TEST(ModelLibArchive, ListsObjectsArchivesAndSharedObjects) {
  if (!find_clang().ok()) GTEST_SKIP() << "clang++ not found";
  testing::ScratchDir dir;
  for (const char* name : {"lib.o", "lib.a", "lib.so"}) {
    auto compiled = testing::compile_small_model(dir / "m", "linux", (dir / name).string());
    ASSERT_TRUE(compiled.ok()) << compiled.error().to_string();
    auto libs = list_model_libs(compiled->output);
    ASSERT_TRUE(libs.ok()) << libs.error().to_string();
    ASSERT_EQ(libs->size(), 1u) << name;
    const ModelLibEntry& e = libs->front();
    EXPECT_EQ(e.model_lib, compiled->model_lib);
    EXPECT_EQ(e.format, ObjectFormat::kElf);
    EXPECT_EQ(e.architecture, "x86_64");
    EXPECT_EQ(e.shared_object, std::string(name) == "lib.so");
    EXPECT_EQ(e.member, std::string(name) == "lib.a" ? "model_lib.o" : "");
    auto meta = nlohmann::json::parse(e.metadata_json);
    EXPECT_EQ(meta.at("model_lib"), compiled->model_lib);
    EXPECT_EQ(meta.at("vocab_size"), 100);
  }
}

TEST(ModelLibArchive, ReadsMachOArchivesForIphone) {
  if (!find_clang().ok()) GTEST_SKIP() << "clang++ not found";
  testing::ScratchDir dir;
  auto compiled = testing::compile_small_model(dir / "m", "iphone", (dir / "lib.a").string());
  ASSERT_TRUE(compiled.ok()) << compiled.error().to_string();
  auto libs = list_model_libs(compiled->output);
  ASSERT_TRUE(libs.ok()) << libs.error().to_string();
  ASSERT_EQ(libs->size(), 1u);
  EXPECT_EQ(libs->front().format, ObjectFormat::kMachO);
  EXPECT_EQ(libs->front().architecture, "aarch64");
  EXPECT_EQ(nlohmann::json::parse(libs->front().metadata_json).at("architecture"), "llama");
}

TEST(ModelLibArchive, EveryDeviceGetsItsFormatArchitectureAndOnlyAllowedImports) {
  if (!find_clang().ok()) GTEST_SKIP() << "clang++ not found";
  struct Want {
    const char* device;
    ObjectFormat format;
    const char* arch;
  };
  testing::ScratchDir dir;
  for (const Want& want : {Want{"iphone", ObjectFormat::kMachO, "aarch64"},
                           Want{"android", ObjectFormat::kElf, "aarch64"},
                           Want{"linux", ObjectFormat::kElf, "x86_64"},
                           Want{"linux-arm64", ObjectFormat::kElf, "aarch64"}}) {
    SCOPED_TRACE(want.device);
    const std::string out = (dir / (std::string(want.device) + ".a")).string();
    auto compiled = testing::compile_small_model(dir / "m", want.device, out);
    ASSERT_TRUE(compiled.ok()) << compiled.error().to_string();
    auto libs = list_model_libs(out);
    ASSERT_TRUE(libs.ok()) << libs.error().to_string();
    ASSERT_EQ(libs->size(), 1u);
    EXPECT_EQ(libs->front().format, want.format);
    EXPECT_EQ(libs->front().architecture, want.arch);
    auto objects = read_objects(out);
    ASSERT_TRUE(objects.ok());
    const bool mach_o = want.format == ObjectFormat::kMachO;
    EXPECT_TRUE(disallowed_imports(unresolved_imports(*objects), mach_o).empty());
    EXPECT_EQ(objects->front().exported().size(), 2u);
  }
}

TEST(ModelLibArchive, CheckNamesTheMissingLibrariesAndWhatWasFound) {
  if (!find_clang().ok()) GTEST_SKIP() << "clang++ not found";
  testing::ScratchDir dir;
  auto compiled = testing::compile_small_model(dir / "m", "android", (dir / "lib.a").string());
  ASSERT_TRUE(compiled.ok()) << compiled.error().to_string();
  EXPECT_TRUE(check_model_libs(compiled->output, {compiled->model_lib}).ok());
  EXPECT_TRUE(check_model_libs(compiled->output, {}).ok());
  Status missing = check_model_libs(compiled->output, {compiled->model_lib, "qwen2_q4f16_1_x"});
  ASSERT_FALSE(missing.ok());
  const std::string all = missing.error().to_string();
  EXPECT_NE(missing.error().message().find("missing: qwen2_q4f16_1_x"), std::string::npos) << all;
  EXPECT_NE(all.find(compiled->model_lib + " (ELF aarch64, "), std::string::npos) << all;
}

TEST(ModelLibArchive, DescriptorWithoutMetadataIsAnError) {
  if (!find_clang().ok()) GTEST_SKIP() << "clang++ not found";
  testing::ScratchDir dir;
  testing::write_file(dir / "bad.c", "const int fake___aae_model_lib = 1;\n");
  auto r = testing::run_command("clang -c -o " + testing::shell_quote((dir / "bad.o").string()) +
                                " " + testing::shell_quote((dir / "bad.c").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto libs = list_model_libs((dir / "bad.o").string());
  ASSERT_FALSE(libs.ok());
  EXPECT_NE(libs.error().message().find("\"fake\" has a descriptor but no readable metadata"),
            std::string::npos)
      << libs.error().to_string();
}

TEST(ModelLibArchive, FileWithoutModelLibsListsNothingAndUnreadableFileFails) {
  if (!find_clang().ok()) GTEST_SKIP() << "clang++ not found";
  testing::ScratchDir dir;
  testing::write_file(dir / "plain.c", "int plain(void) { return 2; }\n");
  auto r = testing::run_command("clang -c -o " + testing::shell_quote((dir / "plain.o").string()) +
                                " " + testing::shell_quote((dir / "plain.c").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto libs = list_model_libs((dir / "plain.o").string());
  ASSERT_TRUE(libs.ok()) << libs.error().to_string();
  EXPECT_TRUE(libs->empty());
  Status check = check_model_libs((dir / "plain.o").string(), {"x"});
  ASSERT_FALSE(check.ok());
  EXPECT_NE(check.error().to_string().find("holds no model library"), std::string::npos);
  testing::write_file(dir / "text.o", "not an object");
  EXPECT_FALSE(list_model_libs((dir / "text.o").string()).ok());
}

TEST(ModelLibArchive, UnresolvedImportsSkipWhatAnotherObjectDefines) {
  ObjectFile a, b;
  a.symbols = {{"uses_b", false}, {"memcpy", false}, {"a_def", true, true}};
  b.symbols = {{"uses_b", true, true}, {"memcpy", false}};
  EXPECT_EQ(unresolved_imports({a, b}), std::vector<std::string>{"memcpy"});
}

}  // namespace
}  // namespace aae
