// The C API (include/sphere_aae/aae.h) over aae::Engine (held by a ChatEngine when the model has
// a conversation template; chat completions are in chat_capi.cc). Every entry point catches
// what the C++ side could throw (std::bad_alloc, mainly) so nothing unwinds into C, Swift or
// JNI frames.
#include "sphere_aae/aae.h"

#include <memory>
#include <string>

#include "runtime/capi/capi_support.h"
#include "runtime/engine/engine.h"
#include "sphere_aae/version.h"

namespace aae::capi {

std::string& last_error() {
  thread_local std::string message;
  return message;
}

}  // namespace aae::capi

using aae::capi::fail;
using aae::capi::guarded;

extern "C" {

const char* aae_last_error(void) { return aae::capi::last_error().c_str(); }

const char* aae_version(void) { return SPHERE_AAE_VERSION_STRING; }

void aae_engine_default_params(aae_engine_params* params) {
  if (params == nullptr) return;
  params->model_dir = nullptr;
  params->model_lib_path = nullptr;
  params->model_lib = nullptr;
  params->num_threads = 0;
}

aae_status aae_engine_create(const aae_engine_params* params, aae_engine** out_engine) {
  if (out_engine == nullptr) return fail(AAE_ERR_INVALID_ARGUMENT, "out_engine is NULL");
  *out_engine = nullptr;
  if (params == nullptr) return fail(AAE_ERR_INVALID_ARGUMENT, "params is NULL");
  if (params->model_dir == nullptr || params->model_dir[0] == '\0')
    return fail(AAE_ERR_INVALID_ARGUMENT, "params->model_dir is not set");
  return guarded([&] {
    aae::EngineOptions options;
    options.model_dir = params->model_dir;
    if (params->model_lib_path != nullptr) options.model_lib_path = params->model_lib_path;
    options.model_lib = params->model_lib;
    options.num_threads = params->num_threads;
    auto engine = aae::Engine::open(options);
    if (!engine.ok()) return fail(engine.error());
    auto handle = std::make_unique<aae_engine>();
    auto conv = aae::read_conv_template(engine->chat_config());
    if (conv.ok()) {
      auto chat = aae::ChatEngine::from_engine(std::move(engine).value());
      if (!chat.ok()) return fail(chat.error());
      handle->chat = std::make_unique<aae::ChatEngine>(std::move(chat).value());
    } else {
      handle->chat_unavailable = conv.error();
      handle->plain = std::make_unique<aae::Engine>(std::move(engine).value());
    }
    *out_engine = handle.release();
    return AAE_OK;
  });
}

void aae_engine_free(aae_engine* engine) { delete engine; }

void aae_generate_default_params(const aae_engine* engine, aae_generate_params* params) {
  if (params == nullptr) return;
  aae::SamplingParams sampling;  // temperature 1, top_p 1, penalty 1
  if (engine != nullptr) sampling = engine->engine().default_sampling();
  params->max_tokens = 256;
  params->temperature = static_cast<float>(sampling.temperature);
  params->top_p = static_cast<float>(sampling.top_p);
  params->top_k = 0;
  params->repetition_penalty = static_cast<float>(sampling.repetition_penalty);
  params->seed = 0;
  params->add_bos = 1;
}

aae_status aae_engine_generate(aae_engine* engine, const char* prompt,
                               const aae_generate_params* params, aae_text_callback callback,
                               void* user, int32_t* n_generated) {
  if (n_generated != nullptr) *n_generated = 0;
  if (engine == nullptr) return fail(AAE_ERR_INVALID_ARGUMENT, "engine is NULL");
  if (prompt == nullptr) return fail(AAE_ERR_INVALID_ARGUMENT, "prompt is NULL");
  return guarded([&] {
    aae_generate_params defaults;
    if (params == nullptr) {
      aae_generate_default_params(engine, &defaults);
      params = &defaults;
    }
    aae::GenerateOptions options;
    options.max_tokens = params->max_tokens;
    options.sampling.temperature = params->temperature;
    options.sampling.top_p = params->top_p;
    options.sampling.top_k = params->top_k;
    options.sampling.repetition_penalty = params->repetition_penalty;
    options.sampling.seed = params->seed;
    options.add_bos = params->add_bos != 0;
    aae::TextCallback on_text;
    if (callback != nullptr) {
      on_text = [callback, user](std::string_view text) {
        return callback(user, text.data(), text.size()) == 0;
      };
    }
    auto result = engine->engine().generate(prompt, options, on_text);
    if (!result.ok()) return fail(result.error());
    if (n_generated != nullptr) *n_generated = static_cast<int32_t>(result->generated_tokens);
    if (result->stop_reason == aae::StopReason::kCancelled)
      return fail(AAE_ERR_CANCELLED, "generation cancelled by the text callback");
    return AAE_OK;
  });
}

}  // extern "C"
