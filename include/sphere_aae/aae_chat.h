/* Chat completions on an engine, OpenAI-style: the request and every response are JSON text in
 * the format of OpenAI's /v1/chat/completions, so apps reuse their existing client models.
 *
 *   const char* req = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}";
 *   char* response = NULL;
 *   aae_status s = aae_chat_completion(engine, req, on_chunk, user, &response);
 *   ... response holds a "chat.completion" object, or an {"error": ...} object ...
 *   aae_string_free(response);
 *
 * The conversation prompt is built with the model's conv_template (its chat config). Each
 * request carries the whole conversation; the engine reuses the KV cache of the prefix it
 * already holds, so a multi-turn chat prefills only the new turn.
 */
#ifndef SPHERE_AAE_AAE_CHAT_H_
#define SPHERE_AAE_AAE_CHAT_H_

#include <stddef.h>

#include "sphere_aae/aae.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Receives one "chat.completion.chunk" JSON object per piece of streamed text, then a last one
 * with finish_reason and usage. `chunk_json` is NUL-terminated (length excludes the NUL) and
 * only valid during the call. Called only when the request has "stream": true. */
typedef void (*aae_chat_chunk_callback)(void* user, const char* chunk_json, size_t length);

/* Runs one request on `engine` (calls on one engine must not overlap; see aae_engine_cancel).
 * *out_response_json (required) receives, to free with aae_string_free:
 *   - on AAE_OK: the "chat.completion" object (whole text, finish_reason "stop", "length" or
 *     "cancelled", usage with prompt_tokens_details.cached_tokens), also when streamed;
 *   - on an error: an OpenAI error object {"error": {"message", "type", "param", "code"}};
 *     AAE_ERR_INVALID_ARGUMENT for a malformed request, AAE_ERR_CONTEXT_OVERFLOW for a prompt
 *     longer than the context window. aae_last_error() holds the message too. */
aae_status aae_chat_completion(aae_engine* engine, const char* request_json,
                               aae_chat_chunk_callback callback, void* user,
                               char** out_response_json);

/* Thread-safe: the request running on `engine` stops before its next token and returns
 * AAE_OK with finish_reason "cancelled". No effect when none is running. */
void aae_engine_cancel(aae_engine* engine);

/* Forgets the conversation the engine's KV cache holds (the next request prefills it all). */
aae_status aae_engine_reset_chat(aae_engine* engine);

/* Frees a string the library returned. NULL is fine. */
void aae_string_free(char* text);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SPHERE_AAE_AAE_CHAT_H_ */
