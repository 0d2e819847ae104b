#include "runtime/engine/engine.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <vector>

#include "runtime/engine/session.h"
#include "runtime/format/weights.h"
#include "runtime/tokenizer/streaming_decoder.h"

namespace aae {
namespace {

namespace fs = std::filesystem;

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Error coded(ErrorCode code, std::string message, std::string hint = {}) {
  return Error(std::move(message), std::move(hint)).with_code(code);
}

// An error from a lower layer, wrapped; keeps its code.
Error wrapped(Error error, std::string outer) {
  error.context(std::move(outer));
  return error;
}

Status check_options(const EngineOptions& options) {
  if (options.model_dir.empty())
    return coded(ErrorCode::kInvalidArgument, "no model directory given");
  const bool has_path = !options.model_lib_path.empty();
  const bool has_descriptor = options.model_lib != nullptr;
  if (has_path == has_descriptor) {
    return coded(ErrorCode::kInvalidArgument,
                 has_path ? "both a model library path and a linked-in model library were given"
                          : "no model library given",
                 "pass exactly one: the .so written by 'sphere_aae compile', or a descriptor "
                 "linked into the app");
  }
  if (options.num_threads < 0) {
    return coded(ErrorCode::kInvalidArgument,
                 "num_threads must be >= 0 (0 = one per core), found " +
                     std::to_string(options.num_threads));
  }
  std::error_code ec;
  if (!fs::is_directory(options.model_dir, ec)) {
    return coded(ErrorCode::kNotFound, "model directory " + options.model_dir + " does not exist",
                 "convert a model first: sphere_aae convert_weight ... -o DIR and sphere_aae "
                 "gen_config ... -o DIR");
  }
  if (has_path && !fs::exists(options.model_lib_path, ec)) {
    return coded(ErrorCode::kNotFound,
                 "model library " + options.model_lib_path + " does not exist",
                 "build it with: sphere_aae compile " + options.model_dir +
                     " --device linux -o LIB.so");
  }
  return ok_status();
}

// The library must have been compiled for this model's vocabulary, and the tokenizer's ids must
// index its logits.
Status check_vocab(const ChatConfig& config, const Tokenizer& tokenizer, const ModelLibInfo& lib,
                   const std::string& lib_origin, const std::string& model_dir) {
  const std::string hint = "recompile the model library from this model directory: sphere_aae "
                           "compile " + model_dir + " --device linux -o LIB.so";
  if (lib.vocab_size != config.vocab_size) {
    return coded(ErrorCode::kMismatch,
                 "model library " + lib_origin + " has vocab_size " +
                     std::to_string(lib.vocab_size) + " but " + config.file_name + " in " +
                     model_dir + " says " + std::to_string(config.vocab_size),
                 hint);
  }
  if (tokenizer.vocab_size() > lib.vocab_size) {
    return coded(ErrorCode::kMismatch,
                 "the tokenizer in " + model_dir + " has ids up to " +
                     std::to_string(tokenizer.vocab_size() - 1) + " but the model's vocab_size is " +
                     std::to_string(lib.vocab_size),
                 "the tokenizer files do not belong to this model; re-run sphere_aae gen_config");
  }
  auto check_id = [&](int64_t id, const char* key) -> Status {
    if (id < 0 || id >= lib.vocab_size) {
      return coded(ErrorCode::kMismatch,
                   std::string(key) + " " + std::to_string(id) + " in " + config.file_name +
                       " is outside the vocabulary [0, " + std::to_string(lib.vocab_size) + ")");
    }
    return ok_status();
  };
  AAE_TRY(check_id(config.bos_token_id, "bos_token_id"));
  for (const int64_t eos : config.eos_token_ids) AAE_TRY(check_id(eos, "eos_token_id"));
  return ok_status();
}

}  // namespace

const char* stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::kMaxTokens: return "max_tokens";
    case StopReason::kEos: return "eos";
    case StopReason::kContextWindow: return "context_window";
    case StopReason::kCancelled: return "cancelled";
  }
  return "unknown";
}

struct Engine::State {
  std::string model_dir;
  ChatConfig config;
  Tokenizer tokenizer;
  Session session;
  int32_t active_vocab = 0;  // ids the sampler may pick: those the tokenizer can decode
  std::vector<int32_t> kv_ids;  // what the session's KV cache holds (size == position)
};

Engine::Engine(std::unique_ptr<State> state) : state_(std::move(state)) {}
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;
Engine::~Engine() = default;

