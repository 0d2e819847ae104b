// sphere_aae package: builds dist/lib and dist/bundle from sphere-aae-package-config.json
// (docs/package.md). The work is package/package_runner.h; this file is the command line.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "compiler/jit_cache.h"
#include "package/package_config.h"
#include "package/package_runner.h"
#include "runtime/base/aae_home.h"
#include "tools/sphere_aae/command.h"

namespace aae::cli {
namespace {

namespace fs = std::filesystem;

struct PackageFlags {
  std::string config = std::string(kPackageConfigFile);
  std::string source_dir;
  std::string output = "dist";
  bool dry_run = false;
  bool json = false;
  bool skip_runtime = false;
  bool strict = false;
};

// --sphere-aae-source-dir, else $SPHERE_AAE_SOURCE_DIR; the spec makes one of them required.
Result<fs::path> package_source_dir(const std::string& flag) {
  const char* env = std::getenv("SPHERE_AAE_SOURCE_DIR");
  if (flag.empty() && (env == nullptr || *env == '\0')) {
    return Error("no sphere_aae source dir: package builds the model libraries and the runtime "
                 "from the sources",
                 "get them with `git clone https://github.com/sphere-aae/sphere-aae`, then pass "
                 "--sphere-aae-source-dir PATH or set SPHERE_AAE_SOURCE_DIR=PATH");
  }
  AAE_ASSIGN_OR_RETURN(std::string dir, find_model_lib_source_dir(flag));
  return fs::absolute(dir).lexically_normal();
}

void print_diagnostics(const Diagnostics& diagnostics) {
  for (const auto& d : diagnostics.items()) {
    if (d.severity == Severity::kError) continue;  // part of the error printed by the caller
    std::fprintf(stderr, "%s\n", d.to_string().c_str());
  }
}

Status run_package_command(const PackageFlags& flags) {
  PackageOptions options;
  options.config_path = fs::absolute(flags.config);
  options.output_dir = fs::absolute(flags.output);
  options.dry_run = flags.dry_run;
  options.skip_runtime = flags.skip_runtime;
  options.strict = flags.strict;
  AAE_ASSIGN_OR_RETURN(options.jit_policy, jit_policy_from_env());
  AAE_ASSIGN_OR_RETURN(options.home, aae_home_from_env());
  AAE_ASSIGN_OR_RETURN(options.source_dir, package_source_dir(flags.source_dir));
  if (!flags.json) {
    std::fprintf(stderr, "sphere_aae sources: %s\nSPHERE_AAE_JIT_POLICY=%s (one of ON, OFF, "
                 "REDO, READONLY)\n",
                 options.source_dir.c_str(), jit_policy_name(options.jit_policy));
  }
  Diagnostics diagnostics;
  auto report = run_package(options, &diagnostics);
  print_diagnostics(diagnostics);
  if (!report.ok()) return std::move(report).error();
  if (flags.json) {
    std::printf("%s\n", package_report_json(*report).dump(2).c_str());
  } else {
    std::printf("%s", package_report_text(*report).c_str());
    if (!report->dry_run) std::printf("done in %.1f s\n", report->seconds);
  }
  return ok_status();
}

}  // namespace

CommandRunner setup_package(CLI::App& app) {
  auto flags = std::make_shared<PackageFlags>();
  app.add_option("--package-config", flags->config,
                 "the package config (relative paths inside it resolve against its folder)")
      ->capture_default_str();
  app.add_option("--sphere-aae-source-dir", flags->source_dir,
                 "sphere_aae checkout the libraries are built from (default: "
                 "$SPHERE_AAE_SOURCE_DIR)");
  app.add_option("-o,--output", flags->output, "output directory")->capture_default_str();
  app.add_flag("--dry-run", flags->dry_run,
               "print the plan (sources, cache hits and misses, bytes, memory); change nothing");
  app.add_flag("--json", flags->json, "print the plan or the result as JSON");
  app.add_flag("--skip-runtime", flags->skip_runtime,
               "do not build the runtime library (e.g. iphone without Xcode, android without "
               "the NDK); everything else is produced");
  app.add_flag("--strict", flags->strict,
               "an estimated_vram_bytes below what the model needs is an error, not a warning");
  return [flags] { return run_package_command(*flags); };
}

}  // namespace aae::cli
