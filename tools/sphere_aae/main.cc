// sphere_aae: the Astro Agent Edge command-line tool. Exit codes: 0 success, 1 failure,
// 2 usage error.
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "sphere_aae/version.h"
#include "tools/sphere_aae/command.h"

namespace {

int run(int argc, char** argv) {
  using namespace aae::cli;
  CLI::App app{"sphere_aae: put large language models on phones and small machines"};
  app.set_version_flag("--version", std::string("sphere_aae ") + SPHERE_AAE_VERSION_STRING);
  app.require_subcommand(1);
  app.fallthrough(false);

  std::vector<std::string> names;
  std::vector<std::pair<CLI::App*, CommandRunner>> runners;
  for (const auto& command : command_table()) {
    CLI::App* sub = app.add_subcommand(command.name, command.summary);
    runners.emplace_back(sub, command.setup(*sub));
    names.emplace_back(command.name);
  }

  // An unknown first word: say so plainly, with a suggestion.
  if (argc > 1 && argv[1][0] != '-') {
    const std::string word = argv[1];
    bool known = false;
    for (const auto& name : names) known |= (name == word);
    if (!known) {
      aae::Error error("unknown command '" + word + "'");
      const std::string suggestion = did_you_mean(word, names);
      error.with_hint(suggestion.empty() ? "run 'sphere_aae --help' for the list of commands"
                                         : "did you mean '" + suggestion + "'?");
      print_error(error);
      return 2;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    aae::Error error(e.what());
    error.with_hint("run 'sphere_aae " +
                    (app.get_subcommands().empty() ? std::string("--help")
                                                   : app.get_subcommands()[0]->get_name() + " --help") +
                    "' for usage");
    print_error(error);
    return 2;
  }

  for (auto& [sub, runner] : runners) {
    if (!sub->parsed()) continue;
    aae::Status status = runner();
    if (!status.ok()) {
      print_error(status.error());
      return 1;
    }
    return 0;
  }
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    // Library code returns errors as values; reaching here is a bug, but never crash silently.
    std::fprintf(stderr, "error: internal error: %s\n", e.what());
    return 1;
  }
}
