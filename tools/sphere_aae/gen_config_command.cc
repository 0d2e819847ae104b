// sphere_aae gen_config SRC --quantization Q --conv-template NAME -o OUT [overrides]
// Writes the chat config and tokenizer files of a model directory (see docs/gen_config.md).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "convert/conv_template.h"
#include "convert/gen_config.h"
#include "runtime/format/quantization.h"
#include "tools/sphere_aae/command.h"

namespace aae::cli {
namespace {

std::string quantization_help() {
  std::vector<std::string> names;
  for (std::string_view name : quantization_names()) names.emplace_back(name);
  return fmt::format("quantization code, one of: {}", fmt::join(names, ", "));
}

std::string template_help() {
  return fmt::format("conversation template, one of: {}", fmt::join(conv_template_names(), ", "));
}

Status run_gen_config(GenConfigOptions options) {
  if (!options.tokenizer_only) {
    if (options.quantization.empty()) {
      return Error("gen_config: --quantization is required", quantization_help());
    }
    if (options.conv_template.empty()) {
      return Error("gen_config: --conv-template is required", template_help());
    }
  }
  AAE_TRY(gen_config(options));
  if (options.tokenizer_only) {
    fmt::print("wrote {}\n", (options.output / "tokenizer.json").string());
  } else {
    fmt::print("wrote {}{}\n", (options.output / "sphere-aae-chat-config.json").string(),
               options.mlc_compat ? " and mlc-chat-config.json" : "");
  }
  return ok_status();
}

// CLI11 fills plain integers; an unset option stays std::nullopt.
void add_override(CLI::App& app, const std::string& flag, std::optional<int64_t>& target,
                  const std::string& help) {
  app.add_option_function<int64_t>(
      flag, [&target](const int64_t& value) { target = value; }, help);
}

}  // namespace

CommandRunner setup_gen_config(CLI::App& app) {
  auto options = std::make_shared<GenConfigOptions>();
  app.add_option("SRC", options->source,
                 "Hugging Face model directory (config.json, generation_config.json, tokenizer "
                 "files) or a llama .gguf file")
      ->required();
  app.add_option("--quantization", options->quantization, quantization_help());
  app.add_option("--conv-template", options->conv_template, template_help());
  app.add_option("-o,--output", options->output, "output directory (created when missing)")
      ->required();
  ConfigOverrides& o = options->overrides;
  add_override(app, "--context-window-size", o.context_window_size,
               "maximum sequence length (default: max_position_embeddings of config.json)");
  add_override(app, "--prefill-chunk-size", o.prefill_chunk_size,
               "tokens per prefill step (default: min(context window, 8192); qwen3 2048)");
  add_override(app, "--sliding-window-size", o.sliding_window_size,
               "sliding attention window, -1 disables (mistral only)");
  add_override(app, "--attention-sink-size", o.attention_sink_size,
               "tokens kept at the start with a sliding window (mistral only; default 4)");
  add_override(app, "--max-batch-size", o.max_batch_size,
               "maximum concurrent sequences recorded in model_config (default 128)");
  app.add_flag("--mlc-compat", options->mlc_compat,
               "also write an identical mlc-chat-config.json for MLC LLM runtimes");
  app.add_flag("--tokenizer-only", options->tokenizer_only,
               "from a (vocabulary-only) GGUF, write only tokenizer.json");
  return [options] { return run_gen_config(*options); };
}

}  // namespace aae::cli
