// `sphere_aae package` short of the command line: config -> models (local or downloaded) ->
// model libraries (prebuilt or JIT) -> libmodel_<device>.a with its registry, validated ->
// runtime library -> headers / module map / CMake package -> bundled weights -> app config,
// all staged beside the output and swapped in at the end (package/output_stage.h), so a
// failure at any step leaves the previous dist/ as it was.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>

#include "compiler/jit_cache.h"
#include "package/diagnostics.h"
#include "package/package_report.h"
#include "runtime/base/status.h"

namespace aae {

struct PackageOptions {
  std::filesystem::path config_path;  // sphere-aae-package-config.json
  std::filesystem::path source_dir;   // resolved --sphere-aae-source-dir / $SPHERE_AAE_SOURCE_DIR
  std::filesystem::path output_dir;   // dist/
  bool dry_run = false;     // plan only: nothing is downloaded, compiled or written
  bool skip_runtime = false;
  bool strict = false;      // estimated_vram_bytes below the need is an error
  JitPolicy jit_policy = JitPolicy::kOn;
  std::filesystem::path home;  // cache root ($SPHERE_AAE_HOME)
  std::FILE* log = stderr;     // progress; null for silence
};

// Config problems go to `diagnostics` (the caller prints warnings and notes); any error there
// stops before work starts.
Result<PackageReport> run_package(const PackageOptions& options, Diagnostics* diagnostics);

}  // namespace aae
