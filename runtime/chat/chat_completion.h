// OpenAI-style chat completions over an Engine: the request a client sends (JSON), the
// conversation prompt built with the model's conv_template, generation with stop strings and
// stop token ids, streamed deltas, usage and finish reasons, cancellation from another thread.
//
// Requests are stateless (each carries the whole conversation), but the engine remembers the
// token ids its KV cache holds: a request whose prompt starts with them prefills only the rest
// (usage.cached_prompt_tokens counts what was reused), so turn N+1 of a chat never re-runs
// turn N's prefill.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/status.h"
#include "runtime/chat/conv_template.h"
#include "runtime/engine/engine.h"

namespace aae {

struct ChatCompletionRequest {
  std::string model;                   // optional; echoed in the response
  std::vector<ChatMessage> messages;   // at least one
  std::optional<double> temperature;   // [0, 2]; absent: the chat config's
  std::optional<double> top_p;         // (0, 1]; absent: the chat config's
  std::optional<int64_t> max_tokens;   // >= 0; absent: until a stop or the context window
  std::vector<std::string> stop;       // "stop": a string or an array of up to 4 strings
  std::optional<uint64_t> seed;        // absent: 0
  bool stream = false;
  double frequency_penalty = 0;        // [-2, 2], over the generated tokens (as MLC)
  double presence_penalty = 0;         // [-2, 2]
};

// Parses and validates a request body. Errors are kInvalidArgument (kContextOverflow is
// reported later, by complete()) and their message starts with the JSON path of the bad field
// ("messages[1].role: ...", "max_tokens: must be >= 0, found -3"); `n` other than 1 and unknown
// roles are errors. Unknown top-level fields are ignored, as OpenAI's servers do.
Result<ChatCompletionRequest> parse_chat_completion_request(std::string_view json_text);
// The range checks of parse_chat_completion_request on a request built in code (complete()
// runs them too): empty messages, max_tokens < 0, temperature, top_p, penalties.
Status validate_chat_completion_request(const ChatCompletionRequest& request);

enum class FinishReason { kStop, kLength, kCancelled };
const char* finish_reason_name(FinishReason reason);  // "stop", "length", "cancelled"

struct ChatUsage {
  int64_t prompt_tokens = 0;         // the whole prompt, including the reused part
  int64_t completion_tokens = 0;     // generated (a stop token is not counted)
  int64_t cached_prompt_tokens = 0;  // prompt tokens whose KV entries were reused
  int64_t prefilled_tokens = 0;      // prompt tokens run through prefill this request
  // Wall time (not in the JSON): prefill, and sampling + decode of the generated tokens.
  double prefill_seconds = 0;
  double decode_seconds = 0;
};

struct ChatCompletion {
  std::string id;        // "chatcmpl-<hex>"
  std::string model;     // the request's model, else the model directory's name
  int64_t created = 0;   // Unix seconds
  std::string content;   // the assistant's text, stop string excluded
  FinishReason finish_reason = FinishReason::kStop;
  ChatUsage usage;
};

// JSON text of the non-streamed response ("object": "chat.completion", with choices[0].message
// and usage; usage.prompt_tokens_details.cached_tokens = cached_prompt_tokens).
std::string chat_completion_json(const ChatCompletion& completion);
// One "chat.completion.chunk": a content delta (`finish` absent), or the final chunk with an
// empty delta, finish_reason and usage (`finish` present).
std::string chat_completion_chunk_json(const ChatCompletion& header, std::string_view delta,
                                       const std::optional<FinishReason>& finish);
// An OpenAI error body: {"error": {"message", "type", "param", "code"}}. type is
// "invalid_request_error" for kInvalidArgument and kContextOverflow (code
// "context_length_exceeded"), else "server_error"; param is the JSON path at the start of the
// message when there is one, else null.
std::string openai_error_json(const Error& error);

// Receives each new piece of the reply as soon as it is stable (complete UTF-8 and not a
// possible start of a stop string). The view is only valid during the call.
using ChatDeltaCallback = std::function<void(std::string_view delta)>;

// The conv_template of a chat config, parsed; errors name the file ("mlc-chat-config.json:
// conv_template: ...") and say to re-run gen_config.
Result<ConvTemplate> read_conv_template(const ChatConfig& config);

class ChatEngine {
 public:
  static Result<ChatEngine> open(const EngineOptions& options);
  // Fails when the engine's chat config has no usable conv_template.
  static Result<ChatEngine> from_engine(Engine engine);
  ChatEngine(ChatEngine&&) noexcept;
  ChatEngine& operator=(ChatEngine&&) noexcept;
  ~ChatEngine();

  // Runs one request. Errors: kInvalidArgument (a role the template lacks, bad sampling
  // values), kContextOverflow (the prompt alone does not fit the context window; the message
  // gives both counts). Reaching max_tokens or the window is finish_reason "length"; a stop
  // string, a stop token id or an EOS is "stop"; cancel() is "cancelled" (not an error).
  Result<ChatCompletion> complete(const ChatCompletionRequest& request,
                                  const ChatDeltaCallback& on_delta = {});

  // Thread-safe. Makes the request running now return within one token with finish_reason
  // "cancelled"; a request that starts later is not affected.
  void cancel();

  // Forgets the cached tokens (the next request prefills everything).
  Status reset();

  Engine& engine();
  const Engine& engine() const;
  const ConvTemplate& conv_template() const;

  // The request running now, as far as it got: id, model and created (equal to the returned
  // ChatCompletion's), content and usage so far. For streaming callers that write chunks
  // (chat_completion_chunk_json) from inside the delta callback; only meaningful there.
  const ChatCompletion& running_completion() const;

 private:
  struct State;
  explicit ChatEngine(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace aae