Result<Engine> Engine::open(const EngineOptions& options) {
  AAE_TRY(check_options(options));
  const std::string& dir = options.model_dir;
  auto config = read_chat_config(dir);
  if (!config.ok()) return wrapped(std::move(config).error(), "cannot load model from " + dir);
  auto tokenizer = Tokenizer::from_dir(dir);
  if (!tokenizer.ok())
    return wrapped(std::move(tokenizer).error(), "cannot load the tokenizer of " + dir);
  // dlopen searches the library path for a name without '/': "lib.so" must mean ./lib.so.
  std::error_code ec;
  const fs::path absolute_lib = fs::absolute(options.model_lib_path, ec);
  const std::string lib_path = ec ? options.model_lib_path : absolute_lib.string();
  auto lib = options.model_lib != nullptr ? ModelLib::from_descriptor(options.model_lib)
                                          : ModelLib::open_shared(lib_path);
  if (!lib.ok()) return std::move(lib).error();
  AAE_TRY(check_vocab(*config, *tokenizer, lib->info(), lib->origin(), dir));
  auto weights = ModelWeights::open(dir);
  if (!weights.ok())
    return wrapped(std::move(weights).error(), "cannot open the weights of " + dir);
  SessionOptions session_options;
  session_options.num_threads = options.num_threads;
  auto session = Session::create(std::move(lib).value(), std::move(weights).value(),
                                 session_options);
  if (!session.ok()) return std::move(session).error();

  const int32_t active = std::min<int32_t>(tokenizer->vocab_size(), session->vocab_size());
  auto state = std::unique_ptr<State>(new State{dir, std::move(config).value(),
                                                std::move(tokenizer).value(),
                                                std::move(session).value(), active, {}});
  // The cache never grows past the window: no reallocation while decoding.
  const int64_t window = state->session.context_window_size();
  state->kv_ids.reserve(static_cast<size_t>(std::max<int64_t>(window, 0)));
  return Engine(std::move(state));
}

SamplingParams Engine::default_sampling() const {
  SamplingParams params;
  params.temperature = state_->config.temperature;
  params.top_p = state_->config.top_p;
  params.repetition_penalty = state_->config.repetition_penalty;
  return params;
}

const ChatConfig& Engine::chat_config() const { return state_->config; }
const Tokenizer& Engine::tokenizer() const { return state_->tokenizer; }
const ModelLibInfo& Engine::model_lib_info() const { return state_->session.info(); }
int64_t Engine::context_window_size() const { return state_->session.context_window_size(); }
const std::string& Engine::model_dir() const { return state_->model_dir; }
const std::vector<int32_t>& Engine::cached_token_ids() const { return state_->kv_ids; }

Result<PrefillReuse> Engine::prefill_reusing_cache(std::span<const int32_t> ids) {
  State& s = *state_;
  if (ids.empty()) {
    return coded(ErrorCode::kInvalidArgument, "cannot prefill an empty sequence of token ids");
  }
  const int64_t window = s.session.context_window_size();
  if (static_cast<int64_t>(ids.size()) > window) {
    return coded(ErrorCode::kContextOverflow,
                 "the prompt is " + std::to_string(ids.size()) +
                     " tokens but the context window is " + std::to_string(window) + " tokens",
                 "shorten the conversation, or compile the model library with a larger window "
                 "(sphere_aae compile --overrides \"context_window_size=N\")");
  }
  size_t keep = 0;
  const size_t limit = std::min(s.kv_ids.size(), ids.size() - 1);
  while (keep < limit && s.kv_ids[keep] == ids[keep]) ++keep;
  AAE_TRY(s.session.truncate(static_cast<int64_t>(keep)));
  s.kv_ids.resize(keep);
  AAE_TRY(s.session.prefill(ids.subspan(keep)));
  s.kv_ids.insert(s.kv_ids.end(), ids.begin() + static_cast<std::ptrdiff_t>(keep), ids.end());
  PrefillReuse reuse;
  reuse.cached_tokens = static_cast<int64_t>(keep);
  reuse.prefilled_tokens = static_cast<int64_t>(ids.size() - keep);
  return reuse;
}

Status Engine::decode(int32_t token) {
  State& s = *state_;
  AAE_TRY(s.session.decode(token));
  s.kv_ids.push_back(token);
  return ok_status();
}

std::span<const float> Engine::next_logits() const {
  const std::span<const float> logits = state_->session.logits();
  if (logits.empty()) return logits;
  return logits.first(static_cast<size_t>(state_->active_vocab));
}

