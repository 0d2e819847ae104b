#include "runtime/engine/session.h"

#include <algorithm>
#include <string>
#include <utility>

#include "runtime/engine/cpu_features.h"
#include "runtime/engine/param_binding.h"

namespace aae {
namespace {

// An error for a status code a library entry point returned.
Error library_error(const ModelLib& lib, const char* call, int32_t status) {
  const std::string prefix = lib.info().model_lib + ": " + call + " failed: ";
  switch (status) {
    case AAE_MODEL_LIB_ERR_ABI:
      return Error(prefix + "the library and the runtime speak different ABI versions",
                   "rebuild the library with this version of sphere_aae")
          .with_code(ErrorCode::kMismatch);
    case AAE_MODEL_LIB_ERR_ARGUMENT:
      return Error(prefix + "invalid argument (null pointer or token count out of range)")
          .with_code(ErrorCode::kInvalidArgument);
    case AAE_MODEL_LIB_ERR_CONTEXT:
      return Error(prefix + "the sequence would exceed the context window")
          .with_code(ErrorCode::kContextOverflow);
    case AAE_MODEL_LIB_ERR_TOKEN:
      return Error(prefix + "a token id is outside the vocabulary")
          .with_code(ErrorCode::kInvalidArgument);
    case AAE_MODEL_LIB_ERR_NOT_PREPARED:
      return Error(prefix + "the state was not prepared");
    default:
      return Error(prefix + "unknown status " + std::to_string(status),
                   "the library is newer than this runtime; rebuild it");
  }
}

}  // namespace

struct Session::State {
  ModelLib lib;
  ModelWeights weights;  // the mapping the bound pointers point into
  BoundParams params;
  std::unique_ptr<HostServices> host;  // heap-held: the AaeHostApi points at it
  AlignedBuffer state;                 // state_bytes, AAE_MODEL_LIB_STATE_ALIGN
  std::vector<float> logits;           // vocab_size
  bool has_logits = false;
  int64_t position = 0;

  State(ModelLib l, ModelWeights w) : lib(std::move(l)), weights(std::move(w)) {}
  const AaeModelLib& d() const { return lib.descriptor(); }

  // Nothing may run when the tokens do not fit or are outside the vocabulary, so a failed
  // call leaves the KV cache as it was.
  Status check_tokens(std::span<const int32_t> tokens) const {
    const int64_t n = static_cast<int64_t>(tokens.size());
    const int64_t window = d().context_window_size;
    if (position + n > window) {
      return Error("context overflow: position " + std::to_string(position) + " + " +
                       std::to_string(n) + " tokens exceeds the context window of " +
                       std::to_string(window) + " tokens",
                   "reset the session, or shorten the input to at most " +
                       std::to_string(window - position) + " tokens")
          .with_code(ErrorCode::kContextOverflow);
    }
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (tokens[i] < 0 || tokens[i] >= d().vocab_size) {
        return Error("token " + std::to_string(i) + " has id " + std::to_string(tokens[i]) +
                         ", outside the vocabulary [0, " + std::to_string(d().vocab_size) + ")")
            .with_code(ErrorCode::kInvalidArgument);
      }
    }
    return ok_status();
  }
};

Session::Session(std::unique_ptr<State> state) : state_(std::move(state)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

Result<Session> Session::create(ModelLib lib, ModelWeights weights, const SessionOptions& options) {
  auto s = std::make_unique<State>(std::move(lib), std::move(weights));
  AAE_ASSIGN_OR_RETURN(s->params, bind_params(s->lib.info(), s->weights));
  if (s->params.pointers.size() != s->d().num_params) {
    return Error(s->lib.origin() + ": the library takes " + std::to_string(s->d().num_params) +
                 " parameters but its metadata lists " +
                 std::to_string(s->params.pointers.size()))
        .with_code(ErrorCode::kMismatch);
  }
  s->host = std::make_unique<HostServices>(options.num_threads,
                                           detect_cpu_features() & options.cpu_features,
                                           options.log, options.min_log_level);
  s->state = AlignedBuffer(static_cast<size_t>(s->d().state_bytes), AAE_MODEL_LIB_STATE_ALIGN);
  s->logits.assign(static_cast<size_t>(std::max<int32_t>(s->d().vocab_size, 0)), 0.0f);
  const int32_t status = s->d().prepare(s->host->api(), s->params.pointers.data(), s->state.data());
  if (status != AAE_MODEL_LIB_OK) return library_error(s->lib, "prepare", status);
  return Session(std::move(s));
}

const ModelLibInfo& Session::info() const { return state_->lib.info(); }
int64_t Session::position() const { return state_->position; }
int64_t Session::context_window_size() const { return state_->d().context_window_size; }
int32_t Session::vocab_size() const { return state_->d().vocab_size; }
int Session::num_threads() const { return state_->host->pool().num_threads(); }
size_t Session::copied_params() const { return state_->params.copied; }

Status Session::prefill(std::span<const int32_t> tokens) {
  State& s = *state_;
  if (tokens.empty()) {
    return Error("prefill needs at least one token").with_code(ErrorCode::kInvalidArgument);
  }
  AAE_TRY(s.check_tokens(tokens));
  const int64_t n = static_cast<int64_t>(tokens.size());
  const int64_t chunk = s.d().prefill_chunk_size;
  s.has_logits = false;
  for (int64_t offset = 0; offset < n; offset += chunk) {
    const int32_t count = static_cast<int32_t>(std::min(chunk, n - offset));
    // Only the last chunk's last token needs logits; earlier chunks skip the lm_head.
    float* logits = offset + count == n ? s.logits.data() : nullptr;
    const int32_t status =
        s.d().prefill(s.host->api(), s.params.pointers.data(), s.state.data(),
                      tokens.data() + offset, count, static_cast<int32_t>(s.position + offset),
                      logits);
    if (status != AAE_MODEL_LIB_OK) return library_error(s.lib, "prefill", status);
  }
  s.position += n;
  s.has_logits = true;
  return ok_status();
}

Status Session::decode(int32_t token) {
  State& s = *state_;
  AAE_TRY(s.check_tokens(std::span<const int32_t>(&token, 1)));
  s.has_logits = false;
  const int32_t status = s.d().decode(s.host->api(), s.params.pointers.data(), s.state.data(),
                                      token, static_cast<int32_t>(s.position), s.logits.data());
  if (status != AAE_MODEL_LIB_OK) return library_error(s.lib, "decode", status);
  s.position += 1;
  s.has_logits = true;
  return ok_status();
}

std::span<const float> Session::logits() const {
  if (!state_->has_logits) return {};
  return std::span<const float>(state_->logits);
}

Status Session::reset() {
  State& s = *state_;
  const int32_t status = s.d().reset(s.host->api(), s.state.data());
  s.position = 0;
  s.has_logits = false;
  if (status != AAE_MODEL_LIB_OK) return library_error(s.lib, "reset", status);
  return ok_status();
}

Status Session::truncate(int64_t n) {
  State& s = *state_;
  if (n < 0 || n > s.position) {
    return Error("cannot truncate the sequence to " + std::to_string(n) + " tokens: it holds " +
                 std::to_string(s.position))
        .with_code(ErrorCode::kInvalidArgument);
  }
  s.position = n;
  s.has_logits = false;
  return ok_status();
}

}  // namespace aae
