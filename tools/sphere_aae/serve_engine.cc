#include "tools/sphere_aae/serve_engine.h"

#include <filesystem>

#include "tools/sphere_aae/command.h"

namespace aae::cli {

void add_chat_model_options(CLI::App& app, ChatModelFlags& flags) {
  app.add_option("MODEL_DIR", flags.model_dir,
                 "converted model (chat config with a conv_template, tensor cache, tokenizer)")
      ->required();
  app.add_option("--model-lib", flags.model_lib,
                 "a .so from 'sphere_aae compile' (default: compile one for this host now, "
                 "cached)");
  app.add_option("--threads", flags.threads, "worker threads (0 = one per core)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--sphere-aae-source-dir", flags.source_dir,
                 "folder holding modellib/ and include/sphere_aae/ when compiling (default: "
                 "$SPHERE_AAE_SOURCE_DIR, then the installed copy)");
}

Result<std::string> resolve_model_lib(const ChatModelFlags& flags) {
  std::error_code ec;
  if (!std::filesystem::is_directory(flags.model_dir, ec)) {
    return Error("model directory " + flags.model_dir + " does not exist",
                 "convert a model first (sphere_aae convert_weight, then gen_config)")
        .with_code(ErrorCode::kNotFound);
  }
  if (!flags.model_lib.empty()) return flags.model_lib;
  return cached_host_model_lib(flags.model_dir, flags.source_dir);
}

}  // namespace aae::cli
