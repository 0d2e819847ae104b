// The model library of one package-config entry: a prebuilt one from
// model_lib_path_for_prepare_libs (checked: an AAE library that really holds that model_lib;
// MLC/TVM .tar files are refused with a hint), else the JIT cache (compiled on a miss per
// SPHERE_AAE_JIT_POLICY, or only looked up in a dry run). Also reads the exact memory the model
// needs from the library's metadata.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "compiler/jit_cache.h"
#include "compiler/model_input.h"
#include "package/package_report.h"
#include "runtime/base/status.h"

namespace aae {

struct LibraryChoice {
  std::string model_lib;
  std::string origin;       // "prebuilt" or "jit"
  std::string path;         // empty: a dry run's miss (not compiled)
  std::string cache;        // "hit", "miss", "compiled" for jit
  std::string miss_reason;
  double seconds = 0;
  std::optional<ModelMemory> memory;
};

// weights + KV cache + workspace from a library's metadata JSON (compiler/model_lib_metadata.h).
Result<ModelMemory> memory_from_metadata(std::string_view metadata_json, const std::string& label);

Result<LibraryChoice> prebuilt_library(const std::string& model_lib,
                                       const std::filesystem::path& path,
                                       const std::string& device);

struct JitLibraryRequest {
  std::string model_dir;
  std::string device;
  ModelLibOverrides overrides;
  std::string system_lib_prefix;  // the entry's model_lib, or empty for the generated name
  std::string source_dir;
  std::filesystem::path home;
  JitPolicy policy = JitPolicy::kOn;
  bool dry_run = false;
};

Result<LibraryChoice> jit_library(const JitLibraryRequest& request);

}  // namespace aae
