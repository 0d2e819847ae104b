// sphere_aae convert_weight SRC --quantization Q -o OUT: a Hugging Face model directory or a
// llama .gguf file into an MLC tensor cache (docs/convert_weight.md).
#include <memory>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "convert/convert_weight.h"
#include "convert/convert_weight_progress.h"
#include "runtime/format/quantization.h"
#include "tools/sphere_aae/command.h"

namespace aae::cli {

CommandRunner setup_convert_weight(CLI::App& app) {
  auto options = std::make_shared<ConvertOptions>();
  auto source = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  app.add_option("SRC", *source,
                 "Hugging Face model directory (config.json + *.safetensors) or a llama .gguf file")
      ->required();
  app.add_option("--quantization,-q", options->quantization,
                 fmt::format("quantization code, one of: {}", fmt::join(quantization_names(), ", ")))
      ->required();
  app.add_option("-o,--output", *output,
                 "output model directory (created if absent; earlier shards there are replaced)")
      ->required();
  app.footer(
      "Writes params_shard_*.bin and tensor-cache.json with MLC LLM's names, record order and "
      "32 MiB sharding. Output appears only when the conversion succeeds.");

  return [options, source, output]() -> Status {
    options->source = *source;
    options->output = *output;
    StreamProgress progress = StreamProgress::for_stderr();
    auto summary = convert_weight(*options, &progress);
    if (!summary.ok()) return std::move(summary).error();
    return ok_status();
  };
}

}  // namespace aae::cli
