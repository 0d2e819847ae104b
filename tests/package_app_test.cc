// `sphere_aae package` output used by real apps: examples/linux-chat built with CMake against
// dist/ only, for linux (run here) and linux-arm64 (cross-built, run under qemu), answering
// with stories260K exactly as llama2.c does; and a config mixing a hub model, a bundled local
// model and a prebuilt library.
#include <gtest/gtest.h>

#include "tests/package_fixture.h"
#include "tests/support/fake_hub.h"

namespace aae {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::run_command;
using testing::run_package;
using testing::ScratchDir;
using testing::shell_quote;

bool on_path(const std::string& program) {
  return run_command("command -v " + program + " >/dev/null").exit_code == 0;
}

// Converts stories260K (q0f32) into dir/models/stories and writes a package config for device.
std::string prepare_stories(const fs::path& testdata, const fs::path& dir,
                            const std::string& device) {
  const std::string gguf = shell_quote((testdata / "gguf/stories260K.gguf").string());
  const std::string out = shell_quote((dir / "models/stories").string());
  const std::string cli = shell_quote(AAE_CLI_PATH);
  for (const std::string& command :
       {cli + " convert_weight " + gguf + " --quantization q0f32 -o " + out,
        cli + " gen_config " + gguf + " --quantization q0f32 --conv-template llama-2 -o " + out}) {
    const CommandResult r = run_command(command);
    if (r.exit_code != 0) return command + "\n" + r.output;
  }
  testing::write_file(dir / "sphere-aae-package-config.json",
                      R"({"device": ")" + device + R"(", "model_list": [
                        {"model": "models/stories", "model_id": "stories",
                         "estimated_vram_bytes": 64000000, "bundle_weight": true}]})");
  return "";
}

// Configures and builds examples/linux-chat against dist/ (extra: cross-compiling flags).
CommandResult build_app(const fs::path& dir, const std::string& extra) {
  const fs::path build = dir / "app-build";
  return run_command("cmake -S " + shell_quote(std::string(AAE_SOURCE_DIR) + "/examples/linux-chat") +
                     " -B " + shell_quote(build.string()) + " -DCMAKE_BUILD_TYPE=Release " +
                     "-DCMAKE_PREFIX_PATH=" + shell_quote((dir / "dist").string()) + " " + extra +
                     " && cmake --build " + shell_quote(build.string()));
}

std::string expected_story(const fs::path& testdata) {
  return testing::read_file(testdata / "expected/stories260K_bos_200_expected_stdout.txt");
}

TEST(PackageApp, LinuxChatAnswersWithTheStoryLlama2cTells) {
  AAE_REQUIRE_TESTDATA(testdata);
  ScratchDir dir;
  ASSERT_EQ(prepare_stories(testdata, dir.path(), "linux"), "");
  const CommandResult packaged = run_package(dir.path(), "");
  ASSERT_EQ(packaged.exit_code, 0) << packaged.output;
  ASSERT_TRUE(fs::exists(dir / "dist/lib/libaae_runtime.a"));
  const CommandResult built = build_app(dir.path(), "");
  ASSERT_EQ(built.exit_code, 0) << built.output;
  const CommandResult answer = run_command(
      "{ " + shell_quote((dir / "app-build/linux-chat").string()) + " " +
      shell_quote((dir / "dist/bundle").string()) + " stories '' 200 2>/dev/null; }");
  ASSERT_EQ(answer.exit_code, 0) << answer.output;
  EXPECT_EQ(answer.output, expected_story(testdata) + "\n");
}

TEST(PackageApp, LinuxArm64ChatCrossBuiltRunsUnderQemuWithTheSameStory) {
  AAE_REQUIRE_TESTDATA(testdata);
  if (!on_path("aarch64-linux-gnu-g++") || !on_path("qemu-aarch64")) {
    GTEST_SKIP() << "needs g++-aarch64-linux-gnu and qemu-user (apt-get install them)";
  }
  ScratchDir dir;
  ASSERT_EQ(prepare_stories(testdata, dir.path(), "linux-arm64"), "");
  const CommandResult packaged = run_package(dir.path(), "");
  ASSERT_EQ(packaged.exit_code, 0) << packaged.output;
  const CommandResult built = build_app(
      dir.path(), "-DCMAKE_TOOLCHAIN_FILE=" +
                      shell_quote(std::string(AAE_SOURCE_DIR) +
                                  "/cmake/toolchains/aarch64-linux-gnu.cmake") +
                      " -DSphereAAE_DIR=" + shell_quote((dir / "dist/lib/cmake/SphereAAE").string()));
  ASSERT_EQ(built.exit_code, 0) << built.output;
  const CommandResult answer = run_command(
      "{ qemu-aarch64 -L /usr/aarch64-linux-gnu " +
      shell_quote((dir / "app-build/linux-chat").string()) + " " +
      shell_quote((dir / "dist/bundle").string()) + " stories '' 200 2>/dev/null; }");
  ASSERT_EQ(answer.exit_code, 0) << answer.output;
  EXPECT_EQ(answer.output, expected_story(testdata) + "\n");
}

