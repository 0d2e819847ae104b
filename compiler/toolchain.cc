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

Result<Compiler> find_clang() {
  std::vector<std::string> candidates;
  if (const char* cxx = std::getenv("CXX"); cxx != nullptr && *cxx != '\0') {
    candidates.push_back(cxx);
  }
  candidates.push_back("clang++");
  std::vector<std::string> tried;
  for (const auto& candidate : candidates) {
    auto probe = run_process({candidate, "--version"});
    if (!probe.ok() || !probe->ok()) {
      tried.push_back(candidate + " (not runnable)");
      continue;
    }
    std::string first_line = probe->output.substr(0, probe->output.find('\n'));
    if (first_line.find("clang") == std::string::npos) {
      tried.push_back(candidate + " (not clang: " + first_line + ")");
      continue;
    }
    return Compiler{candidate, first_line};
  }
  return Error(fmt::format("no clang found to compile the model library (tried {})",
                           fmt::join(tried, ", ")),
               "install clang (e.g. apt-get install clang) or set CXX to a clang++");
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

}  // namespace aae
