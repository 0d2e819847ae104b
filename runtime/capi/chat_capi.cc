// The chat part of the C API (include/sphere_aae/aae_chat.h) over aae::ChatEngine: requests and
// responses are OpenAI JSON text; errors come back both as a status and as an OpenAI error body.
#include "sphere_aae/aae_chat.h"

#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "runtime/capi/capi_support.h"

namespace {

using aae::capi::fail;
using aae::capi::guarded;

// A malloc'ed NUL-terminated copy, for aae_string_free; nullptr when out of memory.
char* copy_string(const std::string& text) {
  char* out = static_cast<char*>(std::malloc(text.size() + 1));
  if (out == nullptr) return nullptr;
  std::memcpy(out, text.data(), text.size());
  out[text.size()] = '\0';
  return out;
}

// Sets the last error and the response body for `error`; returns its status.
aae_status fail_with_body(const aae::Error& error, char** out_response_json) {
  *out_response_json = copy_string(aae::openai_error_json(error));
  return fail(error);
}

aae::Error argument_error(const char* message) {
  return aae::Error(message).with_code(aae::ErrorCode::kInvalidArgument);
}

}  // namespace

extern "C" {

aae_status aae_chat_completion(aae_engine* engine, const char* request_json,
                               aae_chat_chunk_callback callback, void* user,
                               char** out_response_json) {
  if (out_response_json == nullptr) {
    return fail(AAE_ERR_INVALID_ARGUMENT, "out_response_json is NULL");
  }
  *out_response_json = nullptr;
  return guarded([&] {
    if (engine == nullptr) {
      return fail_with_body(argument_error("engine is NULL"), out_response_json);
    }
    if (request_json == nullptr) {
      return fail_with_body(argument_error("request_json is NULL"), out_response_json);
    }
    if (!engine->chat) {
      aae::Error error = engine->chat_unavailable;
      error.context("this model cannot run chat completions");
      return fail_with_body(error, out_response_json);
    }
    auto request = aae::parse_chat_completion_request(request_json);
    if (!request.ok()) return fail_with_body(request.error(), out_response_json);

    aae::ChatEngine& chat = *engine->chat;
    const bool stream = request->stream && callback != nullptr;
    aae::ChatDeltaCallback on_delta;
    if (stream) {
      on_delta = [&](std::string_view delta) {
        const std::string chunk =
            aae::chat_completion_chunk_json(chat.running_completion(), delta, std::nullopt);
        callback(user, chunk.c_str(), chunk.size());
      };
    }
    auto completion = chat.complete(*request, on_delta);
    if (!completion.ok()) return fail_with_body(completion.error(), out_response_json);
    if (stream) {
      const std::string last =
          aae::chat_completion_chunk_json(*completion, {}, completion->finish_reason);
      callback(user, last.c_str(), last.size());
    }
    *out_response_json = copy_string(aae::chat_completion_json(*completion));
    if (*out_response_json == nullptr) return fail(AAE_ERR_FAILED, "out of memory");
    return AAE_OK;
  });
}

void aae_engine_cancel(aae_engine* engine) {
  if (engine != nullptr && engine->chat) engine->chat->cancel();
}

aae_status aae_engine_reset_chat(aae_engine* engine) {
  if (engine == nullptr) return fail(AAE_ERR_INVALID_ARGUMENT, "engine is NULL");
  return guarded([&] {
    const aae::Status status =
        engine->chat ? engine->chat->reset() : engine->plain->reset_sequence();
    if (!status.ok()) return fail(status.error());
    return AAE_OK;
  });
}

void aae_string_free(char* text) { std::free(text); }

}  // extern "C"
