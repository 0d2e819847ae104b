// A tiny chat model for the `sphere_aae chat` / `serve` suites (chat_cli_test.cc,
// serve_test.cc): sphere_aae_make_example qwen2 (random weights), converted to q0f32 with the
// chatml conv_template and a 256-token context window, compiled for linux. Built once per test
// process by the real CLI; header-only so both files share the function-local statics.
#pragma once

#include <filesystem>
#include <string>

#include "tests/support/test_support.h"

namespace aae::testing {

struct ChatExampleModel {
  std::filesystem::path dir;  // converted model directory (its name is the served model id)
  std::filesystem::path lib;  // compiled model library
  std::string error;          // non-empty when a step failed (its command and output)
};

inline constexpr int kChatExampleContextWindow = 256;

inline const ChatExampleModel& chat_example_model() {
  static ScratchDir scratch;  // removed at exit
  static const ChatExampleModel model = [] {
    ChatExampleModel m;
    m.dir = scratch / "chat-qwen2-q0f32";
    m.lib = scratch / "chat-qwen2-q0f32.so";
    const std::filesystem::path src = scratch / "hf-qwen2";
    const std::string cli = shell_quote(AAE_CLI_PATH);
    for (const std::string& command :
         {shell_quote(AAE_MAKE_EXAMPLE_PATH) + " --arch qwen2 --preset tiny --seed 5 -o " +
              shell_quote(src.string()),
          cli + " convert_weight " + shell_quote(src.string()) + " --quantization q0f32 -o " +
              shell_quote(m.dir.string()),
          cli + " gen_config " + shell_quote(src.string()) +
              " --quantization q0f32 --conv-template chatml --context-window-size " +
              std::to_string(kChatExampleContextWindow) + " --prefill-chunk-size 64 -o " +
              shell_quote(m.dir.string()),
          cli + " compile " + shell_quote(m.dir.string()) + " --device linux -o " +
              shell_quote(m.lib.string())}) {
      const CommandResult r = run_command(command);
      if (r.exit_code != 0) {
        m.error = command + "\n" + r.output;
        break;
      }
    }
    return m;
  }();
  return model;
}

}  // namespace aae::testing
