// sphere_aae compile MODEL_DIR --device D -o OUT: generates the model library's translation unit
// and compiles it for the device (docs/compile.md). Prints the model_lib name and the output.
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "compiler/compile_model_lib.h"
#include "tools/sphere_aae/command.h"

namespace aae::cli {
namespace {

namespace fs = std::filesystem;

bool holds_model_lib_sources(const fs::path& dir) {
  std::error_code ec;
  return fs::exists(dir / "modellib/arch/llama.h", ec) &&
         fs::exists(dir / "include/sphere_aae/aae_model_lib.h", ec);
}

}  // namespace

Result<std::string> model_lib_source_dir(const std::string& flag) {
  if (!flag.empty() || std::getenv("SPHERE_AAE_SOURCE_DIR") != nullptr)
    return find_model_lib_source_dir(flag);
  char self[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    const fs::path installed = fs::path(self).parent_path().parent_path() / "share" / "sphere_aae";
    if (holds_model_lib_sources(installed)) return installed.string();
  }
  if (holds_model_lib_sources(AAE_BUILD_SOURCE_DIR)) return std::string(AAE_BUILD_SOURCE_DIR);
  return find_model_lib_source_dir(flag);  // the error that says how to point at the sources
}

namespace {

struct CompileOptions {
  std::string model_dir;
  std::string device = "linux";
  std::string output;
  std::string overrides;
  std::string system_lib_prefix;
  std::string source_dir;
};

Status run_compile(const CompileOptions& options) {
  CompileRequest request;
  request.model_dir = options.model_dir;
  request.device = options.device;
  request.output = options.output;
  request.system_lib_prefix = options.system_lib_prefix;
  AAE_ASSIGN_OR_RETURN(request.overrides, parse_model_lib_overrides(options.overrides));
  AAE_ASSIGN_OR_RETURN(request.source_dir, model_lib_source_dir(options.source_dir));
  AAE_ASSIGN_OR_RETURN(CompileOutcome outcome, compile_model_lib(request));
  std::fprintf(stderr, "compiled %s for %s with %s in %.2f s (model-library sources: %s)\n",
               outcome.model_lib.c_str(), options.device.c_str(), outcome.compiler_version.c_str(),
               outcome.compile_seconds, request.source_dir.c_str());
  std::printf("model_lib %s\n%s\n", outcome.model_lib.c_str(), outcome.output.c_str());
  return ok_status();
}

}  // namespace

CommandRunner setup_compile(CLI::App& app) {
  auto options = std::make_shared<CompileOptions>();
  app.add_option("MODEL_DIR", options->model_dir,
                 "converted model (sphere-aae-chat-config.json or mlc-chat-config.json)")
      ->required();
  app.add_option("--device", options->device, "iphone, android, linux or linux-arm64")
      ->capture_default_str();
  app.add_option("-o,--output", options->output,
                 "library to write: .so (linux devices), .a (static archive) or .o")
      ->required();
  app.add_option("--overrides", options->overrides,
                 "\"context_window_size=N;prefill_chunk_size=N;sliding_window_size=N;...\"");
  app.add_option("--system-lib-prefix", options->system_lib_prefix,
                 "model_lib name to use instead of the generated {model_type}_{quantization}_{hash}");
  app.add_option("--sphere-aae-source-dir", options->source_dir,
                 "folder holding modellib/ and include/sphere_aae/ (default: "
                 "$SPHERE_AAE_SOURCE_DIR, then the installed copy)");
  return [options] { return run_compile(*options); };
}

}  // namespace aae::cli
