// End-to-end `sphere_aae package` with the real binary (docs/package.md): the output tree, the
// app config, reruns that change nothing, the JIT policy, every device's archive, documented
// errors leaving dist/ untouched, and the --dry-run plan.
#include <regex>

#include <gtest/gtest.h>

#include "tests/package_fixture.h"

namespace aae {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::parse_json_output;
using testing::run_package;
using testing::ScratchDir;
using testing::tree_snapshot;

// A folder with models/tiny (llama q4f16_1) and a package config for `device`.
class PackageCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string error = testing::make_converted_example(dir_ / "models/tiny");
    ASSERT_EQ(error, "");
  }
  void write_config(const std::string& device, const std::string& extra_entry_fields = "",
                    const std::string& extra_top = "") {
    testing::write_file(dir_ / "sphere-aae-package-config.json",
                        R"({"device": ")" + device + R"(", "model_list": [
                          {"model": "models/tiny", "model_id": "tiny",
                           "estimated_vram_bytes": 4000000, "bundle_weight": true)" +
                            extra_entry_fields + "}]" + extra_top + "}");
  }
  nlohmann::json package_json(const std::string& args, const std::string& env = "") {
    const CommandResult r = run_package(dir_.path(), args + " --json", env, true);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return parse_json_output(r);
  }
  nlohmann::json inspect_json(const fs::path& lib) {
    const CommandResult r = testing::run_command(
        "{ " + testing::shell_quote(AAE_CLI_PATH) + " inspect " +
        testing::shell_quote(lib.string()) + " --json 2>/dev/null; }");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return parse_json_output(r);
  }

  ScratchDir dir_;
};

TEST_F(PackageCli, LinuxOutputHasArchiveHeadersBundleAndMlcShapedAppConfig) {
  write_config("linux");
  const nlohmann::json report = package_json("--skip-runtime");
  const std::string model_lib = report["models"][0]["library"]["model_lib"];
  EXPECT_EQ(model_lib.rfind("llama_q4f16_1_", 0), 0u) << model_lib;

  const fs::path dist = dir_ / "dist";
  for (const char* file : {"lib/libmodel_linux.a", "lib/include/sphere_aae/aae.h",
                           "lib/include/sphere_aae/aae_model_lib.h",
                           "lib/include/sphere_aae/version.h",
                           "lib/cmake/SphereAAE/SphereAAEConfig.cmake",
                           "bundle/tiny/tensor-cache.json", "bundle/tiny/params_shard_0.bin",
                           "bundle/tiny/sphere-aae-chat-config.json"}) {
    EXPECT_TRUE(fs::exists(dist / file)) << file;
  }
  EXPECT_FALSE(fs::exists(dist / "bundle/tiny/config.json"));  // only what the app needs
  EXPECT_EQ(testing::read_file(dist / "bundle/sphere-aae-app-config.json"),
            "{\n  \"model_list\": [\n    {\n      \"model_id\": \"tiny\",\n      \"model_lib\": \"" +
                model_lib +
                "\",\n      \"model_path\": \"tiny\",\n      \"estimated_vram_bytes\": 4000000\n"
                "    }\n  ]\n}\n");
  const nlohmann::json libs = inspect_json(dist / "lib/libmodel_linux.a");
  ASSERT_FALSE(libs.is_discarded());
  EXPECT_NE(libs.dump().find(model_lib), std::string::npos);
}

TEST_F(PackageCli, SecondRunCompilesNothingAndCopiesNothing) {
  write_config("linux");
  package_json("--skip-runtime");
  const nlohmann::json again = package_json("--skip-runtime");
  EXPECT_EQ(again["models"][0]["library"]["cache"], "hit");
  EXPECT_EQ(again["archive"]["status"], "unchanged");
  EXPECT_EQ(again["files"]["copied"], 0);
  EXPECT_EQ(again["files"]["cloned"], 0);
  EXPECT_EQ(again["files"]["bytes_copied"], 0);
  EXPECT_GT(again["files"]["linked_unchanged"].get<int>(), 5);
  EXPECT_EQ(again["models"][0]["bundle"]["bytes_to_copy"], 0);
  std::printf("[ info ] unchanged re-run took %.2f s\n", again["seconds"].get<double>());
}