// One config, three sources: an HF:// model from a hub (the app downloads it), a bundled local
// model, and a prebuilt library named in model_lib_path_for_prepare_libs.
TEST(PackageApp, MixesHubModelLocalModelAndPrebuiltLibrary) {
  ScratchDir dir;
  ASSERT_EQ(testing::make_converted_example(dir / "hub-model", "qwen2", "q4f16_1", 1), "");
  ASSERT_EQ(testing::make_converted_example(dir / "models/local", "llama", "q4f16_1", 2), "");
  ASSERT_EQ(testing::make_converted_example(dir / "models/prebuilt", "mistral", "q4f16_1", 3), "");
  const CommandResult compiled = run_command(
      shell_quote(AAE_CLI_PATH) + " compile " + shell_quote((dir / "models/prebuilt").string()) +
      " --device linux --system-lib-prefix my_prebuilt -o " +
      shell_quote((dir / "prebuilt.a").string()));
  ASSERT_EQ(compiled.exit_code, 0) << compiled.output;

  testing::FakeHub hub;
  ASSERT_FALSE(hub.base_url().empty());
  for (const auto& e : fs::directory_iterator(dir / "hub-model")) {
    for (const char* revision : {"main", "v1"}) {
      hub.put("/org/repo/resolve/" + std::string(revision) + "/" + e.path().filename().string(),
              testing::read_file(e.path()));
    }
  }
  testing::write_file(dir / "sphere-aae-package-config.json", R"({"device": "linux",
    "model_list": [
      {"model": "HF://org/repo", "model_id": "from-hub", "estimated_vram_bytes": 9000000},
      {"model": "HF://org/repo@v1", "model_id": "pinned", "estimated_vram_bytes": 9000000},
      {"model": "models/local", "model_id": "local", "estimated_vram_bytes": 9000000,
       "bundle_weight": true},
      {"model": "models/prebuilt", "model_id": "prebuilt", "estimated_vram_bytes": 9000000,
       "bundle_weight": true, "model_lib": "my_prebuilt"}],
    "model_lib_path_for_prepare_libs": {"my_prebuilt": "prebuilt.a"}})");
  const std::string env = "HF_ENDPOINT=" + shell_quote(hub.base_url()) + " SPHERE_AAE_HOME=" +
                          shell_quote((dir / "home").string());
  // The plan reads the hub model's index only: its library, bytes and memory, nothing written.
  const CommandResult plan = run_package(dir.path(), "--dry-run --skip-runtime --json", env, true);
  ASSERT_EQ(plan.exit_code, 0) << plan.output;
  const nlohmann::json planned = testing::parse_json_output(plan);
  int64_t shard_bytes = 0;
  for (const auto& e : fs::directory_iterator(dir / "hub-model")) {
    if (e.path().filename().string().rfind("params_shard_", 0) == 0) shard_bytes += e.file_size();
  }
  EXPECT_EQ(planned["models"][0]["download"], "needed");
  EXPECT_EQ(planned["models"][0]["download_bytes"], shard_bytes);
  EXPECT_EQ(planned["models"][0]["library"]["model_lib"].get<std::string>().rfind("qwen2_q4f16_1_", 0), 0u);
  EXPECT_GT(planned["models"][0]["memory"]["required_bytes"].get<int64_t>(), shard_bytes);
  EXPECT_FALSE(fs::exists(dir / "dist"));
  EXPECT_FALSE(fs::exists(dir / "home/model_weights/hf/org/repo"));

  const CommandResult r = run_package(dir.path(), "--skip-runtime --json", env, true);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json report = testing::parse_json_output(r);
  ASSERT_EQ(report["models"].size(), 4u);
  EXPECT_EQ(report["models"][0]["download"], "downloaded");
  EXPECT_EQ(report["models"][3]["library"]["origin"], "prebuilt");
  // The same model at a pinned revision: the same library (linked once), its own URL.
  EXPECT_EQ(report["models"][1]["library"]["model_lib"], report["models"][0]["library"]["model_lib"]);
  EXPECT_EQ(report["archive"]["model_libs"].size(), 3u);

  const std::string app = testing::read_file(dir / "dist/bundle/sphere-aae-app-config.json");
  EXPECT_NE(app.find("\"model_url\": \"" + hub.base_url() + "/org/repo\""), std::string::npos)
      << app;
  EXPECT_NE(app.find("\"model_url\": \"" + hub.base_url() + "/org/repo/tree/v1\""),
            std::string::npos) << app;
  EXPECT_NE(app.find("\"model_path\": \"local\""), std::string::npos) << app;
  EXPECT_NE(app.find("\"model_lib\": \"my_prebuilt\""), std::string::npos) << app;
  EXPECT_FALSE(fs::exists(dir / "dist/bundle/from-hub"));  // not bundled: the app downloads it
  EXPECT_TRUE(fs::exists(dir / "dist/bundle/prebuilt/params_shard_0.bin"));
  EXPECT_TRUE(fs::exists(dir / "home/model_weights/hf/org/repo/tensor-cache.json"));

  const CommandResult listing = run_command(
      "{ " + shell_quote(AAE_CLI_PATH) + " inspect " +
      shell_quote((dir / "dist/lib/libmodel_linux.a").string()) + " --json 2>/dev/null; }");
  ASSERT_EQ(listing.exit_code, 0) << listing.output;
  for (const auto& m : report["models"]) {
    const std::string name = m["library"]["model_lib"];
    EXPECT_NE(listing.output.find("\"" + name + "\""), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace aae
