// aae_runtime_smoke MODEL_DIR MODEL_LIB.so [--steps N] [--threads N] [--ids]
//
// Greedy decoding with nothing but the runtime library: opens the shared model library and the
// weights, prefills [bos_token_id] (from mlc-chat-config.json), then takes the argmax (ties: the
// lowest id) after every forward step, N steps in all (N ids, N forward passes: prefill of BOS,
// then N-1 decodes). Prints the decoded text (tokenizer.json, special tokens skipped) with no
// trailing newline, or with --ids the ids on one line separated by spaces.
//
// It exists so a cross build that has no CLI (AAE_RUNTIME_ONLY, scripts/test-arm64.sh) can show
// that the target architecture generates the same text as the host.
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/status.h"
#include "runtime/engine/model_lib.h"
#include "runtime/engine/session.h"
#include "runtime/format/chat_config.h"
#include "runtime/format/weights.h"
#include "runtime/tokenizer/tokenizer.h"

namespace aae {
namespace {

struct SmokeOptions {
  std::string model_dir;
  std::string model_lib;
  int steps = 200;
  int threads = 0;
  bool print_ids = false;
};

constexpr const char* kUsage =
    "usage: aae_runtime_smoke MODEL_DIR MODEL_LIB.so [--steps N] [--threads N] [--ids]\n";

Result<int> parse_count(std::string_view flag, const char* text, int min_value) {
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value < min_value || value > 1000000)
    return Error(std::string(flag) + ": expected an integer >= " + std::to_string(min_value) +
                 ", found \"" + text + "\"");
  return static_cast<int>(value);
}

Result<SmokeOptions> parse_args(int argc, char** argv) {
  SmokeOptions options;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--ids") {
      options.print_ids = true;
    } else if (arg == "--steps" || arg == "--threads") {
      if (i + 1 >= argc) return Error(std::string(arg) + " needs a value");
      AAE_ASSIGN_OR_RETURN(int value, parse_count(arg, argv[++i], arg == "--steps" ? 1 : 0));
      (arg == "--steps" ? options.steps : options.threads) = value;
    } else if (!arg.empty() && arg[0] == '-') {
      return Error("unknown option " + std::string(arg));
    } else {
      positional.emplace_back(arg);
    }
  }
  if (positional.size() != 2)
    return Error("expected MODEL_DIR and MODEL_LIB, found " + std::to_string(positional.size()) +
                 " positional arguments");
  options.model_dir = positional[0];
  options.model_lib = positional[1];
  return options;
}

// Lowest index of the largest logit, so results are reproducible across platforms.
int32_t argmax(std::span<const float> logits) {
  int32_t best = 0;
  for (size_t i = 1; i < logits.size(); ++i)
    if (logits[i] > logits[static_cast<size_t>(best)]) best = static_cast<int32_t>(i);
  return best;
}

Result<std::vector<int32_t>> greedy_ids(Session& session, int32_t bos, int steps) {
  std::vector<int32_t> ids;
  ids.reserve(static_cast<size_t>(steps));
  const int32_t prompt[] = {bos};
  AAE_TRY(session.prefill(prompt));
  ids.push_back(argmax(session.logits()));
  while (static_cast<int>(ids.size()) < steps) {
    AAE_TRY(session.decode(ids.back()));
    ids.push_back(argmax(session.logits()));
  }
  return ids;
}

Status run(const SmokeOptions& options) {
  AAE_ASSIGN_OR_RETURN(ChatConfig config, read_chat_config(options.model_dir));
  AAE_ASSIGN_OR_RETURN(ModelLib lib, ModelLib::open_shared(options.model_lib));
  AAE_ASSIGN_OR_RETURN(ModelWeights weights, ModelWeights::open(options.model_dir));
  SessionOptions session_options;
  session_options.num_threads = options.threads;
  AAE_ASSIGN_OR_RETURN(Session session,
                       Session::create(std::move(lib), std::move(weights), session_options));
  AAE_ASSIGN_OR_RETURN(std::vector<int32_t> ids,
                       greedy_ids(session, static_cast<int32_t>(config.bos_token_id),
                                  options.steps));
  if (options.print_ids) {
    std::string line;
    for (size_t i = 0; i < ids.size(); ++i) line += (i ? " " : "") + std::to_string(ids[i]);
    std::printf("%s\n", line.c_str());
    return ok_status();
  }
  AAE_ASSIGN_OR_RETURN(Tokenizer tokenizer, Tokenizer::from_dir(options.model_dir));
  AAE_ASSIGN_OR_RETURN(std::string text, tokenizer.decode(ids, /*skip_special_tokens=*/true));
  std::fwrite(text.data(), 1, text.size(), stdout);
  return ok_status();
}

}  // namespace
}  // namespace aae

int main(int argc, char** argv) {
  auto options = aae::parse_args(argc, argv);
  if (!options.ok()) {
    std::fprintf(stderr, "aae_runtime_smoke: %s\n%s", options.error().to_string().c_str(),
                 aae::kUsage);
    return 2;
  }
  const aae::Status status = aae::run(*options);
  if (!status.ok()) {
    std::fprintf(stderr, "aae_runtime_smoke: %s\n", status.error().to_string().c_str());
    if (!status.error().hint().empty())
      std::fprintf(stderr, "hint: %s\n", status.error().hint().c_str());
    return 1;
  }
  return 0;
}