TEST_F(PackageCli, RedoPolicyRecompilesTheLibrary) {
  write_config("linux");
  package_json("--skip-runtime");
  const nlohmann::json redo = package_json("--skip-runtime", "SPHERE_AAE_JIT_POLICY=REDO");
  EXPECT_EQ(redo["models"][0]["library"]["cache"], "compiled");
  EXPECT_EQ(redo["jit_policy"], "REDO");
}

TEST_F(PackageCli, IphoneAndAndroidArchivesHoldArm64ObjectsOfTheirFormat) {
  for (const auto& [device, format] : {std::pair<std::string, std::string>{"iphone", "Mach-O"},
                                       {"android", "ELF"}}) {
    write_config(device);
    const nlohmann::json report = package_json("--skip-runtime -o dist-" + device);
    const std::string model_lib = report["models"][0]["library"]["model_lib"];
    const fs::path archive = dir_ / ("dist-" + device) / "lib" / ("libmodel_" + device + ".a");
    ASSERT_TRUE(fs::exists(archive)) << archive;
    const std::string listing = inspect_json(archive).dump();
    EXPECT_NE(listing.find(model_lib), std::string::npos) << listing;
    EXPECT_NE(listing.find(format), std::string::npos) << listing;
    EXPECT_NE(listing.find("aarch64"), std::string::npos) << listing;
    // Bundled on every device: model_path, never a local path as model_url.
    const std::string app = testing::read_file(dir_ / ("dist-" + device) /
                                               "bundle/sphere-aae-app-config.json");
    EXPECT_NE(app.find("\"model_path\": \"tiny\""), std::string::npos) << app;
    EXPECT_EQ(fs::exists(dir_ / ("dist-" + device) / "lib/include/module.modulemap"),
              device == "iphone");
  }
}

// Each documented error: the message says what is wrong, and dist/ is byte-for-byte unchanged.
TEST_F(PackageCli, ErrorsLeaveThePreviousOutputUnchanged) {
  write_config("linux");
  package_json("--skip-runtime");
  const std::string before = tree_snapshot(dir_ / "dist");

  struct Case {
    std::string name, config, env, args, expected;
    bool skip_runtime = true;
  };
  const std::string good_entry = R"({"model": "models/tiny", "model_id": "tiny",
      "estimated_vram_bytes": 4000000, "bundle_weight": true})";
  const std::vector<Case> cases = {
      {"macabi", R"({"device": "macabi", "model_list": [)" + good_entry + "]}", "", "",
       "not supported yet"},
      {"unknown device", R"({"device": "iphon", "model_list": [)" + good_entry + "]}", "", "",
       "iphone"},
      {"local without bundle", R"({"device": "linux", "model_list": [{"model": "models/tiny",
         "model_id": "tiny", "estimated_vram_bytes": 1}]})", "", "", "bundle_weight"},
      {"missing estimated_vram_bytes", R"({"device": "linux", "model_list": [{"model":
         "models/tiny", "model_id": "tiny", "bundle_weight": true}]})", "", "",
       "estimated_vram_bytes"},
      {"duplicate model_id", R"({"device": "linux", "model_list": [)" + good_entry + ", " +
                                 good_entry + "]}", "", "", "already used"},
      {"mlc tar", R"({"device": "linux", "model_list": [{"model": "models/tiny", "model_id":
         "tiny", "estimated_vram_bytes": 4000000, "bundle_weight": true, "model_lib": "x"}],
         "model_lib_path_for_prepare_libs": {"x": "x.tar"}})", "", "", ".tar"},
      {"bad jit policy", "", "SPHERE_AAE_JIT_POLICY=SOMETIMES", "", "READONLY"},
      {"strict memory", R"({"device": "linux", "model_list": [{"model": "models/tiny",
         "model_id": "tiny", "estimated_vram_bytes": 10, "bundle_weight": true}]})", "",
       "--strict", "estimated_vram_bytes"},
      {"no source dir", "", "SPHERE_AAE_SOURCE_DIR=", "", "SPHERE_AAE_SOURCE_DIR"},
      {"missing config", "", "", "--package-config nowhere.json", "nowhere.json"},
      {"jit off", "", "SPHERE_AAE_JIT_POLICY=OFF", "", "SPHERE_AAE_JIT_POLICY=OFF"},
      {"prebuilt without that model_lib", R"({"device": "linux", "model_list": [{"model":
         "models/tiny", "model_id": "tiny", "estimated_vram_bytes": 4000000,
         "bundle_weight": true, "model_lib": "wanted"}],
         "model_lib_path_for_prepare_libs": {"wanted": "other.a"}})", "", "",
       "does not contain model_lib \"wanted\""},
      {"incomplete weights", R"({"device": "linux", "model_list": [{"model": "models/broken",
         "model_id": "broken", "estimated_vram_bytes": 4000000, "bundle_weight": true}]})", "",
       "", "incomplete"},
      {"iphone runtime without xcode", R"({"device": "iphone", "model_list": [)" + good_entry +
                                           "]}", "", "", "Xcode", false},
      {"readonly miss", R"({"device": "linux", "model_list": [{"model": "models/tiny",
         "model_id": "tiny", "estimated_vram_bytes": 4000000, "bundle_weight": true,
         "overrides": {"context_window_size": 77}}]})", "SPHERE_AAE_JIT_POLICY=READONLY", "",
       "READONLY"},
  };
  const std::string good_config = testing::read_file(dir_ / "sphere-aae-package-config.json");
  testing::write_file(dir_ / "x.tar", "not an archive");
  fs::copy(dir_ / "models/tiny", dir_ / "models/broken", fs::copy_options::recursive);
  testing::write_file(dir_ / "models/broken/params_shard_0.bin", "truncated");
  const CommandResult other = testing::run_command(
      testing::shell_quote(AAE_CLI_PATH) + " compile " +
      testing::shell_quote((dir_ / "models/tiny").string()) +
      " --device linux --system-lib-prefix other -o " +
      testing::shell_quote((dir_ / "other.a").string()));
  ASSERT_EQ(other.exit_code, 0) << other.output;
  for (const auto& c : cases) {
    testing::write_file(dir_ / "sphere-aae-package-config.json",
                        c.config.empty() ? good_config : c.config);
    const CommandResult r =
        run_package(dir_.path(), (c.skip_runtime ? "--skip-runtime " : "") + c.args, c.env);
    EXPECT_NE(r.exit_code, 0) << c.name << "\n" << r.output;
    EXPECT_NE(r.output.find(c.expected), std::string::npos) << c.name << "\n" << r.output;
    EXPECT_EQ(tree_snapshot(dir_ / "dist"), before) << c.name;
  }
}

