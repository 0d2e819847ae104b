// The files of dist/lib/ besides the two archives (libmodel_<device>.a, libaae_runtime.a):
// the C headers an app compiles against, a Clang module map for iphone (Swift imports the C
// API with `import SphereAAE`), and a CMake package for the devices whose apps build with CMake
// (linux, linux-arm64, android: `find_package(SphereAAE)` with CMAKE_PREFIX_PATH=dist).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "runtime/base/status.h"

namespace aae {

struct GeneratedFile {
  std::string relative;  // inside dist/lib/
  std::string bytes;
};

// "libmodel_<device>.a".
std::string model_archive_name(const std::string& device);

// Headers are read from <source_dir>/include/sphere_aae/ (version.h is generated from
// version.h.in with this tool's version). Errors name the missing header.
Result<std::vector<GeneratedFile>> dist_lib_support_files(const std::string& device,
                                                          const std::filesystem::path& source_dir);

}  // namespace aae
