// Shared by the C API's translation units: the engine handle, the thread-local last error, the
// mapping of aae::ErrorCode to aae_status, and `guarded`, which keeps C++ exceptions
// (std::bad_alloc, mainly) from unwinding into C, Swift or JNI frames.
#pragma once

#include <exception>
#include <memory>
#include <new>
#include <string>

#include "runtime/base/status.h"
#include "runtime/chat/chat_completion.h"
#include "runtime/engine/engine.h"
#include "sphere_aae/aae.h"

// The handle behind aae_engine*. Made only by aae_engine_create. A model whose chat config has
// no usable conv_template still generates raw completions (aae_engine_generate): then `chat` is
// empty, `plain` holds the engine and `chat_unavailable` says why chat completions fail.
struct aae_engine {
  std::unique_ptr<aae::ChatEngine> chat;
  std::unique_ptr<aae::Engine> plain;
  aae::Error chat_unavailable;

  aae::Engine& engine() { return chat ? chat->engine() : *plain; }
  const aae::Engine& engine() const { return chat ? chat->engine() : *plain; }
};

namespace aae::capi {

// The storage behind aae_last_error() (defined in aae.cc).
std::string& last_error();

inline aae_status status_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return AAE_ERR_INVALID_ARGUMENT;
    case ErrorCode::kNotFound: return AAE_ERR_NOT_FOUND;
    case ErrorCode::kMismatch: return AAE_ERR_MISMATCH;
    case ErrorCode::kContextOverflow: return AAE_ERR_CONTEXT_OVERFLOW;
    case ErrorCode::kCancelled: return AAE_ERR_CANCELLED;
    case ErrorCode::kGeneric: return AAE_ERR_FAILED;
  }
  return AAE_ERR_FAILED;
}

// "message: cause: cause (hint: ...)": one line, as a C caller would log it.
inline aae_status fail(const Error& error) {
  last_error() = error.to_string();
  if (!error.hint().empty()) last_error() += " (hint: " + error.hint() + ")";
  return status_for(error.code());
}

inline aae_status fail(aae_status status, const char* message) {
  last_error() = message;
  return status;
}

// Runs `body` (returning aae_status), turning an escaping exception into AAE_ERR_FAILED.
template <typename Body>
aae_status guarded(Body&& body) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return fail(AAE_ERR_FAILED, "out of memory");
  } catch (const std::exception& e) {
    return fail(AAE_ERR_FAILED, e.what());
  } catch (...) {
    return fail(AAE_ERR_FAILED, "unexpected internal error");
  }
}

}  // namespace aae::capi
