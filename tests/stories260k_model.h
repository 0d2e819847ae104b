// The stories260K model (testdata gguf/stories260K.gguf) converted to q0f32 and compiled for
// linux by the real CLI, once per test process, for the generation suites (generate_test.cc,
// c_api_test.cc). Header-only: the function-local statics are shared by every test file.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "tests/support/test_support.h"

namespace aae::testing {

struct CompiledModel {
  std::filesystem::path dir;  // converted model directory
  std::filesystem::path lib;  // shared model library for it
  std::string error;          // non-empty when a step failed (its command and output)
};

// `overrides` is passed to `sphere_aae compile --overrides` ("" for none); each distinct value is
// compiled once (the model directory is shared).
inline const CompiledModel& stories260k_q0f32(const std::filesystem::path& testdata,
                                              const std::string& overrides = "") {
  static ScratchDir scratch;  // removed at exit
  static std::map<std::string, CompiledModel> compiled;
  static std::string convert_error;
  static bool converted = false;
  auto it = compiled.find(overrides);
  if (it != compiled.end()) return it->second;

  const std::filesystem::path dir = scratch / "stories260K-q0f32";
  const std::string cli = shell_quote(AAE_CLI_PATH);
  const std::string gguf = shell_quote((testdata / "gguf" / "stories260K.gguf").string());
  CompiledModel model{dir, {}, {}};
  auto step = [&](const std::string& command) {
    if (!model.error.empty()) return;
    const CommandResult result = run_command(command);
    if (result.exit_code != 0) model.error = command + "\n" + result.output;
  };
  if (!converted) {
    step(cli + " convert_weight " + gguf + " --quantization q0f32 -o " + shell_quote(dir.string()));
    step(cli + " gen_config " + gguf + " --quantization q0f32 --conv-template llama-2 -o " +
         shell_quote(dir.string()));
    convert_error = model.error;
    converted = true;
  }
  model.error = convert_error;
  model.lib = scratch / ("lib" + std::to_string(compiled.size()) + ".so");
  step(cli + " compile " + shell_quote(dir.string()) + " --device linux -o " +
       shell_quote(model.lib.string()) +
       (overrides.empty() ? std::string() : " --overrides " + shell_quote(overrides)));
  return compiled[overrides] = model;
}

}  // namespace aae::testing
