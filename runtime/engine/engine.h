// A loaded model ready to generate: the chat config, the tokenizer and one Session (model
// library + weights + state) of a model directory, plus the raw-completion generation loop
// (no conversation template): ids = [bos] + encode(prompt), prefill, then sample / decode until
// an EOS token, max_tokens or the end of the context window, streaming text as it becomes
// stable UTF-8.
//
// One Engine runs one sequence; generate() calls must not overlap. Each generate() starts a
// new sequence. Other loops (chat completions) drive the sequence through the lower-level calls
// below, which remember which token ids the KV cache holds so a request can reuse a prefix.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/status.h"
#include "runtime/engine/model_lib.h"
#include "runtime/engine/sampler.h"
#include "runtime/format/chat_config.h"
#include "runtime/tokenizer/tokenizer.h"

namespace aae {

struct EngineOptions {
  std::string model_dir;             // chat config, tensor cache + shards, tokenizer files
  // Exactly one of the next two.
  std::string model_lib_path;        // a shared object written by `sphere_aae compile`
  const AaeModelLib* model_lib = nullptr;  // a descriptor linked into the process (not owned)
  int num_threads = 0;               // 0: one per core
};

struct GenerateOptions {
  int32_t max_tokens = 256;  // >= 0; generated tokens, EOS not counted
  SamplingParams sampling;
  bool add_bos = true;       // start the sequence with the chat config's bos_token_id
};

enum class StopReason {
  kMaxTokens,      // max_tokens tokens were generated
  kEos,            // the model produced one of eos_token_ids (not emitted)
  kContextWindow,  // the sequence filled context_window_size: generation stopped early
  kCancelled,      // the text callback returned false
};
const char* stop_reason_name(StopReason reason);

// What prefill_reusing_cache() did with a sequence of ids.
struct PrefillReuse {
  int64_t cached_tokens = 0;     // leading ids whose KV entries were kept
  int64_t prefilled_tokens = 0;  // ids run through prefill (ids.size() - cached_tokens, >= 1)
};

struct GenerateResult {
  int64_t prompt_tokens = 0;     // including BOS
  int64_t generated_tokens = 0;  // EOS not counted
  double prefill_seconds = 0;
  double decode_seconds = 0;     // sampling + decode of every generated token
  StopReason stop_reason = StopReason::kMaxTokens;
};

// Receives each new piece of text (complete UTF-8, often one token's worth); returns false to
// stop generating. The view is only valid during the call.
using TextCallback = std::function<bool(std::string_view text)>;

class Engine {
 public:
  // Reads and cross-checks everything: the library's vocab_size must equal the chat config's,
  // and every tokenizer id, bos_token_id and eos_token_id must fit it (kMismatch). A missing
  // model directory or library file is kNotFound; bad options are kInvalidArgument.
  static Result<Engine> open(const EngineOptions& options);

  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;
  ~Engine();

  // Errors: a prompt (with BOS) longer than the context window is kContextOverflow, naming
  // both token counts; an empty sequence (empty prompt, add_bos off) or bad sampling params are
  // kInvalidArgument. Reaching the window while generating is not an error: the result says
  // kContextWindow. Cancelling through the callback is not an error either: kCancelled.
  Result<GenerateResult> generate(std::string_view prompt, const GenerateOptions& options,
                                  const TextCallback& on_text = {});

  // Sampling defaults from the chat config (temperature, top_p, repetition_penalty); top_k 0.
  SamplingParams default_sampling() const;

  const ChatConfig& chat_config() const;
  const Tokenizer& tokenizer() const;
  const ModelLibInfo& model_lib_info() const;
  int64_t context_window_size() const;
  const std::string& model_dir() const;

  // ---- The sequence, step by step (generate() uses the same state). ----
  // The ids whose KV entries the session holds, in order (the session's position is size()).
  const std::vector<int32_t>& cached_token_ids() const;
  // Makes the sequence equal `ids`: keeps the longest common prefix with cached_token_ids(),
  // at most ids.size() - 1 ids so that one id at least is prefilled and logits exist, rewinds
  // the session to it and prefills the rest. Errors: empty ids (kInvalidArgument), more ids
  // than the context window (kContextOverflow, both counts named); the cache then holds the
  // kept prefix at most.
  Result<PrefillReuse> prefill_reusing_cache(std::span<const int32_t> ids);
  // Appends `token` to the sequence; next_logits() then holds the logits after it.
  Status decode(int32_t token);
  // Logits after the last prefill/decode over the ids the sampler may pick (the tokenizer's
  // vocabulary, which may be smaller than the library's); empty when there are none.
  std::span<const float> next_logits() const;
  // Forgets the sequence and its cached ids.
  Status reset_sequence();

 private:
  struct State;
  explicit Engine(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;  // heap-held: the streaming decoder points at the tokenizer
};

}  // namespace aae
