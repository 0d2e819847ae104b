#include "tools/sphere_aae/serve_completion.h"

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

namespace aae::cli {
namespace {

constexpr const char* kJsonType = "application/json";

void respond_error(httplib::Response& response, const Error& error) {
  response.status = http_status_for(error);
  response.set_content(openai_error_json(error), kJsonType);
}

std::string sse_event(std::string_view data) {
  std::string event = "data: ";
  event.append(data);
  event += "\n\n";
  return event;
}

// One streamed request: a worker thread runs ChatEngine::complete() under the engine mutex and
// queues SSE events; the HTTP thread (the content provider) writes them out. Owned through
// shared_ptr by the handler, the provider and the releaser, all on HTTP threads; the worker
// only borrows it, and the destructor joins the worker.
class CompletionStream {
 public:
  CompletionStream(ServeContext& context, ChatCompletionRequest request)
      : context_(context) {
    worker_ = std::thread([this, request = std::move(request)] { run(request); });
  }
  ~CompletionStream() {
    cancel();
    if (worker_.joinable()) worker_.join();
  }

  // Blocks until there is text to send or the request ended; returns the request's error
  // when it failed before producing any text.
  std::optional<Error> wait_for_start() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return !events_.empty() || finished_; });
    if (events_.empty() && error_) return error_;
    return std::nullopt;
  }

  // Writes queued events until the request ends; false when the client went away.
  bool pump(httplib::DataSink& sink) {
    for (;;) {
      std::deque<std::string> batch;
      bool finished = false;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return !events_.empty() || finished_; });
        batch.swap(events_);
        finished = finished_;
      }
      for (const std::string& event : batch) {
        if (!sink.write(event.data(), event.size())) {
          std::fprintf(stderr, "client disconnected: cancelling its stream\n");
          cancel();
          return false;
        }
      }
      if (finished) {
        sink.done();
        return true;
      }
    }
  }

  // Cancels the request. ChatEngine::cancel() reaches only the request running at that moment
  // and complete() clears it when it starts, so the flag is also checked by the worker before
  // it starts and at every delta. `running_` is true only while the worker holds the engine
  // mutex, so the engine's running request is then this one.
  void cancel() {
    std::lock_guard<std::mutex> lock(mutex_);
    cancelled_ = true;
    if (running_) context_.engine->cancel();
  }

 private:
  void push(std::string event) {
    std::lock_guard<std::mutex> lock(mutex_);
    events_.push_back(std::move(event));
    produced_text_ = true;
    if (cancelled_) context_.engine->cancel();  // a cancel() that came before complete() began
    changed_.notify_all();
  }

  void run(const ChatCompletionRequest& request) {
    std::lock_guard<std::mutex> engine_lock(context_.engine_mutex);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cancelled_) {  // the client left while this request waited for the engine
        finished_ = true;
        changed_.notify_all();
        return;
      }
      running_ = true;
    }
    ChatEngine& engine = *context_.engine;
    auto on_delta = [&](std::string_view delta) {
      push(sse_event(chat_completion_chunk_json(engine.running_completion(), delta,
                                                std::nullopt)));
    };
    Result<ChatCompletion> result = engine.complete(request, on_delta);
    std::lock_guard<std::mutex> lock(mutex_);
    if (result.ok()) {
      events_.push_back(
          sse_event(chat_completion_chunk_json(*result, "", result->finish_reason)));
      events_.push_back(sse_event("[DONE]"));
    } else {
      error_ = std::move(result).error();
      // Only seen by a client that already got text: the status line is long gone, so the
      // error goes in the stream (and to the log).
      if (produced_text_) {
        std::fprintf(stderr, "stream ended by an error: %s\n", error_->to_string().c_str());
        events_.push_back(sse_event(openai_error_json(*error_)));
      }
    }
    running_ = false;
    finished_ = true;
    changed_.notify_all();
  }

  ServeContext& context_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> events_;
  bool finished_ = false;
  bool running_ = false;    // the worker holds the engine mutex and runs complete()
  bool cancelled_ = false;  // the client went away (or the server is stopping)
  bool produced_text_ = false;  // a delta was queued: the response is a 200 stream
  std::optional<Error> error_;
  std::thread worker_;  // last: started after every other member exists
};

void stream_completion(ServeContext& context, ChatCompletionRequest request,
                       httplib::Response& response) {
  auto stream = std::make_shared<CompletionStream>(context, std::move(request));
  if (std::optional<Error> error = stream->wait_for_start()) {
    respond_error(response, *error);
    return;
  }
  response.set_header("Cache-Control", "no-cache");
  response.set_chunked_content_provider(
      "text/event-stream",
      [stream](size_t /*offset*/, httplib::DataSink& sink) { return stream->pump(sink); },
      [stream](bool success) {
        if (!success) stream->cancel();
      });
}

}  // namespace

int http_status_for(const Error& error) {
  switch (error.code()) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kContextOverflow:
      return 400;
    default:
      return 500;
  }
}

void handle_chat_completion(ServeContext& context, const httplib::Request& request,
                            httplib::Response& response) {
  Result<ChatCompletionRequest> parsed = parse_chat_completion_request(request.body);
  if (!parsed.ok()) {
    respond_error(response, parsed.error());
    return;
  }
  ChatCompletionRequest chat_request = std::move(parsed).value();
  // One model is served, whatever name the client uses for it (clients often send a fixed
  // one); responses name the served model.
  chat_request.model = context.model_id;
  if (chat_request.stream) {
    stream_completion(context, std::move(chat_request), response);
    return;
  }
  std::lock_guard<std::mutex> engine_lock(context.engine_mutex);
  Result<ChatCompletion> completion = context.engine->complete(chat_request);
  if (!completion.ok()) {
    respond_error(response, completion.error());
    return;
  }
  response.set_content(chat_completion_json(*completion), kJsonType);
}

}  // namespace aae::cli
