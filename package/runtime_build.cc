#include "package/runtime_build.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <system_error>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "compiler/toolchain.h"
#include "runtime/base/file_lock.h"
#include "runtime/base/file_util.h"
#include "runtime/base/md5.h"
#include "sphere_aae/version.h"

namespace aae {

namespace fs = std::filesystem;

namespace {

constexpr const char* kSkipHint = "or run `sphere_aae package --skip-runtime` to produce "
                                  "everything else";

// Every file the runtime-only CMake build reads, relative to the source dir, sorted.
Result<std::vector<std::string>> runtime_source_files(const fs::path& source_dir) {
  std::vector<std::string> files = {"CMakeLists.txt", "modellib/CMakeLists.txt"};
  for (const char* folder : {"cmake", "include", "runtime"}) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(source_dir / folder, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file()) continue;
      const std::string rel = fs::relative(it->path(), source_dir).generic_string();
      if (rel.size() > 8 && rel.ends_with("_test.cc")) continue;  // tests are not built
      files.push_back(rel);
    }
    if (ec) {
      return Error(fmt::format("cannot read {}: {}", (source_dir / folder).string(),
                               ec.message()));
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

Result<std::string> source_digest(const fs::path& source_dir) {
  AAE_ASSIGN_OR_RETURN(std::vector<std::string> files, runtime_source_files(source_dir));
  Md5 md5;
  for (const auto& rel : files) {
    AAE_ASSIGN_OR_RETURN(std::string bytes, read_file((source_dir / rel).string()));
    const std::string header = fmt::format("{}\n{}\n", rel, bytes.size());
    md5.update(header.data(), header.size());
    md5.update(bytes.data(), bytes.size());
  }
  return md5.hex_digest();
}

// First line of `program --version`, or an error when it cannot run.
Result<std::string> tool_identity(const std::string& program) {
  auto run = run_process({program, "--version"});
  if (!run.ok() || !run->ok()) {
    return Error(fmt::format("cannot run \"{} --version\"", program));
  }
  const std::string& out = run->output;
  return out.substr(0, out.find('\n'));
}

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// Toolchain identity and the device-specific CMake arguments.
Status configure_for_device(const RuntimeBuildRequest& req, RuntimeBuildPlan* plan) {
  auto& args = plan->configure;
  if (req.device == "linux") {
    const std::string cxx = env("CXX").empty() ? "c++" : env("CXX");
    auto id = tool_identity(cxx);
    if (!id.ok()) {
      return Error("building the runtime for linux needs a C++ compiler: " + id.error().message(),
                   "apt-get install g++ (or set CXX)");
    }
    plan->toolchain = *id;
    args.push_back("-DCMAKE_CXX_COMPILER=" + cxx);
    return Status();
  }
  if (req.device == "linux-arm64") {
    auto id = tool_identity("aarch64-linux-gnu-g++");
    if (!id.ok()) {
      return Error("building the runtime for linux-arm64 needs the cross compiler "
                   "aarch64-linux-gnu-g++, which is not on PATH",
                   std::string("apt-get install g++-aarch64-linux-gnu, ") + kSkipHint);
    }
    plan->toolchain = *id;
    args.push_back("-DCMAKE_TOOLCHAIN_FILE=" +
                   (req.source_dir / "cmake/toolchains/aarch64-linux-gnu.cmake").string());
    return Status();
  }
  if (req.device == "android") {
    const std::string ndk = env("ANDROID_NDK");
    const fs::path toolchain = fs::path(ndk) / "build/cmake/android.toolchain.cmake";
    if (ndk.empty() || !fs::exists(toolchain)) {
      return Error(ndk.empty() ? "building the runtime for android needs the Android NDK, and "
                                 "$ANDROID_NDK is not set"
                               : fmt::format("$ANDROID_NDK ({}) has no "
                                             "build/cmake/android.toolchain.cmake", ndk),
                   std::string("install the NDK (Android Studio: SDK Manager, NDK) and set "
                               "ANDROID_NDK to its folder, ") + kSkipHint);
    }
    auto props = read_file((fs::path(ndk) / "source.properties").string());
    plan->toolchain = "android-ndk " + ndk + (props.ok() ? " " + *props : std::string());
    args.insert(args.end(), {"-DCMAKE_TOOLCHAIN_FILE=" + toolchain.string(),
                             "-DANDROID_ABI=arm64-v8a", "-DANDROID_PLATFORM=android-24"});
    return Status();
  }
  if (req.device == "iphone") {
    auto sdk = run_process({"xcrun", "--sdk", "iphoneos", "--show-sdk-version"});
    if (!sdk.ok() || !sdk->ok()) {
      return Error("building the runtime for iphone needs Xcode (xcrun --sdk iphoneos), which "
                   "is not available on this machine",
                   std::string("run package on a Mac with Xcode installed, ") + kSkipHint);
    }
    plan->toolchain = "xcode iphoneos " + sdk->output.substr(0, sdk->output.find('\n'));
    args.insert(args.end(), {"-DCMAKE_SYSTEM_NAME=iOS", "-DCMAKE_OSX_ARCHITECTURES=arm64",
                             "-DCMAKE_OSX_DEPLOYMENT_TARGET=15.0"});
    return Status();
  }
  return Error(fmt::format("unknown device \"{}\"", req.device),
               "use one of: iphone, android, linux, linux-arm64");
}

}  // namespace

Result<RuntimeBuildPlan> plan_runtime_build(const RuntimeBuildRequest& req) {
  if (!fs::exists(req.source_dir / "runtime/CMakeLists.txt")) {
    return Error(fmt::format("the source dir {} has no runtime/ sources",
                             req.source_dir.string()),
                 std::string("point --sphere-aae-source-dir (or SPHERE_AAE_SOURCE_DIR) at a "
                             "sphere_aae checkout; an installed share/sphere_aae carries only "
                             "the model-library sources; ") + kSkipHint);
  }
  RuntimeBuildPlan plan;
  plan.configure = {"-DCMAKE_BUILD_TYPE=Release", "-DAAE_RUNTIME_ONLY=ON",
                    "-DAAE_BUILD_TESTS=OFF"};
  AAE_TRY(configure_for_device(req, &plan));
  AAE_ASSIGN_OR_RETURN(std::string sources, source_digest(req.source_dir));
  Md5 key;
  std::string inputs = fmt::format("tool {}\ndevice {}\ntoolchain {}\nsources {}\n",
                                   SPHERE_AAE_VERSION_STRING, req.device, plan.toolchain, sources);
  for (const auto& arg : plan.configure) inputs += arg + "\n";
  key.update(inputs.data(), inputs.size());
  plan.key = key.hex_digest();
  plan.library = req.cache_root / plan.key / kRuntimeLibraryName;
  plan.cached = fs::exists(plan.library) && fs::exists(req.cache_root / plan.key / "build.json");
  return plan;
}

Result<RuntimeBuildOutcome> build_runtime(const RuntimeBuildRequest& req,
                                          const RuntimeBuildPlan& plan, bool rebuild) {
  if (plan.cached && !rebuild) return RuntimeBuildOutcome{plan.library, false, 0};
  const auto start = std::chrono::steady_clock::now();
  const fs::path entry = req.cache_root / plan.key;
  // One build per key at a time; a waiter finds the entry complete and uses it.
  AAE_ASSIGN_OR_RETURN(FileLock lock,
                       FileLock::acquire(req.cache_root / ".locks" / (plan.key + ".lock")));
  if (!rebuild && fs::exists(plan.library) && fs::exists(entry / "build.json")) {
    return RuntimeBuildOutcome{plan.library, false, 0};
  }
  const fs::path work = req.cache_root / fmt::format(".build-{}-{}", plan.key, ::getpid());
  std::error_code ec;
  fs::remove_all(work, ec);
  fs::create_directories(work, ec);
  if (ec) return Error(fmt::format("cannot create {}: {}", work.string(), ec.message()));
  RemoveTreeOnExit cleanup{work};

  std::vector<std::string> configure = {"cmake", "-S", req.source_dir.string(), "-B",
                                        (work / "build").string()};
  if (run_process({"ninja", "--version"}).ok()) configure.insert(configure.end(), {"-G", "Ninja"});
  configure.insert(configure.end(), plan.configure.begin(), plan.configure.end());
  auto step = [](const std::vector<std::string>& argv, const char* what) -> Status {
    AAE_ASSIGN_OR_RETURN(ProcessResult run, run_process(argv));
    return check_process(run, argv, what);
  };
  AAE_TRY(step(configure, "configuring the runtime build"));
  const unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  AAE_TRY(step({"cmake", "--build", (work / "build").string(), "--target", "aae_runtime", "-j",
                std::to_string(jobs)},
               "building the runtime library"));

  const fs::path built = work / "build/runtime" / kRuntimeLibraryName;
  fs::create_directories(entry, ec);
  if (ec) return Error(fmt::format("cannot create {}: {}", entry.string(), ec.message()));
  AAE_ASSIGN_OR_RETURN(std::string bytes, read_file(built.string()));
  AAE_TRY(write_file_atomic(plan.library.string(), bytes));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  nlohmann::ordered_json sidecar = {{"device", req.device},
                                    {"toolchain", plan.toolchain},
                                    {"source_dir", req.source_dir.string()},
                                    {"configure", plan.configure},
                                    {"tool_version", SPHERE_AAE_VERSION_STRING},
                                    {"seconds", seconds}};
  // The sidecar is written last: a library without it is never taken as cached.
  AAE_TRY(write_file_atomic((entry / "build.json").string(), sidecar.dump(2) + "\n"));
  return RuntimeBuildOutcome{plan.library, true, seconds};
}

}  // namespace aae
