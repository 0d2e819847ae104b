// `sphere_aae package --device android`: the Android library module at
// dist/lib/sphere-aae-android/ (docs/java.md): its files, Java sources that compile with javac,
// a JNI source that compiles against dist/lib/include alone, and the app config as its asset.
// No NDK here: the module then has no prebuilt JNI library and the report says so.
#include <gtest/gtest.h>

#include "tests/package_fixture.h"

namespace aae {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::run_command;
using testing::run_package;
using testing::ScratchDir;
using testing::shell_quote;

const char* const kModule = "dist/lib/sphere-aae-android";
const char* const kJavaFiles[] = {"AaeException.java", "Engine.java", "StreamCallback.java"};

// The JDK javac belongs to ("" when javac is not on PATH).
std::string jdk_home() {
  const CommandResult r = run_command("readlink -f \"$(command -v javac)\"");
  if (r.exit_code != 0 || r.output.empty()) return "";
  std::string javac = r.output.substr(0, r.output.find('\n'));
  return fs::path(javac).parent_path().parent_path().string();
}

class PackageAndroid : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(testing::make_converted_example(dir_ / "models/tiny"), "");
    testing::write_file(dir_ / "sphere-aae-package-config.json",
                        R"({"device": "android", "model_list": [
                          {"model": "models/tiny", "model_id": "tiny",
                           "estimated_vram_bytes": 4000000, "bundle_weight": true}]})");
    // ANDROID_NDK cleared: the same result on machines that have an NDK.
    const CommandResult r = run_package(dir_.path(), "--skip-runtime --json", "ANDROID_NDK=", true);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    report_ = testing::parse_json_output(r);
  }

  fs::path module() const { return dir_ / kModule; }

  ScratchDir dir_;
  nlohmann::json report_;
};

TEST_F(PackageAndroid, ModuleHasGradleManifestJavaJniAndAsset) {
  for (const char* file :
       {"build.gradle", "consumer-rules.pro", "src/main/AndroidManifest.xml",
        "src/main/cpp/sphere_aae_jni.cc", "src/main/cpp/CMakeLists.txt",
        "src/main/assets/sphere-aae-app-config.json"}) {
    EXPECT_TRUE(fs::is_regular_file(module() / file)) << file;
  }
  const std::string gradle = testing::read_file(module() / "build.gradle");
  for (const char* expected : {"id 'com.android.library'", "namespace 'ai.sphereaae'",
                               "minSdk 24", "jniLibs.srcDirs = ['src/main/jniLibs']",
                               "path 'src/main/cpp/CMakeLists.txt'"}) {
    EXPECT_NE(gradle.find(expected), std::string::npos) << expected << "\n" << gradle;
  }
  EXPECT_NE(testing::read_file(module() / "consumer-rules.pro").find("-keep class ai.sphereaae."),
            std::string::npos);
  EXPECT_NE(testing::read_file(module() / "src/main/cpp/CMakeLists.txt")
                .find("libmodel_android.a"),
            std::string::npos);
  // The JNI source includes aae_chat.h, so dist/lib/include carries it.
  EXPECT_TRUE(fs::exists(dir_ / "dist/lib/include/sphere_aae/aae_chat.h"));
}

TEST_F(PackageAndroid, JavaAndJniSourcesAreTheRepositorysBytes) {
  const fs::path source = fs::path(AAE_SOURCE_DIR) / "bindings/java";
  for (const char* name : kJavaFiles) {
    EXPECT_EQ(testing::read_file(module() / "src/main/java/ai/sphereaae" / name),
              testing::read_file(source / "src/main/java/ai/sphereaae" / name))
        << name;
  }
  EXPECT_EQ(testing::read_file(module() / "src/main/cpp/sphere_aae_jni.cc"),
            testing::read_file(source / "jni/sphere_aae_jni.cc"));
}

TEST_F(PackageAndroid, AssetIsTheBundlesAppConfig) {
  const std::string bundle = testing::read_file(dir_ / "dist/bundle/sphere-aae-app-config.json");
  ASSERT_NE(bundle.find("\"model_id\": \"tiny\""), std::string::npos) << bundle;
  EXPECT_EQ(testing::read_file(module() / "src/main/assets/sphere-aae-app-config.json"), bundle);
}

TEST_F(PackageAndroid, WithoutAnNdkThereIsNoJniLibraryAndTheReportSaysWhy) {
  EXPECT_FALSE(fs::exists(module() / "src/main/jniLibs/arm64-v8a/libsphere_aae_jni.so"));
  const std::string warnings = report_["warnings"].dump();
  EXPECT_NE(warnings.find("no prebuilt src/main/jniLibs/arm64-v8a/libsphere_aae_jni.so"),
            std::string::npos)
      << warnings;
  EXPECT_NE(warnings.find("$ANDROID_NDK is not set"), std::string::npos) << warnings;
}

TEST_F(PackageAndroid, CopiedJavaSourcesCompileWithJavac) {
  if (jdk_home().empty()) GTEST_SKIP() << "no javac on PATH (apt-get install openjdk-17-jdk-headless)";
  const fs::path classes = dir_ / "classes";
  std::string command = "javac --release 8 -Xlint:all -Xlint:-options -Werror -encoding UTF-8 -d " +
                        shell_quote(classes.string());
  for (const char* name : kJavaFiles) {
    command += " " + shell_quote((module() / "src/main/java/ai/sphereaae" / name).string());
  }
  const CommandResult r = run_command(command);
  ASSERT_EQ(r.exit_code, 0) << command << "\n" << r.output;
  EXPECT_TRUE(fs::exists(classes / "ai/sphereaae/Engine.class"));
  EXPECT_TRUE(fs::exists(classes / "ai/sphereaae/Engine$ChunkSink.class"));
}

TEST_F(PackageAndroid, CopiedJniSourceCompilesAgainstDistHeadersOnly) {
  const std::string jdk = jdk_home();
  if (jdk.empty() || !fs::exists(fs::path(jdk) / "include/jni.h")) {
    GTEST_SKIP() << "no JDK headers (apt-get install openjdk-17-jdk-headless)";
  }
  const std::string command =
      "c++ -std=c++20 -fsyntax-only -Wall -Werror -I " +
      shell_quote((dir_ / "dist/lib/include").string()) + " -I " +
      shell_quote(jdk + "/include") + " -I " + shell_quote(jdk + "/include/linux") + " " +
      shell_quote((module() / "src/main/cpp/sphere_aae_jni.cc").string());
  const CommandResult r = run_command(command);
  EXPECT_EQ(r.exit_code, 0) << command << "\n" << r.output;
}

TEST(PackageAndroidOther, LinuxOutputHasNoAndroidModule) {
  ScratchDir dir;
  ASSERT_EQ(testing::make_converted_example(dir / "models/tiny"), "");
  testing::write_file(dir / "sphere-aae-package-config.json",
                      R"({"device": "linux", "model_list": [
                        {"model": "models/tiny", "model_id": "tiny",
                         "estimated_vram_bytes": 4000000, "bundle_weight": true}]})");
  const CommandResult r = run_package(dir.path(), "--skip-runtime");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir / "dist/lib/libmodel_linux.a"));
  EXPECT_FALSE(fs::exists(dir / "dist/lib/sphere-aae-android"));
}

}  // namespace
}  // namespace aae
