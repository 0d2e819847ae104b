// The Android library module `package --device android` writes at dist/lib/sphere-aae-android/:
// a Gradle module (namespace ai.sphereaae) that an app includes with
//   include ':sphere-aae-android'
//   project(':sphere-aae-android').projectDir = file('dist/lib/sphere-aae-android')
// holding the Java binding (copied from the source dir's bindings/java), its JNI source with a
// CMakeLists.txt for the NDK, the app config as an asset, and, when an Android NDK is present,
// the prebuilt JNI library src/main/jniLibs/arm64-v8a/libsphere_aae_jni.so.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "package/dist_lib.h"
#include "package/output_stage.h"
#include "package/package_report.h"
#include "runtime/base/status.h"

namespace aae {

// The module's folder inside dist/lib/.
inline constexpr const char* kAndroidModuleDir = "sphere-aae-android";
// Where the JNI library goes inside the module.
inline constexpr const char* kAndroidJniLibrary = "src/main/jniLibs/arm64-v8a/libsphere_aae_jni.so";

// Every file of the module except the JNI library, with paths relative to dist/lib/ (so they
// start with kAndroidModuleDir). Sources come from <source_dir>/bindings/java/ (errors name the
// missing file and the source dir); `app_config_json` becomes the asset
// src/main/assets/sphere-aae-app-config.json.
Result<std::vector<GeneratedFile>> android_module_files(const std::filesystem::path& source_dir,
                                                        std::string_view app_config_json);

// The NDK to build the JNI library with: $ANDROID_NDK when it holds
// build/cmake/android.toolchain.cmake, else empty with `*why_not` saying what is missing.
std::filesystem::path find_android_ndk(std::string* why_not);

// Builds libsphere_aae_jni.so for arm64-v8a with the NDK from the module's src/main/cpp/
// inside `lib_dir` (a dist/lib/ that already holds the module, libaae_runtime.a and
// libmodel_android.a), in a scratch folder under `work_root`. Returns the built library's path
// inside that folder, which the caller places and then removes (`*scratch` is set to it).
Result<std::filesystem::path> build_android_jni(const std::filesystem::path& ndk,
                                                const std::filesystem::path& lib_dir,
                                                const std::filesystem::path& work_root,
                                                std::filesystem::path* scratch);

// Places the module into `stage` under lib/: the files above, then the JNI library when an NDK
// is found and `runtime_built` (libaae_runtime.a for android is in the stage); otherwise a note
// in report->warnings says why the module has no prebuilt library.
Status place_android_module(OutputStage& stage, const std::filesystem::path& source_dir,
                            std::string_view app_config_json, bool runtime_built,
                            PackageReport* report);

}  // namespace aae
