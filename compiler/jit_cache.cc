#include "compiler/jit_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "compiler/codegen.h"
#include "compiler/jit_sidecar.h"
#include "compiler/model_lib_name.h"
#include "compiler/toolchain.h"
#include "runtime/base/aae_home.h"
#include "runtime/base/file_lock.h"
#include "runtime/base/file_util.h"
#include "runtime/base/md5.h"
#include "sphere_aae/version.h"

namespace aae {
namespace {

namespace fs = std::filesystem;

// A request resolved down to what the key covers plus what a compile needs.
struct Prepared {
  JitKeyInputs inputs;
  std::string key;
  fs::path home;
  std::string source_dir;
  CompileTarget target;
  Compiler compiler;
  GeneratedModelLib lib;
  std::string model_dir;
};

Result<Prepared> prepare(const JitRequest& req) {
  Prepared p;
  if (req.kind != ".so" && req.kind != ".a" && req.kind != ".o") {
    return Error(fmt::format("jit cache: library kind \"{}\" is not one of .so, .a, .o", req.kind))
        .with_code(ErrorCode::kInvalidArgument);
  }
  AAE_ASSIGN_OR_RETURN(p.target, target_for_device(req.base.device));
  if (req.kind == ".so" && p.target.triple.find("linux-gnu") == std::string::npos) {
    return Error(fmt::format("jit cache: shared objects are built for linux devices only, not {}",
                             req.base.device),
                 "ask for kind \".a\" (a static archive the app links)")
        .with_code(ErrorCode::kInvalidArgument);
  }
  if (!req.home.empty()) {
    p.home = req.home;
  } else {
    AAE_ASSIGN_OR_RETURN(p.home, aae_home_from_env());
  }
  p.source_dir = req.base.source_dir;
  if (p.source_dir.empty()) {
    AAE_ASSIGN_OR_RETURN(p.source_dir, find_model_lib_source_dir(""));
  }
  AAE_ASSIGN_OR_RETURN(ModelInput input, load_model_input(req.base.model_dir, req.base.overrides));
  AAE_ASSIGN_OR_RETURN(std::string name, resolve_model_lib_name(input, req.base.device,
                                                                req.base.system_lib_prefix));
  AAE_ASSIGN_OR_RETURN(p.lib, generate_model_lib(input, name));
  if (req.kind == ".so") p.lib.source.insert(0, kSharedEntryDefine);
  AAE_ASSIGN_OR_RETURN(p.compiler, find_clang_for(p.target));
  p.model_dir = req.base.model_dir;

  JitKeyInputs& in = p.inputs;
  in.tool_version = SPHERE_AAE_VERSION_STRING;
  AAE_ASSIGN_OR_RETURN(in.source_hash, model_lib_source_hash(p.source_dir));
  in.compiler_path = p.compiler.path;
  in.compiler_version = p.compiler.version;
  // The placeholder keeps the checkout's location out of the key; its bytes are in source_hash.
  in.flags = model_lib_flags(p.target, "$SOURCE_DIR");
  in.flags.insert(in.flags.end(), req.extra_flags.begin(), req.extra_flags.end());
  in.device = req.base.device;
  in.target = p.target.triple;
  in.kind = req.kind;
  in.model_lib = name;
  in.overrides = overrides_hash_string(req.base.overrides);
  Md5 source_md5;
  source_md5.update(p.lib.source.data(), p.lib.source.size());
  in.generated_source_md5 = source_md5.hex_digest();
  p.key = in.key();
  return p;
}

// Compiles (and links or archives) into `work`; returns the product's path. Mirrors
// compile_model_lib, but with the flags the key names (extra_flags included).
Result<fs::path> build(const Prepared& p, const JitRequest& req, const fs::path& work,
                       double* compile_seconds) {
  const std::string src = (work / "model_lib.cc").string();
  const std::string obj = (work / "model_lib.o").string();
  AAE_TRY(write_file_atomic(src, p.lib.source));
  std::vector<std::string> argv = {p.compiler.path};
  for (auto& f : model_lib_flags(p.target, p.source_dir)) argv.push_back(std::move(f));
  argv.insert(argv.end(), req.extra_flags.begin(), req.extra_flags.end());
  argv.insert(argv.end(), {"-c", src, "-o", obj});
  AAE_ASSIGN_OR_RETURN(ProcessResult compiled, run_process(argv));
  AAE_TRY(check_process(compiled, argv, "compiling the model library for " + p.target.triple));
  *compile_seconds = compiled.seconds;
  if (p.inputs.kind == ".o") return fs::path(obj);
  fs::path product = work / ("model_lib" + p.inputs.kind);
  if (p.inputs.kind == ".so") {
    argv = {p.compiler.path, "--target=" + p.target.triple, "-shared", "-nostdlib", obj, "-o",
            product.string()};
  } else {
    argv = {"llvm-ar", p.target.apple ? "--format=darwin" : "--format=gnu", "rcs",
            product.string(), obj};
  }
  AAE_ASSIGN_OR_RETURN(ProcessResult finished, run_process(argv));
  AAE_TRY(check_process(finished, argv, p.inputs.kind == ".so" ? "linking the model library"
                                                               : "archiving the model library"));
  *compile_seconds += finished.seconds;
  return product;
}

void fsync_path(const fs::path& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// Sidecar first, library last: the library's final name appearing is the commit point.
Status install(const Prepared& p, const fs::path& work, const fs::path& product,
               double compile_seconds) {
  SidecarInfo info{p.key, p.inputs, p.model_dir, p.source_dir, compile_seconds};
  const fs::path staged_sidecar = work / "sidecar.json";
  AAE_TRY(write_file_atomic(staged_sidecar.string(), sidecar_json_text(info)));
  fsync_path(product, O_RDONLY);
  std::error_code ec;
  const fs::path sidecar = model_lib_sidecar_path(p.home, p.key);
  const fs::path library = model_lib_entry_path(p.home, p.key, p.inputs.kind);
  fs::rename(staged_sidecar, sidecar, ec);
  if (!ec) fs::rename(product, library, ec);
  if (ec) {
    return Error(fmt::format("cannot install the model library into {}: {}",
                             model_lib_cache_root(p.home).string(), ec.message()),
                 "check that the cache directory is writable (SPHERE_AAE_HOME)");
  }
  fsync_path(model_lib_cache_root(p.home), O_RDONLY | O_DIRECTORY);
  return ok_status();
}

// Work dirs of this key left by a killed compile. Only called under the key's lock, so none
// of them belongs to a live compile.
void remove_stale_work_dirs(const fs::path& root, const std::string& key) {
  std::error_code ec;
  const std::string prefix = ".tmp-" + key + "-";
  std::vector<fs::path> stale;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().rfind(prefix, 0) == 0) stale.push_back(it->path());
  }
  for (const auto& dir : stale) fs::remove_all(dir, ec);
}

struct WorkDirGuard {
  fs::path path;
  ~WorkDirGuard() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Result<JitPolicy> parse_jit_policy(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper.empty() || upper == "ON") return JitPolicy::kOn;
  if (upper == "OFF") return JitPolicy::kOff;
  if (upper == "REDO") return JitPolicy::kRedo;
  if (upper == "READONLY") return JitPolicy::kReadOnly;
  return Error(fmt::format("SPHERE_AAE_JIT_POLICY: unknown value \"{}\"", text),
               "use one of ON, OFF, REDO, READONLY")
      .with_code(ErrorCode::kInvalidArgument);
}

const char* jit_policy_name(JitPolicy policy) {
  switch (policy) {
    case JitPolicy::kOn: return "ON";
    case JitPolicy::kOff: return "OFF";
    case JitPolicy::kRedo: return "REDO";
    case JitPolicy::kReadOnly: return "READONLY";
  }
  return "ON";
}

Result<JitPolicy> jit_policy_from_env() {
  const char* value = std::getenv("SPHERE_AAE_JIT_POLICY");
  return parse_jit_policy(value ? value : "");
}

std::string JitKeyInputs::canonical_text() const {
  // JSON string escaping keeps any byte in a value from forging another line.
  auto q = [](const std::string& s) { return nlohmann::json(s).dump(); };
  std::string flag_list;
  for (const auto& f : flags) flag_list += (flag_list.empty() ? "" : " ") + q(f);
  return fmt::format(
      "sphere_aae model_lib jit key v1\ntool_version={}\nsource_hash={}\ncompiler_path={}\n"
      "compiler_version={}\nflags={}\ndevice={}\ntarget={}\nkind={}\nmodel_lib={}\n"
      "overrides={}\ngenerated_source_md5={}\n",
      q(tool_version), q(source_hash), q(compiler_path), q(compiler_version), flag_list,
      q(device), q(target), q(kind), q(model_lib), q(overrides), q(generated_source_md5));
}

std::string JitKeyInputs::key() const {
  const std::string text = canonical_text();
  Md5 md5;
  md5.update(text.data(), text.size());
  return md5.hex_digest();
}

Result<std::string> model_lib_source_hash(const std::string& source_dir) {
  const fs::path root(source_dir);
  std::vector<std::string> files;  // relative paths, generic '/' form
  for (const char* sub : {"modellib", "include/sphere_aae"}) {
    std::error_code ec;
    if (!fs::is_directory(root / sub, ec)) {
      return Error(fmt::format("model-library sources \"{}\" have no {}/ folder", source_dir, sub),
                   "point --sphere-aae-source-dir or $SPHERE_AAE_SOURCE_DIR at the checkout");
    }
    for (fs::recursive_directory_iterator it(root / sub, ec), end; !ec && it != end;
         it.increment(ec)) {
      std::error_code file_ec;
      if (it->is_regular_file(file_ec)) {
        files.push_back(it->path().lexically_relative(root).generic_string());
      }
    }
    if (ec) return Error(fmt::format("cannot list {}: {}", (root / sub).string(), ec.message()));
  }
  std::sort(files.begin(), files.end());
  Md5 md5;
  for (const auto& rel : files) {
    AAE_ASSIGN_OR_RETURN(std::string bytes, read_file((root / rel).string()));
    const std::string header = rel + '\0' + std::to_string(bytes.size()) + '\0';
    md5.update(header.data(), header.size());
    md5.update(bytes.data(), bytes.size());
  }
  return md5.hex_digest();
}

fs::path model_lib_cache_root(const fs::path& home) { return home / "model_lib"; }

fs::path model_lib_entry_path(const fs::path& home, const std::string& key,
                              std::string_view kind) {
  return model_lib_cache_root(home) / (key + std::string(kind));
}

fs::path model_lib_sidecar_path(const fs::path& home, const std::string& key) {
  return model_lib_cache_root(home) / (key + ".json");
}

fs::path model_lib_lock_path(const fs::path& home, const std::string& key) {
  return model_lib_cache_root(home) / ".locks" / (key + ".lock");
}

Result<JitLookup> jit_lookup(const JitRequest& request) {
  AAE_ASSIGN_OR_RETURN(Prepared p, prepare(request));
  JitLookup out;
  out.inputs = p.inputs;
  out.key = p.key;
  out.path = model_lib_entry_path(p.home, p.key, p.inputs.kind).string();
  out.hit = is_complete_entry(p.home, p.key, p.inputs.kind);
  if (!out.hit) out.miss_reason = describe_miss(p.home, p.key, p.inputs);
  return out;
}

Result<JitResult> jit_compile(const JitRequest& request, JitPolicy policy) {
  const auto start = std::chrono::steady_clock::now();
  if (policy == JitPolicy::kOff) {
    return Error("cannot build the model library: JIT compilation is off "
                 "(SPHERE_AAE_JIT_POLICY=OFF), so an explicit library is needed",
                 "pass a compiled library (sphere_aae compile MODEL_DIR --device D -o LIB), or "
                 "unset SPHERE_AAE_JIT_POLICY to compile and cache it");
  }
  AAE_ASSIGN_OR_RETURN(Prepared p, prepare(request));
  JitResult result;
  result.key = p.key;
  result.model_lib = p.inputs.model_lib;
  result.path = model_lib_entry_path(p.home, p.key, p.inputs.kind).string();
  if (policy != JitPolicy::kRedo && is_complete_entry(p.home, p.key, p.inputs.kind)) {
    result.hit = true;
    result.seconds = seconds_since(start);
    return result;
  }
  if (policy == JitPolicy::kReadOnly) {
    Error error(fmt::format("model library {} is not in the JIT cache {} "
                            "(SPHERE_AAE_JIT_POLICY=READONLY): key {}",
                            p.inputs.model_lib, model_lib_cache_root(p.home).string(), p.key),
                "build it once with SPHERE_AAE_JIT_POLICY=ON, or pass an explicit library");
    error.add_cause(describe_miss(p.home, p.key, p.inputs));
    error.add_cause("key inputs:\n" + p.inputs.canonical_text());
    return error.with_code(ErrorCode::kNotFound);
  }
  result.miss_reason = policy == JitPolicy::kRedo ? "SPHERE_AAE_JIT_POLICY=REDO"
                                                  : describe_miss(p.home, p.key, p.inputs);

  const fs::path lock_path = model_lib_lock_path(p.home, p.key);
  if (request.on_wait && FileLock::is_held(lock_path)) {
    request.on_wait(fmt::format("waiting for another sphere_aae process compiling {} (lock {})",
                                p.inputs.model_lib, lock_path.string()));
  }
  AAE_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(lock_path));
  // Whoever held the lock may have just installed this very entry.
  if (policy == JitPolicy::kOn && is_complete_entry(p.home, p.key, p.inputs.kind)) {
    result.hit = true;
    result.miss_reason.clear();
    result.seconds = seconds_since(start);
    return result;
  }
  const fs::path root = model_lib_cache_root(p.home);
  remove_stale_work_dirs(root, p.key);
  WorkDirGuard work{root / fmt::format(".tmp-{}-{}", p.key, ::getpid())};
  std::error_code ec;
  fs::create_directories(work.path, ec);
  if (ec) {
    return Error(fmt::format("cannot create {}: {}", work.path.string(), ec.message()),
                 "check that SPHERE_AAE_HOME is writable");
  }
  double compile_seconds = 0;
  AAE_ASSIGN_OR_RETURN(fs::path product, build(p, request, work.path, &compile_seconds));
  AAE_TRY(install(p, work.path, product, compile_seconds));
  result.seconds = seconds_since(start);
  return result;
}

Result<std::string> host_model_lib(const std::string& model_dir,
                                   const ModelLibOverrides& overrides,
                                   const std::string& source_dir) {
  AAE_ASSIGN_OR_RETURN(JitPolicy policy, jit_policy_from_env());
  JitRequest request;
  request.base.model_dir = model_dir;
  request.base.device = "linux";
  request.base.overrides = overrides;
  request.base.source_dir = source_dir;
  request.kind = ".so";
  AAE_ASSIGN_OR_RETURN(JitResult result, jit_compile(request, policy));
  return result.path;
}

}  // namespace aae
