// sphere_aae generate MODEL_DIR --prompt TEXT: raw completion ([bos] + prompt, no conversation
// template) with a converted model. Only the generated text goes to stdout, flushed piece by
// piece; statistics go to stderr with --verbose. Without --model-lib, a model library for this
// host comes from the JIT cache (compiled there on first use).
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "compiler/jit_cache.h"
#include "runtime/engine/engine.h"
#include "tools/sphere_aae/command.h"

namespace aae::cli {
namespace {

namespace fs = std::filesystem;

struct GenerateCliOptions {
  std::string model_dir;
  std::string prompt;
  int32_t max_tokens = 256;
  std::optional<double> temperature, top_p, repetition_penalty;
  int32_t top_k = 0;
  uint64_t seed = 0;
  std::string model_lib;
  int threads = 0;
  std::string source_dir;
  bool verbose = false;
};

// The JIT-cache library, named on stderr with --verbose.
Result<std::string> cached_host_model_lib_verbose(const std::string& model_dir,
                                                  const std::string& source_flag, bool verbose) {
  AAE_ASSIGN_OR_RETURN(std::string path, cached_host_model_lib(model_dir, source_flag));
  if (verbose) std::fprintf(stderr, "model library: %s\n", path.c_str());
  return path;
}

void print_stats(const GenerateResult& r) {
  auto rate = [](int64_t n, double s) { return s > 0 ? static_cast<double>(n) / s : 0.0; };
  std::fprintf(stderr,
               "prompt: %lld tokens, prefill %.3f s (%.1f tok/s)\n"
               "generated: %lld tokens, decode %.3f s (%.1f tok/s), stop: %s\n",
               static_cast<long long>(r.prompt_tokens), r.prefill_seconds,
               rate(r.prompt_tokens, r.prefill_seconds),
               static_cast<long long>(r.generated_tokens), r.decode_seconds,
               rate(r.generated_tokens, r.decode_seconds), stop_reason_name(r.stop_reason));
}

Status run_generate(const GenerateCliOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(options.model_dir, ec)) {
    return Error("model directory " + options.model_dir + " does not exist",
                 "convert a model first (sphere_aae convert_weight, then gen_config)")
        .with_code(ErrorCode::kNotFound);
  }
  std::string lib_path = options.model_lib;
  if (lib_path.empty()) {
    AAE_ASSIGN_OR_RETURN(lib_path,
                         cached_host_model_lib_verbose(options.model_dir, options.source_dir,
                                               options.verbose));
  }

  EngineOptions engine_options;
  engine_options.model_dir = options.model_dir;
  engine_options.model_lib_path = lib_path;
  engine_options.num_threads = options.threads;
  AAE_ASSIGN_OR_RETURN(Engine engine, Engine::open(engine_options));

  GenerateOptions generate;
  generate.max_tokens = options.max_tokens;
  generate.sampling = engine.default_sampling();
  if (options.temperature) generate.sampling.temperature = *options.temperature;
  if (options.top_p) generate.sampling.top_p = *options.top_p;
  if (options.repetition_penalty)
    generate.sampling.repetition_penalty = *options.repetition_penalty;
  generate.sampling.top_k = options.top_k;
  generate.sampling.seed = options.seed;

  bool wrote_all = true;
  auto on_text = [&](std::string_view text) {
    wrote_all = std::fwrite(text.data(), 1, text.size(), stdout) == text.size() &&
                std::fflush(stdout) == 0;
    return wrote_all;
  };
  AAE_ASSIGN_OR_RETURN(GenerateResult result, engine.generate(options.prompt, generate, on_text));
  if (!wrote_all) return Error("cannot write the generated text to stdout");
  // The text itself ends where the model stopped; a terminal still gets its prompt on a new line.
  if (::isatty(STDOUT_FILENO)) std::fputc('\n', stdout);
  std::fflush(stdout);
  if (result.stop_reason == StopReason::kContextWindow) {
    std::fprintf(stderr,
                 "warning: generation stopped at the context window (%lld tokens) after %lld "
                 "tokens\n",
                 static_cast<long long>(engine.context_window_size()),
                 static_cast<long long>(result.generated_tokens));
  }
  if (options.verbose) print_stats(result);
  return ok_status();
}

}  // namespace

CommandRunner setup_generate(CLI::App& app) {
  auto options = std::make_shared<GenerateCliOptions>();
  app.add_option("MODEL_DIR", options->model_dir,
                 "converted model (chat config, tensor cache, tokenizer files)")
      ->required();
  app.add_option("--prompt", options->prompt, "text to continue (may be empty: BOS only)")
      ->required();
  app.add_option("--max-tokens", options->max_tokens, "most tokens to generate")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--temperature", options->temperature,
                 "0 = greedy (default: the chat config's)");
  app.add_option("--top-p", options->top_p, "nucleus mass in (0, 1] (default: the chat config's)");
  app.add_option("--top-k", options->top_k, "keep the K most likely tokens (0 = off)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--repetition-penalty", options->repetition_penalty,
                 "> 0, 1 = off (default: the chat config's)");
  app.add_option("--seed", options->seed, "random seed; same seed, same text")
      ->capture_default_str();
  app.add_option("--model-lib", options->model_lib,
                 "a .so from 'sphere_aae compile' (default: compile one for this host now)");
  app.add_option("--threads", options->threads, "worker threads (0 = one per core)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--sphere-aae-source-dir", options->source_dir,
                 "folder holding modellib/ and include/sphere_aae/ when compiling (default: "
                 "$SPHERE_AAE_SOURCE_DIR, then the installed copy)");
  app.add_flag("--verbose", options->verbose, "print timing and token counts to stderr");
  return [options] { return run_generate(*options); };
}

Result<std::string> cached_host_model_lib(const std::string& model_dir,
                                          const std::string& source_flag) {
  AAE_ASSIGN_OR_RETURN(std::string source_dir, model_lib_source_dir(source_flag));
  auto path = host_model_lib(model_dir, ModelLibOverrides{}, source_dir);
  if (!path.ok()) {
    Error error = std::move(path).error();
    error.context("cannot get a model library for " + model_dir)
        .with_hint("or pass a prebuilt one: sphere_aae compile " + model_dir +
                   " --device linux -o LIB.so, then --model-lib LIB.so");
    return error;
  }
  return path;
}

}  // namespace aae::cli
