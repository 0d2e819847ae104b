#include "tools/sphere_aae/command.h"

namespace aae::cli {

const std::vector<Command>& command_table() {
  static const std::vector<Command> table = {
      {"convert_weight", "convert a Hugging Face or GGUF model into a quantized model directory",
      &setup_convert_weight},
      {"download", "fetch a converted model (HF://org/repo) into the weight cache", &setup_download},
      {"cache", "list or clean the local caches (downloaded weights)", &setup_cache},
      {"gen_config", "write sphere-aae-chat-config.json and copy the tokenizer files",
      &setup_gen_config},
      {"compile", "compile a converted model into a native model library for a device",
       &setup_compile},
      {"inspect", "describe a model directory (verify its shards) or a compiled model library",
       &setup_inspect},
      {"tokenize", "encode text to token ids or decode ids with a model's tokenizer",
      &setup_tokenize},
      {"generate", "generate text from a prompt with a converted model (raw completion)",
       &setup_generate},
      {"bench", "measure prefill/decode speed against the memory-bandwidth roof, and peak memory",
       &setup_bench},
      {"package", "build dist/lib and dist/bundle for an app from sphere-aae-package-config.json",
       &setup_package},
      {"chat", "chat with a converted model in the terminal (streamed, multi-turn)", &setup_chat},
      {"serve", "serve a converted model over an OpenAI-compatible HTTP API (/v1/chat/completions)",
       &setup_serve},
  };
  return table;
}

}  // namespace aae::cli
