// The model options `chat` and `serve` share (MODEL_DIR, --model-lib, --threads, ...) and
// opening a ChatEngine from them, finding the model library as `generate` does.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "runtime/base/status.h"

namespace aae::cli {

struct ChatModelFlags {
  std::string model_dir;
  std::string model_lib;   // empty: the JIT cache's host library (compiled on a miss)
  int threads = 0;         // 0: one per core
  std::string source_dir;  // --sphere-aae-source-dir, for a JIT compile
};

void add_chat_model_options(CLI::App& app, ChatModelFlags& flags);

// Checks MODEL_DIR (kNotFound when missing) and returns the model library to load: --model-lib,
// else the JIT cache's (cached_host_model_lib in command.h). May run the compiler.
Result<std::string> resolve_model_lib(const ChatModelFlags& flags);

}  // namespace aae::cli
