#include "compiler/toolchain.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

extern char** environ;

namespace aae {
namespace {

std::string join_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

}  // namespace

const std::vector<std::string>& supported_triples() {
  static const std::vector<std::string> triples = {
      "arm64-apple-ios15.0", "aarch64-linux-android24", "x86_64-linux-gnu", "aarch64-linux-gnu"};
  return triples;
}

Result<CompileTarget> target_for_triple(std::string_view triple) {
  static const char* devices[] = {"iphone", "android", "linux", "linux-arm64"};
  const auto& triples = supported_triples();
  for (size_t i = 0; i < triples.size(); ++i) {
    if (triples[i] != triple) continue;
    CompileTarget t;
    t.device = devices[i];
    t.triple = triples[i];
    t.apple = triple.find("apple") != std::string_view::npos;
    t.aarch64 = triple.rfind("x86_64", 0) != 0;
    return t;
  }
  return Error(fmt::format("target triple \"{}\" is not supported", triple),
               fmt::format("supported: {}", fmt::join(triples, ", ")));
}

Result<CompileTarget> target_for_device(std::string_view device) {
  if (device == "iphone") return target_for_triple("arm64-apple-ios15.0");
  if (device == "android") return target_for_triple("aarch64-linux-android24");
  if (device == "linux-arm64") return target_for_triple("aarch64-linux-gnu");
  if (device == "linux") {
#if defined(__aarch64__)
    AAE_ASSIGN_OR_RETURN(CompileTarget t, target_for_triple("aarch64-linux-gnu"));
    t.device = "linux";
    return t;
#else
    return target_for_triple("x86_64-linux-gnu");
#endif
  }
  return Error(fmt::format("device \"{}\" is not supported", device),
               "devices: iphone, android, linux (this host), linux-arm64");
}

std::vector<std::string> model_lib_flags(const CompileTarget& target,
                                         const std::string& source_dir) {
  // Each flag closes a trap from freestanding-modellib-notes.md: no host headers leak in
  // (-ffreestanding -nostdlibinc), no hidden libcalls (math errno, guards, outline atomics,
  // stack protector on Darwin), only the two exported symbols stay visible.
  std::vector<std::string> flags = {
      "--target=" + target.triple, "-std=c++17",          "-O2",
      "-ffreestanding",            "-fno-exceptions",     "-fno-rtti",
      "-fno-stack-protector",      "-fPIC",               "-nostdinc++",
      "-nostdlibinc",              "-fno-math-errno",     "-fno-threadsafe-statics",
      "-fvisibility=hidden"};
  if (target.aarch64) flags.push_back("-mno-outline-atomics");
  // modellib/ includes "modellib/..." and "sphere_aae/aae_model_lib.h".
  flags.insert(flags.end(), {"-I", source_dir, "-I", source_dir + "/include"});
  return flags;
}

Result<ProcessResult> run_process(const std::vector<std::string>& argv) {
  if (argv.empty()) return Error("run_process: empty command");
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return Error("cannot create a pipe for the compiler's output");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (rc != 0) {
    close(pipe_fds[0]);
    return Error(fmt::format("cannot run \"{}\": {}", argv[0], std::strerror(rc)),
                 "check that it is installed and on PATH");
  }
  ProcessResult result;
  char buf[4096];
  ssize_t n;
  while ((n = read(pipe_fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) result.output.append(buf, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

namespace {

// Runs `path --version`; a Compiler when it answers and says it is a clang, else why not.
Result<Compiler> probe_clang(const std::string& path, const std::string& found_by) {
  auto probe = run_process({path, "--version"});
  if (!probe.ok() || !probe->ok()) return Error(path + " (not runnable)");
  std::string first_line = probe->output.substr(0, probe->output.find('\n'));
  if (first_line.find("clang") == std::string::npos) {
    return Error(path + " (not clang: " + first_line + ")");
  }
  return Compiler{path, first_line, found_by};
}

const char* kInstallHint =
    "install clang and lld (Debian/Ubuntu: apt-get install clang lld; macOS: Xcode or the "
    "command line tools) or set CXX to a clang++";

// The NDK's prebuilt folder for this host (NDKs ship darwin-x86_64 for Apple silicon too).
const char* ndk_host_tag() {
#if defined(__APPLE__)
  return "darwin-x86_64";
#else
  return "linux-x86_64";
#endif
}

Result<Compiler> find_iphone_clang() {
  const std::string xcrun = find_on_path("xcrun");
  if (xcrun.empty()) {
    auto plain = find_clang();
    if (plain.ok()) return plain;
    Error error = plain.error();
    error.add_cause("looked first for xcrun on PATH (Xcode): not found");
    return error;
  }
  std::vector<std::string> argv = {xcrun, "--sdk", "iphoneos", "--find", "clang"};
  auto found = run_process(argv);
  std::string path;
  if (found.ok() && found->ok()) path = found->output.substr(0, found->output.find('\n'));
  if (path.empty()) {
    return Error(fmt::format("\"{} --sdk iphoneos --find clang\" found no clang ({})", xcrun,
                             found.ok() ? fmt::format("exit code {}", found->exit_code)
                                        : found.error().message()),
                 "install Xcode and the iOS SDK (xcode-select --install), or take xcrun off "
                 "PATH to use a plain clang with --target=arm64-apple-ios15.0");
  }
  auto compiler = probe_clang(path, "xcrun");
  if (!compiler.ok()) {
    return Error(fmt::format("xcrun named {} for iphoneos, but it is unusable: {}", path,
                             compiler.error().message()),
                 "repair the Xcode installation (xcode-select -p shows which one is used)");
  }
  return compiler;
}

Result<Compiler> find_android_clang() {
  const char* ndk = std::getenv("ANDROID_NDK");
  if (ndk == nullptr || *ndk == '\0') {
    auto plain = find_clang();
    if (plain.ok()) return plain;
    Error error = plain.error();
    error.add_cause("looked first at $ANDROID_NDK: not set");
    return error;
  }
  const std::string bin =
      fmt::format("{}/toolchains/llvm/prebuilt/{}/bin", ndk, ndk_host_tag());
  std::vector<std::string> tried;
  for (const char* name : {"clang++", "clang"}) {
    const std::string path = bin + "/" + name;
    if (access(path.c_str(), X_OK) != 0) {
      tried.push_back(path + " (missing)");
      continue;
    }
    auto compiler = probe_clang(path, "$ANDROID_NDK");
    if (compiler.ok()) return compiler;
    tried.push_back(compiler.error().message());
  }
  return Error(fmt::format("ANDROID_NDK is set to \"{}\" but it holds no usable clang (tried {})",
                           ndk, fmt::join(tried, ", ")),
               "point ANDROID_NDK at an unpacked Android NDK (r23 or newer), or unset it to use "
               "a plain clang with --target=aarch64-linux-android24");
}

}  // namespace

std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return "";
  std::string_view rest = path;
  while (true) {
    const size_t colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) return "";
    rest.remove_prefix(colon + 1);
  }
}

Result<Compiler> find_clang() {
  std::vector<std::pair<std::string, std::string>> candidates;
  if (const char* cxx = std::getenv("CXX"); cxx != nullptr && *cxx != '\0') {
    candidates.push_back({cxx, "$CXX"});
  }
  candidates.push_back({"clang++", "PATH"});
  std::vector<std::string> tried;
  for (const auto& [candidate, found_by] : candidates) {
    auto compiler = probe_clang(candidate, found_by);
    if (compiler.ok()) return compiler;
    tried.push_back(compiler.error().message());
  }
  return Error(fmt::format("no clang found to compile the model library (tried in order: {})",
                           fmt::join(tried, ", ")),
               kInstallHint);
}

Result<Compiler> find_clang_for(const CompileTarget& target) {
  if (target.device == "iphone") return find_iphone_clang();
  if (target.device == "android") return find_android_clang();
  return find_clang();
}

Result<ProcessResult> compile_model_lib_object(const Compiler& compiler,
                                               const CompileTarget& target,
                                               const std::string& source_dir,
                                               const std::string& source_file,
                                               const std::string& output_file) {
  std::vector<std::string> argv = {compiler.path};
  for (auto& f : model_lib_flags(target, source_dir)) argv.push_back(std::move(f));
  argv.insert(argv.end(), {"-c", source_file, "-o", output_file});
  AAE_ASSIGN_OR_RETURN(ProcessResult result, run_process(argv));
  if (!result.ok()) {
    const std::string how = result.signal != 0 ? fmt::format("killed by signal {}", result.signal)
                                               : fmt::format("exit code {}", result.exit_code);
    Error error(fmt::format("compiling the model library for {} failed ({})", target.triple, how),
                "the generated source or the modellib headers do not compile for this target; "
                "the compiler's output is above");
    error.add_cause("command: " + join_command(argv));
    if (!result.output.empty()) error.add_cause("compiler output:\n" + result.output);
    return error;
  }
  return result;
}


const std::vector<std::string>& allowed_model_lib_imports() {
  static const std::vector<std::string> names = {"memcpy", "memmove", "memset"};
  return names;
}

std::vector<std::string> disallowed_imports(const std::vector<std::string>& undefined,
                                            bool mach_o) {
  std::vector<std::string> bad;
  const auto& allowed = allowed_model_lib_imports();
  for (const auto& name : undefined) {
    std::string_view plain = name;
    if (mach_o && !plain.empty() && plain[0] == '_') plain.remove_prefix(1);
    if (std::find(allowed.begin(), allowed.end(), plain) == allowed.end()) bad.push_back(name);
  }
  return bad;
}

Status check_process(const ProcessResult& r, const std::vector<std::string>& argv,
                     const std::string& what) {
  if (r.ok()) return ok_status();
  Error error(fmt::format("{} failed ({})", what,
                          r.signal ? fmt::format("signal {}", r.signal)
                                   : fmt::format("exit code {}", r.exit_code)));
  error.add_cause(fmt::format("command: {}", fmt::join(argv, " ")));
  if (!r.output.empty()) error.add_cause("output:\n" + r.output);
  return error;
}

}  // namespace aae
