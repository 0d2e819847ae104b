// POST /v1/chat/completions for `sphere_aae serve`: runs the request on the one ChatEngine,
// one request at a time (the engine holds a single sequence; a mutex queues the others).
//
// "stream": false answers with the chat.completion JSON. "stream": true answers with
// Server-Sent Events, one `data: <chat.completion.chunk>\n\n` per piece of text, a final chunk
// with finish_reason and usage, then `data: [DONE]\n\n`. The stream runs on a worker thread and
// the HTTP status is chosen only once the first text exists, so a request that fails before
// generating (unknown role, prompt longer than the context window) still gets a 400 with an
// OpenAI error body. A client that disconnects mid-stream cancels the request.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include <httplib.h>

#include "runtime/chat/chat_completion.h"

namespace aae::cli {

struct ServeContext {
  ChatEngine* engine = nullptr;  // not owned; outlives the server
  std::mutex engine_mutex;       // held for the whole of each request
  std::string model_id;          // /v1/models id; echoed as every response's "model"
  int64_t started_unix = 0;      // /v1/models "created"
};

// HTTP status for an error: 400 for bad requests (kInvalidArgument, kContextOverflow), else 500.
int http_status_for(const Error& error);

void handle_chat_completion(ServeContext& context, const httplib::Request& request,
                            httplib::Response& response);

}  // namespace aae::cli
