// ChatEngine: one chat completion request on an Engine. The prompt comes from the model's
// conv_template; the KV cache prefix shared with the previous request is kept (Engine::
// prefill_reusing_cache); generated text goes through the streaming decoder, then the stop
// string filter, then to the caller.
#include "runtime/chat/chat_completion.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>

#include "runtime/chat/stop_strings.h"
#include "runtime/engine/sampler.h"
#include "runtime/tokenizer/streaming_decoder.h"

namespace aae {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Error invalid(std::string message, std::string hint = {}) {
  return Error(std::move(message), std::move(hint)).with_code(ErrorCode::kInvalidArgument);
}

// "chatcmpl-" and 24 hex digits, unique enough within and across processes.
std::string new_completion_id(uint64_t counter) {
  static const uint64_t process_seed =
      static_cast<uint64_t>(Clock::now().time_since_epoch().count()) ^
      reinterpret_cast<uintptr_t>(&counter);
  SamplerRng rng(process_seed + counter * 0x9E3779B97F4A7C15ull);
  static const char* digits = "0123456789abcdef";
  std::string id = "chatcmpl-";
  for (int part = 0; part < 2; ++part) {
    uint64_t bits = rng.next_u64();
    for (int i = 0; i < 12; ++i, bits >>= 4) id.push_back(digits[bits & 15]);
  }
  return id;
}

// The model directory's last component ("models/qwen/" -> "qwen").
std::string directory_name(const std::string& dir) {
  std::filesystem::path path = std::filesystem::path(dir).lexically_normal();
  if (path.filename().empty()) path = path.parent_path();
  const std::string name = path.filename().string();
  return name.empty() ? dir : name;
}

bool contains(const std::vector<int32_t>& ids, int32_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace

Result<ConvTemplate> read_conv_template(const ChatConfig& config) {
  auto conv = parse_conv_template(config.conv_template, config.file_name + ": conv_template");
  if (!conv.ok()) {
    Error error = std::move(conv).error();
    if (error.hint().empty()) {
      error.with_hint("re-run sphere_aae gen_config with --conv-template NAME to store the "
                      "template in the chat config");
    }
    return error;
  }
  return conv;
}

struct ChatEngine::State {
  Engine engine;
  ConvTemplate conv;
  std::atomic<bool> cancel_requested{false};
  uint64_t requests = 0;
  ChatCompletion running;  // the request in progress (see running_completion())

  State(Engine e, ConvTemplate c) : engine(std::move(e)), conv(std::move(c)) {}
};

ChatEngine::ChatEngine(std::unique_ptr<State> state) : state_(std::move(state)) {}
ChatEngine::ChatEngine(ChatEngine&&) noexcept = default;
ChatEngine& ChatEngine::operator=(ChatEngine&&) noexcept = default;
ChatEngine::~ChatEngine() = default;

Result<ChatEngine> ChatEngine::open(const EngineOptions& options) {
  AAE_ASSIGN_OR_RETURN(Engine engine, Engine::open(options));
  return from_engine(std::move(engine));
}

Result<ChatEngine> ChatEngine::from_engine(Engine engine) {
  AAE_ASSIGN_OR_RETURN(ConvTemplate conv, read_conv_template(engine.chat_config()));
  return ChatEngine(std::make_unique<State>(std::move(engine), std::move(conv)));
}

Engine& ChatEngine::engine() { return state_->engine; }
const Engine& ChatEngine::engine() const { return state_->engine; }
const ConvTemplate& ChatEngine::conv_template() const { return state_->conv; }
const ChatCompletion& ChatEngine::running_completion() const { return state_->running; }

void ChatEngine::cancel() { state_->cancel_requested.store(true, std::memory_order_relaxed); }

Status ChatEngine::reset() { return state_->engine.reset_sequence(); }

Result<ChatCompletion> ChatEngine::complete(const ChatCompletionRequest& request,
                                            const ChatDeltaCallback& on_delta) {
  State& s = *state_;
  s.cancel_requested.store(false, std::memory_order_relaxed);
  Engine& engine = s.engine;
  const ChatConfig& config = engine.chat_config();
  AAE_TRY(validate_chat_completion_request(request));

  auto prompt = build_chat_prompt(s.conv, request.messages);
  if (!prompt.ok()) {
    Error error = std::move(prompt).error();
    if (error.code() == ErrorCode::kGeneric) error.with_code(ErrorCode::kInvalidArgument);
    return error;
  }
  auto encoded = engine.tokenizer().encode(prompt->text, /*add_special_tokens=*/false);
  if (!encoded.ok()) {
    Error error = std::move(encoded).error();
    error.context("cannot tokenize the conversation").with_code(ErrorCode::kInvalidArgument);
    return error;
  }
  std::vector<int32_t> ids = prompt->prefix_token_ids;
  ids.insert(ids.end(), encoded->begin(), encoded->end());
  const int64_t window = engine.context_window_size();
  if (static_cast<int64_t>(ids.size()) > window) {
    return Error("the conversation is " + std::to_string(ids.size()) +
                     " tokens but the context window is " + std::to_string(window) + " tokens",
                 "drop or shorten earlier messages")
        .with_code(ErrorCode::kContextOverflow);
  }
  if (ids.empty()) return invalid("messages: the conversation gives an empty prompt");

  SamplingParams sampling = engine.default_sampling();
  if (request.temperature) sampling.temperature = *request.temperature;
  if (request.top_p) sampling.top_p = *request.top_p;
  sampling.frequency_penalty = request.frequency_penalty;
  sampling.presence_penalty = request.presence_penalty;
  sampling.seed = request.seed.value_or(0);
  AAE_ASSIGN_OR_RETURN(Sampler sampler, Sampler::create(sampling));

  std::vector<int32_t> stop_ids = s.conv.stop_token_ids;
  for (const int64_t eos : config.eos_token_ids) stop_ids.push_back(static_cast<int32_t>(eos));
  std::vector<std::string> stop_strings = s.conv.stop_str;
  stop_strings.insert(stop_strings.end(), request.stop.begin(), request.stop.end());
  StopStringFilter filter(std::move(stop_strings));

  ChatCompletion& c = s.running;
  c = ChatCompletion();
  c.id = new_completion_id(++s.requests);
  c.model = request.model.empty() ? directory_name(engine.model_dir()) : request.model;
  c.created = static_cast<int64_t>(std::time(nullptr));
  c.usage.prompt_tokens = static_cast<int64_t>(ids.size());

  const auto prefill_start = Clock::now();
  AAE_ASSIGN_OR_RETURN(const PrefillReuse reuse, engine.prefill_reusing_cache(ids));
  c.usage.prefill_seconds = seconds_since(prefill_start);
  c.usage.cached_prompt_tokens = reuse.cached_tokens;
  c.usage.prefilled_tokens = reuse.prefilled_tokens;

  // The decoder is primed with the prompt's last ids so the first generated token decodes as a
  // continuation (a SentencePiece decoder strips the leading space of a text's first token);
  // `skip` counts the bytes of prompt text the decoder still holds back, dropped on output.
  StreamingDecoder decoder(engine.tokenizer());
  const size_t tail = std::min<size_t>(ids.size(), 8);
  const std::vector<int32_t> tail_ids(ids.end() - static_cast<std::ptrdiff_t>(tail), ids.end());
  size_t primed = 0;
  for (const int32_t id : tail_ids) primed += decoder.push(id).size();
  AAE_ASSIGN_OR_RETURN(const std::string tail_text, engine.tokenizer().decode(tail_ids, false));
  size_t skip = tail_text.size() > primed ? tail_text.size() - primed : 0;

  auto emit = [&](std::string text) {
    const size_t n = std::min(skip, text.size());
    text.erase(0, n);
    skip -= n;
    const std::string visible = filter.push(text);
    if (visible.empty()) return;
    c.content += visible;
    if (on_delta) on_delta(visible);
  };

  const int64_t max_tokens = request.max_tokens.value_or(window);
  std::vector<int32_t> generated;
  const auto decode_start = Clock::now();
  bool flush = true;  // the end of the text is final: release what the decoder/filter hold
  while (true) {
    if (s.cancel_requested.load(std::memory_order_relaxed)) {
      c.finish_reason = FinishReason::kCancelled;
      flush = false;
      break;
    }
    if (c.usage.completion_tokens >= max_tokens) {
      c.finish_reason = FinishReason::kLength;
      break;
    }
    AAE_ASSIGN_OR_RETURN(const int32_t token, sampler.sample(engine.next_logits(),
                                                             engine.cached_token_ids(), generated));
    if (contains(stop_ids, token)) {
      c.finish_reason = FinishReason::kStop;
      break;
    }
    generated.push_back(token);
    ++c.usage.completion_tokens;
    emit(decoder.push(token));
    if (filter.stopped()) {
      c.finish_reason = FinishReason::kStop;
      break;
    }
    if (c.usage.completion_tokens >= max_tokens) continue;  // no need to feed it back
    if (static_cast<int64_t>(engine.cached_token_ids().size()) >= window) {
      c.finish_reason = FinishReason::kLength;
      break;
    }
    AAE_TRY(engine.decode(token));
  }
  if (flush) {
    emit(decoder.finish());
    if (filter.stopped()) {
      c.finish_reason = FinishReason::kStop;
    } else if (std::string rest = filter.flush(); !rest.empty()) {
      c.content += rest;
      if (on_delta) on_delta(rest);
    }
  }
  c.usage.decode_seconds = seconds_since(decode_start);
  return c;
}

}  // namespace aae
