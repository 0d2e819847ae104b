// sphere_aae_make_example: writes a small (or full-size) Hugging Face-style model directory
// with random weights and a real byte-level BPE tokenizer, for tests, demos and benchmarks that
// must not depend on downloads. Exit codes: 0 success, 1 failure, 2 usage error.
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "runtime/base/status.h"
#include "tools/common/error_output.h"
#include "tools/make_example_model/make_model.h"
#include "tools/make_example_model/model_spec.h"

namespace {

constexpr const char* kProgram = "sphere_aae_make_example";


// "1GiB", "500MB", "64KiB", "123456" (bytes). Decimal units are powers of 1000, "i" units of 1024.
std::optional<uint64_t> parse_byte_size(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 15) return std::nullopt;
  const uint64_t number = std::stoull(text.substr(0, digits));
  std::string unit = text.substr(digits);
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::pair<const char*, uint64_t> units[] = {
      {"", 1},           {"b", 1},          {"kb", 1000},         {"mb", 1000000}, {"gb", 1000000000},
      {"kib", 1ull << 10}, {"mib", 1ull << 20}, {"gib", 1ull << 30},
  };
  for (const auto& [name, factor] : units)
    if (unit == name) return number <= UINT64_MAX / factor ? std::optional<uint64_t>(number * factor) : std::nullopt;
  return std::nullopt;
}

int run(int argc, char** argv) {
  aae::example::MakeOptions options;
  std::string max_shard_size;
  CLI::App app{"sphere_aae_make_example: write an example Hugging Face model directory (random weights,\n"
               "real byte-level BPE tokenizer) for converter and runtime tests"};
  app.add_option("--arch", options.arch, "architecture (config.json model_type)")
      ->required()
      ->check(CLI::IsMember(aae::example::arch_names()));
  app.add_option("--preset", options.preset, "size: tiny (instant), tinyllama-1.1b or qwen2-0.5b (real dimensions)")
      ->required()
      ->check(CLI::IsMember(aae::example::preset_names()));
  app.add_option("--dtype", options.dtype, "weight element type")
      ->capture_default_str()
      ->check(CLI::IsMember(aae::example::weight_dtype_names()));
  app.add_option("--seed", options.seed, "random seed; the same seed gives byte-identical files")->capture_default_str();
  app.add_option("-o,--output", options.output, "output directory (written as a whole at the end)")->required();
  app.add_flag("--force", options.force, "replace an existing non-empty output directory");
  app.add_option("--max-shard-size", max_shard_size,
                 "shard the weights into files of at most this size, e.g. 1GiB or 200KB "
                 "(default: one file up to 2 GiB; big presets always shard at 1GiB)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    aae::cli::print_error(aae::Error(e.what(), std::string("run '") + kProgram + " --help' for usage"));
    return 2;
  }
  if (!max_shard_size.empty()) {
    options.max_shard_bytes = parse_byte_size(max_shard_size);
    if (!options.max_shard_bytes || *options.max_shard_bytes == 0) {
      aae::cli::print_error(aae::Error("--max-shard-size: cannot read '" + max_shard_size + "' as a size",
                             "give a positive number of bytes with an optional unit: B, KB, MB, GB, KiB, MiB, GiB"));
      return 2;
    }
  }

  auto summary = aae::example::make_example_model(options);
  if (!summary.ok()) {
    aae::cli::print_error(summary.error());
    return 1;
  }
  std::printf("wrote %s: %s %s %s, vocab %lld, %zu tensors, %.1f MiB in %zu weight file%s\n",
              summary->directory.string().c_str(), options.arch.c_str(), options.preset.c_str(),
              options.dtype.c_str(), static_cast<long long>(summary->vocab_size), summary->tensor_count,
              summary->weight_bytes / double(1 << 20), summary->weight_files, summary->weight_files == 1 ? "" : "s");
  return 0;
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
