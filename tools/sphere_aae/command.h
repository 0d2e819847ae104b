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
CommandRunner setup_package(CLI::App& app);

// The folder holding modellib/ and include/sphere_aae/ (compile_command.cc):
// --sphere-aae-source-dir `flag`, then $SPHERE_AAE_SOURCE_DIR, then the copy installed beside
// the executable (<prefix>/share/sphere_aae), then the source tree it was built from.
Result<std::string> model_lib_source_dir(const std::string& flag);

}  // namespace aae::cli