TEST_F(PackageCli, RefusesToReplaceAnOutputDirectoryItDidNotWrite) {
  write_config("linux");
  fs::create_directories(dir_ / "mine");
  testing::write_file(dir_ / "mine/notes.txt", "keep me");
  const CommandResult r = run_package(dir_.path(), "--skip-runtime -o mine");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("notes.txt"), std::string::npos) << r.output;
  EXPECT_EQ(tree_snapshot(dir_ / "mine"), "notes.txt\nkeep me\n");
}

// The plan is stable text: hashes, the scratch path and the toolchain are normalised.
TEST_F(PackageCli, DryRunPrintsThePlanAndWritesNothing) {
  write_config("linux");
  const CommandResult r = run_package(dir_.path(), "--dry-run --skip-runtime",
                                      "SPHERE_AAE_JIT_POLICY=REDO", true);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "dist"));
  std::string text = std::regex_replace(r.output, std::regex("[0-9a-f]{32}"), "<md5>");
  text = std::regex_replace(text, std::regex(dir_.path().string()), "<dir>");
  const std::string golden =
      "plan for linux -> <dir>/dist\n"
      "  tiny  (models/tiny)\n"
      "    weights   local  <dir>/models/tiny\n"
      "    library   llama_q4f16_1_<md5>  jit cache miss (SPHERE_AAE_JIT_POLICY=REDO)\n"
      "    bundle    5 files, 100.4 KiB, 100.4 KiB to copy\n"
      "    memory    2.0 MiB needed (weights 79.4 KiB + KV cache 128.0 KiB + workspace 1.8 MiB); "
      "estimated_vram_bytes 3.8 MiB\n"
      "  archive   <dir>/dist/lib/libmodel_linux.a  would build\n"
      "  runtime   skipped\n";
  EXPECT_EQ(text, golden);
}

}  // namespace
}  // namespace aae
