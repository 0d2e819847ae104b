#include "compiler/compile_model_lib.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "compiler/codegen.h"
#include "compiler/model_lib_name.h"
#include "compiler/toolchain.h"
#include "runtime/base/file_util.h"

namespace aae {
namespace {

namespace fs = std::filesystem;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

Result<std::string> find_model_lib_source_dir(std::string_view flag) {
  std::string dir(flag);
  std::string origin = "--sphere-aae-source-dir";
  if (dir.empty()) {
    if (const char* env = std::getenv("SPHERE_AAE_SOURCE_DIR"); env != nullptr) dir = env;
    origin = "$SPHERE_AAE_SOURCE_DIR";
  }
  if (dir.empty()) {
    return Error("no model-library sources: neither --sphere-aae-source-dir nor "
                 "$SPHERE_AAE_SOURCE_DIR is set",
                 "point it at the sphere_aae checkout (or <prefix>/share/sphere_aae), the folder "
                 "holding modellib/ and include/sphere_aae/");
  }
  if (!fs::exists(fs::path(dir) / "modellib/arch/llama.h") ||
      !fs::exists(fs::path(dir) / "include/sphere_aae/aae_model_lib.h")) {
    return Error(fmt::format("{} \"{}\" has no modellib/arch/llama.h or "
                             "include/sphere_aae/aae_model_lib.h", origin, dir),
                 "point it at the sphere_aae checkout (or <prefix>/share/sphere_aae)");
  }
  return dir;
}

Result<CompileOutcome> compile_model_lib(const CompileRequest& req) {
  AAE_ASSIGN_OR_RETURN(CompileTarget target, target_for_device(req.device));
  const bool want_so = ends_with(req.output, ".so"), want_a = ends_with(req.output, ".a"),
             want_o = ends_with(req.output, ".o");
  if (!want_so && !want_a && !want_o) {
    return Error(fmt::format("output \"{}\": the name must end in .so, .a or .o", req.output));
  }
  if (want_so && target.triple.find("linux-gnu") == std::string::npos) {
    return Error(fmt::format("output \"{}\": shared objects are built for linux devices only",
                             req.output),
                 fmt::format("for {} write a static archive (.a) that the app links", req.device));
  }
  AAE_ASSIGN_OR_RETURN(ModelInput input, load_model_input(req.model_dir, req.overrides));
  AAE_ASSIGN_OR_RETURN(std::string name,
                       resolve_model_lib_name(input, req.device, req.system_lib_prefix));
  AAE_ASSIGN_OR_RETURN(GeneratedModelLib lib, generate_model_lib(input, name));
  AAE_ASSIGN_OR_RETURN(Compiler compiler, find_clang_for(target));

  // Work files live beside the output, so the final rename stays on one filesystem.
  const fs::path out_path = fs::absolute(req.output);
  RemoveTreeOnExit scratch{out_path.parent_path() /
                          fmt::format(".{}.tmp-{}", out_path.filename().string(), getpid())};
  std::error_code ec;
  fs::create_directories(scratch.path, ec);
  if (ec) return Error(fmt::format("cannot create {}: {}", scratch.path.string(), ec.message()));
  const std::string src = (scratch.path / "model_lib.cc").string();
  const std::string obj = (scratch.path / "model_lib.o").string();
  // The .so additionally exports aae_model_lib_entry (see codegen.cc); .o/.a do not.
  AAE_TRY(write_file_atomic(
      src, want_so ? std::string(kSharedEntryDefine) + lib.source : lib.source));
  AAE_ASSIGN_OR_RETURN(ProcessResult compiled,
                       compile_model_lib_object(compiler, target, req.source_dir, src, obj));
  std::string product = obj;
  if (want_so) {
    product = (scratch.path / "model_lib.so").string();
    std::vector<std::string> argv = {compiler.path, "--target=" + target.triple, "-shared",
                                     "-nostdlib", obj, "-o", product};
    AAE_ASSIGN_OR_RETURN(ProcessResult linked, run_process(argv));
    AAE_TRY(check_process(linked, argv, "linking the shared model library"));
  } else if (want_a) {
    product = (scratch.path / "model_lib.a").string();
    std::vector<std::string> argv = {"llvm-ar", target.apple ? "--format=darwin" : "--format=gnu",
                                     "rcs", product, obj};
    AAE_ASSIGN_OR_RETURN(ProcessResult archived, run_process(argv));
    AAE_TRY(check_process(archived, argv, "archiving the model library"));
  }
  fs::rename(product, out_path, ec);
  if (ec) {
    return Error(fmt::format("cannot move the model library to {}: {}", out_path.string(),
                             ec.message()));
  }
  return CompileOutcome{name, out_path.string(), compiler.version, compiled.seconds};
}

}  // namespace aae
