// The table of subcommands. Each subcommand lives in its own <name>_command.cc and provides a
// factory that adds its options to a CLI11 subcommand and returns the function that runs it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "runtime/base/status.h"
#include "tools/common/error_output.h"

namespace aae::cli {

using CommandRunner = std::function<Status()>;

struct Command {
  const char* name;
  const char* summary;
  // Adds options and positionals to `app`; the returned runner executes after parsing.
  CommandRunner (*setup)(CLI::App& app);
};

const std::vector<Command>& command_table();

// Factories, one per <name>_command.cc.
CommandRunner setup_convert_weight(CLI::App& app);
CommandRunner setup_download(CLI::App& app);
CommandRunner setup_cache(CLI::App& app);
CommandRunner setup_gen_config(CLI::App& app);
CommandRunner setup_inspect(CLI::App& app);
CommandRunner setup_compile(CLI::App& app);
CommandRunner setup_tokenize(CLI::App& app);
CommandRunner setup_generate(CLI::App& app);
CommandRunner setup_bench(CLI::App& app);
CommandRunner setup_package(CLI::App& app);
CommandRunner setup_chat(CLI::App& app);
CommandRunner setup_serve(CLI::App& app);

// The folder holding modellib/ and include/sphere_aae/ (compile_command.cc):
// --sphere-aae-source-dir `flag`, then $SPHERE_AAE_SOURCE_DIR, then the copy installed beside
// the executable (<prefix>/share/sphere_aae), then the source tree it was built from.
Result<std::string> model_lib_source_dir(const std::string& flag);

// A model library for this host for the model in `model_dir`, from the JIT cache (compiled on
// a miss, per SPHERE_AAE_JIT_POLICY; docs/jit-cache.md); the error's hint names --model-lib
// (generate_command.cc; generate and bench use it).
Result<std::string> cached_host_model_lib(const std::string& model_dir,
                                          const std::string& source_flag);

}  // namespace aae::cli
