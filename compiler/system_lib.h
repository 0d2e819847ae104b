// The static system library an app links on a phone: libmodel_<device>.a holding the compiled
// model libraries plus a generated registry object defining
//   const AaeModelLib* aae_system_model_lib(const char* model_lib);   (include/sphere_aae/aae.h)
// The registry references every descriptor, so an app that calls aae_system_model_lib pulls
// exactly the registered libraries out of the archive without --whole-archive / -force_load.
#pragma once

#include <string>
#include <vector>

#include "runtime/base/status.h"

namespace aae {

struct SystemLibOutcome {
  std::string output;                   // absolute path of the archive written
  std::vector<std::string> model_libs;  // registered names, in input order
  std::string compiler_version;
  double registry_compile_seconds = 0;
};

// The C++ source of the registry object for `model_libs` (C identifiers): freestanding, its own
// string comparison, no includes; each descriptor is declared extern with default visibility.
std::string system_lib_registry_source(const std::vector<std::string>& model_libs);

// Builds `output` (conventionally libmodel_<device>.a) for `device` from `inputs`: objects or
// archives written by `sphere_aae compile` for that device. Every input object must hold at
// least one model library and match the device's object format and architecture; a registry
// object found in an input (a previous system library) is replaced. Duplicate model_lib names
// are refused before anything is written, naming both inputs. The registry is compiled with
// the device's clang (find_clang_for) and everything is archived with llvm-ar (darwin format
// for iphone). The output is replaced atomically; work files live beside it.
Result<SystemLibOutcome> build_system_lib(const std::string& device,
                                          const std::vector<std::string>& inputs,
                                          const std::string& output);

}  // namespace aae
