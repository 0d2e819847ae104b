// The runtime library an app links (libaae_runtime.a: tokenizer, engine, C API), built for
// the package's device from the source dir with CMake and cached under
// $SPHERE_AAE_HOME/runtime/<key>/ like model libraries: the key covers the tool version, the
// device, the toolchain's identity and every file the build reads, so a changed source or
// compiler never reuses a stale library.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "runtime/base/status.h"

namespace aae {

inline constexpr const char* kRuntimeLibraryName = "libaae_runtime.a";

struct RuntimeBuildRequest {
  std::string device;                 // linux, linux-arm64, iphone, android
  std::filesystem::path source_dir;   // a checkout: CMakeLists.txt, cmake/, runtime/, include/
  std::filesystem::path cache_root;   // usually $SPHERE_AAE_HOME/runtime
};

// What a build would do; computing it runs only `--version` probes (dry runs use it).
struct RuntimeBuildPlan {
  std::string key;                        // hex digest of every input
  std::filesystem::path library;          // cache_root/key/libaae_runtime.a
  bool cached = false;                    // library already there
  std::string toolchain;                  // identity, e.g. "c++ (Debian 12.2.0-14) 12.2.0"
  std::vector<std::string> configure;     // the cmake configure command line (without -S/-B)
};

// Errors: a source dir without the runtime sources (an installed share/sphere_aae has only
// the model-library sources), a device whose platform toolchain is missing (Xcode for iphone,
// $ANDROID_NDK for android, g++-aarch64-linux-gnu for linux-arm64) — each says what was
// looked for, how to install it, and that `package --skip-runtime` produces everything else.
Result<RuntimeBuildPlan> plan_runtime_build(const RuntimeBuildRequest& request);

struct RuntimeBuildOutcome {
  std::filesystem::path library;
  bool built = false;  // false: taken from the cache
  double seconds = 0;
};

// Builds when the plan is not cached (or `rebuild`): configures and builds the aae_runtime
// target in a scratch folder under cache_root, then installs the library atomically with a
// sidecar build.json. Concurrent builds of the same key wait for each other.
Result<RuntimeBuildOutcome> build_runtime(const RuntimeBuildRequest& request,
                                          const RuntimeBuildPlan& plan, bool rebuild);

}  // namespace aae
