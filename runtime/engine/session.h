// One running sequence of a model: a model library bound to the weights of a model directory,
// its state (KV cache + workspace, allocated once, exactly state_bytes), a thread pool, and the
// current position. Prefill splits long inputs into chunks of prefill_chunk_size; going past
// context_window_size is an error (kContextOverflow), never a crash.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "runtime/base/status.h"
#include "runtime/engine/model_lib.h"
#include "runtime/engine/thread_pool.h"
#include "runtime/format/weights.h"

namespace aae {

struct SessionOptions {
  int num_threads = 0;          // 0: hardware_concurrency
  uint64_t cpu_features = ~0ull;  // mask over the detected AAE_CPU_* bits (0: reference kernels)
  LogCallback log;              // the library's log messages; empty: dropped
  int min_log_level = AAE_LOG_INFO;  // messages below it are dropped (debug by default)
};

// Errors for parameters: every parameter the library declares must exist in the tensor cache
// with the same shape and dtype; the error lists the mismatches, first one first (name,
// expected shape/dtype vs found), and says which model the library was built for.
class Session {
 public:
  // Takes ownership of both. Binds parameter pointers (copying tensors whose mapped address is
  // not aligned to their element size, and widening "f32-to-bf16" records), allocates the
  // state, runs the library's prepare.
  static Result<Session> create(ModelLib lib, ModelWeights weights,
                                const SessionOptions& options = {});

  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  const ModelLibInfo& info() const;
  int64_t position() const;           // tokens in the KV cache
  int64_t context_window_size() const;
  int32_t vocab_size() const;

  // Appends tokens at position() (chunked), leaves the last token's logits in logits().
  // Empty input is an argument error. On error the position is unchanged.
  Status prefill(std::span<const int32_t> tokens);
  // Appends one token; logits() then holds its logits.
  Status decode(int32_t token);
  // Logits after the last prefill/decode (vocab_size floats); empty before the first one and
  // after reset().
  std::span<const float> logits() const;
  // Threads the session runs the library on (the caller plus the pool's workers).
  int num_threads() const;
  // Parameters copied out of the mapping (misaligned, or widened from bfloat16).
  size_t copied_params() const;
  // Forgets the sequence (position 0).
  Status reset();
  // Keeps the first `n` tokens of the sequence and forgets the rest: the next prefill/decode
  // writes at position n (the library takes the position per call and overwrites KV entries
  // before reading them, so nothing else needs clearing). logits() is empty afterwards.
  // n outside [0, position()] is an argument error.
  Status truncate(int64_t n);

 private:
  struct State;
  explicit Session(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace aae