Status Engine::reset_sequence() {
  state_->kv_ids.clear();
  return state_->session.reset();
}

Result<GenerateResult> Engine::generate(std::string_view prompt, const GenerateOptions& options,
                                        const TextCallback& on_text) {
  State& s = *state_;
  if (options.max_tokens < 0) {
    return coded(ErrorCode::kInvalidArgument,
                 "max_tokens must be >= 0, found " + std::to_string(options.max_tokens));
  }
  AAE_ASSIGN_OR_RETURN(Sampler sampler, Sampler::create(options.sampling));

  auto encoded = s.tokenizer.encode(prompt, /*add_special_tokens=*/false);
  if (!encoded.ok()) {
    Error error = std::move(encoded).error();
    error.context("cannot tokenize the prompt").with_code(ErrorCode::kInvalidArgument);
    return error;
  }
  std::vector<int32_t> ids;
  if (options.add_bos) ids.push_back(static_cast<int32_t>(s.config.bos_token_id));
  ids.insert(ids.end(), encoded->begin(), encoded->end());
  if (ids.empty()) {
    return coded(ErrorCode::kInvalidArgument, "the prompt is empty and add_bos is off",
                 "give a prompt or keep the BOS token");
  }
  const int64_t window = s.session.context_window_size();
  if (static_cast<int64_t>(ids.size()) > window) {
    return coded(ErrorCode::kContextOverflow,
                 "the prompt is " + std::to_string(ids.size()) +
                     " tokens but the context window is " + std::to_string(window) + " tokens",
                 "shorten the prompt, or compile the model library with a larger window "
                 "(sphere_aae compile --overrides \"context_window_size=N\")");
  }

  ids.reserve(static_cast<size_t>(window) + 1);  // the sequence never grows past the window

  GenerateResult result;
  result.prompt_tokens = static_cast<int64_t>(ids.size());
  s.kv_ids.clear();
  AAE_TRY(s.session.reset());
  const auto prefill_start = Clock::now();
  AAE_TRY(s.session.prefill(ids));
  s.kv_ids.assign(ids.begin(), ids.end());
  result.prefill_seconds = seconds_since(prefill_start);

  // The decoder is primed with the prompt's ids so the first generated token is decoded as a
  // continuation (a SentencePiece decoder strips the leading space of a text's first token:
  // "Lily" + "▁was" must give " was"). The prompt's own text is not emitted: `skip` counts the
  // bytes of it the decoder still holds back.
  StreamingDecoder decoder(s.tokenizer);
  size_t skip = 0;
  if (!encoded->empty()) {
    size_t primed = 0;
    for (const int32_t id : *encoded) primed += decoder.push(id).size();
    AAE_ASSIGN_OR_RETURN(const std::string prompt_text, s.tokenizer.decode(*encoded, false));
    skip = prompt_text.size() > primed ? prompt_text.size() - primed : 0;
  }
  auto emit = [&](std::string text) {
    const size_t n = std::min(skip, text.size());
    text.erase(0, n);
    skip -= n;
    return text.empty() || !on_text || on_text(text);
  };
  const auto decode_start = Clock::now();
  bool finished = false;  // stopped for a reason other than cancelling
  while (true) {
    if (result.generated_tokens >= options.max_tokens) {
      result.stop_reason = StopReason::kMaxTokens;
      finished = true;
      break;
    }
    const std::span<const float> logits =
        s.session.logits().first(static_cast<size_t>(s.active_vocab));
    AAE_ASSIGN_OR_RETURN(const int32_t token, sampler.sample(logits, ids));
    if (std::find(s.config.eos_token_ids.begin(), s.config.eos_token_ids.end(), token) !=
        s.config.eos_token_ids.end()) {
      result.stop_reason = StopReason::kEos;
      finished = true;
      break;
    }
    ids.push_back(token);
    ++result.generated_tokens;
    if (!emit(decoder.push(token))) {
      result.stop_reason = StopReason::kCancelled;
      break;
    }
    if (result.generated_tokens >= options.max_tokens) continue;  // no need to feed it back
    if (s.session.position() >= window) {
      result.stop_reason = StopReason::kContextWindow;
      finished = true;
      break;
    }
    AAE_TRY(s.session.decode(token));
    s.kv_ids.push_back(token);
  }
  if (finished && !emit(decoder.finish())) result.stop_reason = StopReason::kCancelled;
  result.decode_seconds = seconds_since(decode_start);
  return result;
}

}  // namespace aae
