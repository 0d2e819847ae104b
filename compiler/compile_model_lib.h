// The whole of `sphere_aae compile` short of the command line: model dir -> generated TU ->
// object for the device -> the requested output (.o, .a or, for linux, .so), written
// atomically. The CLI command (and later the JIT cache) call this.
#pragma once

#include <string>
#include <string_view>

#include "compiler/model_input.h"
#include "runtime/base/status.h"

namespace aae {

// The directory holding modellib/ and include/sphere_aae/: `flag` when non-empty, else
// $SPHERE_AAE_SOURCE_DIR. Errors say which was checked and what must be inside.
Result<std::string> find_model_lib_source_dir(std::string_view flag);

struct CompileRequest {
  std::string model_dir;          // holds sphere-aae-chat-config.json or mlc-chat-config.json
  std::string device = "linux";   // iphone, android, linux, linux-arm64
  std::string output;             // *.o, *.a (llvm-ar; darwin format for iphone), *.so (linux)
  ModelLibOverrides overrides;
  std::string system_lib_prefix;  // empty: the generated name
  std::string source_dir;         // from find_model_lib_source_dir
};

struct CompileOutcome {
  std::string model_lib;
  std::string output;
  std::string compiler_version;
  double compile_seconds = 0;
};

Result<CompileOutcome> compile_model_lib(const CompileRequest& request);

}  // namespace aae
