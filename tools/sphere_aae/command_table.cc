#include "tools/sphere_aae/command.h"

namespace aae::cli {

const std::vector<Command>& command_table() {
  static const std::vector<Command> table = {
      {"convert_weight", "convert a Hugging Face or GGUF model into a quantized model directory",
      &setup_convert_weight},
      {"gen_config", "write sphere-aae-chat-config.json and copy the tokenizer files",
      &setup_gen_config},
      {"inspect", "describe a model directory and verify its shards", &setup_inspect},
  };
  return table;
}

}  // namespace aae::cli
