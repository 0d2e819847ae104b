// Compiling a freestanding model library: the target of each device, the fixed flag set
// (freestanding-modellib-notes.md, "Common flags" and the trap table), a plain clang to run it
// with, and a subprocess runner that keeps the compiler's diagnostics for the error.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/status.h"

namespace aae {

struct CompileTarget {
  std::string device;  // "iphone", "android", "linux", "linux-arm64"
  std::string triple;  // "arm64-apple-ios15.0", "aarch64-linux-android24", ...
  bool apple = false;     // Mach-O output, static archives need llvm-ar --format=darwin
  bool aarch64 = false;
};

// The four triples model libraries are built for, in the order above.
const std::vector<std::string>& supported_triples();

// Target for a triple in supported_triples(); errors list them.
Result<CompileTarget> target_for_triple(std::string_view triple);

// Target for a device name; "linux" is the build host (x86_64 or aarch64). Errors list devices.
Result<CompileTarget> target_for_device(std::string_view device);

// The flags every model-library compile uses (no -march: the baseline ISA of the triple;
// SIMD variants use target attributes), then -I `source_dir` and -I `source_dir`/include
// (the checkout, or an installed share/sphere_aae holding modellib/ and include/). Does not contain the compiler, the input or -o.
std::vector<std::string> model_lib_flags(const CompileTarget& target,
                                         const std::string& source_dir);

struct ProcessResult {
  int exit_code = -1;   // when it exited normally, else -1
  int signal = 0;       // the terminating signal, else 0
  std::string output;   // stdout and stderr together (compilers write diagnostics to stderr)
  double seconds = 0;   // wall time
  bool ok() const { return exit_code == 0; }
};

// Runs argv[0] (looked up in PATH) with the arguments; waits. An error only when it could not
// be started; a failing exit is reported in the result.
Result<ProcessResult> run_process(const std::vector<std::string>& argv);

// Ok when `result` exited 0; else an error "<what> failed (exit code N | signal N)" whose
// causes are the command line and the process's output.
Status check_process(const ProcessResult& result, const std::vector<std::string>& argv,
                     const std::string& what);

struct Compiler {
  std::string path;     // as given or found ("clang++", "/usr/bin/clang++-14")
  std::string version;  // first line of --version, e.g. "Debian clang version 14.0.6"
  std::string found_by; // "$CXX", "PATH", "xcrun", "$ANDROID_NDK": for messages and tests
};

// $CXX when it is a clang, else clang++ from PATH. Errors say what was looked for and how to
// install clang.
Result<Compiler> find_clang();

// The clang for a device, looked for in this order:
//   iphone       `xcrun --sdk iphoneos --find clang` when xcrun is on PATH, else find_clang()
//                (a plain clang with --target is enough: the code is freestanding)
//   android      $ANDROID_NDK/toolchains/llvm/prebuilt/<host>/bin/clang++, then .../clang,
//                when ANDROID_NDK is set (an error if neither is there), else find_clang()
//   linux, linux-arm64   find_clang()
// Errors say what was tried, in order, and how to install a compiler.
Result<Compiler> find_clang_for(const CompileTarget& target);

// The first executable `name` in the directories of $PATH, or "" when there is none.
std::string find_on_path(const std::string& name);

// Compiles `source_file` into the object `output_file` for `target`. Errors carry the command
// line, the exit code or signal, and the compiler's output.
Result<ProcessResult> compile_model_lib_object(const Compiler& compiler,
                                               const CompileTarget& target,
                                               const std::string& source_dir,
                                               const std::string& source_file,
                                               const std::string& output_file);


// Undefined symbols a model library may have: only what clang can emit for plain C++ even
// when freestanding (large aggregate copies/zeroing); the runtime provides them (libc does on
// every target). Names without the Mach-O leading '_'. Anything else is a bug in modellib/.
const std::vector<std::string>& allowed_model_lib_imports();

// Undefined symbols of `undefined` (as read from an object; a leading '_' is dropped when
// `mach_o`) that are not in the allow-list.
std::vector<std::string> disallowed_imports(const std::vector<std::string>& undefined,
                                            bool mach_o);

}  // namespace aae
