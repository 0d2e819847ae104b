// The response bodies of chat completions (OpenAI's chat.completion, chat.completion.chunk and
// error objects), written with the runtime's JSON writer.
#include <cctype>
#include <string>

#include "runtime/base/json_write.h"
#include "runtime/chat/chat_completion.h"

namespace aae {
namespace {

void write_usage(json::Writer& w, const ChatUsage& usage) {
  w.key("usage").begin_object();
  w.key("prompt_tokens").integer(usage.prompt_tokens);
  w.key("completion_tokens").integer(usage.completion_tokens);
  w.key("total_tokens").integer(usage.prompt_tokens + usage.completion_tokens);
  w.key("prompt_tokens_details").begin_object();
  w.key("cached_tokens").integer(usage.cached_prompt_tokens);
  w.end_object();
  // Not OpenAI's: what this request ran through prefill (prompt_tokens - cached_tokens).
  w.key("prefilled_tokens").integer(usage.prefilled_tokens);
  w.end_object();
}

void write_header(json::Writer& w, const ChatCompletion& c, const char* object) {
  w.key("id").string(c.id);
  w.key("object").string(object);
  w.key("created").integer(c.created);
  w.key("model").string(c.model);
}

// The JSON path an error message starts with ("messages[1].role: ..."), else "".
std::string leading_json_path(const std::string& message) {
  const size_t colon = message.find(": ");
  if (colon == std::string::npos || colon == 0) return {};
  const std::string head = message.substr(0, colon);
  if (!std::isalpha(static_cast<unsigned char>(head[0])) && head[0] != '_') return {};
  for (const char c : head) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '_' && c != '.' && c != '[' && c != ']') return {};
  }
  return head;
}

}  // namespace

const char* finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kCancelled: return "cancelled";
  }
  return "stop";
}

std::string chat_completion_json(const ChatCompletion& c) {
  json::Writer w;
  w.begin_object();
  write_header(w, c, "chat.completion");
  w.key("choices").begin_array().begin_object();
  w.key("index").integer(0);
  w.key("message").begin_object();
  w.key("role").string("assistant");
  w.key("content").string(c.content);
  w.end_object();
  w.key("logprobs").null();
  w.key("finish_reason").string(finish_reason_name(c.finish_reason));
  w.end_object().end_array();
  write_usage(w, c.usage);
  w.end_object();
  return w.take();
}

std::string chat_completion_chunk_json(const ChatCompletion& header, std::string_view delta,
                                       const std::optional<FinishReason>& finish) {
  json::Writer w;
  w.begin_object();
  write_header(w, header, "chat.completion.chunk");
  w.key("choices").begin_array().begin_object();
  w.key("index").integer(0);
  w.key("delta").begin_object();
  if (!finish) {
    w.key("role").string("assistant");
    w.key("content").string(delta);
  }
  w.end_object();
  w.key("logprobs").null();
  if (finish) {
    w.key("finish_reason").string(finish_reason_name(*finish));
  } else {
    w.key("finish_reason").null();
  }
  w.end_object().end_array();
  if (finish) write_usage(w, header.usage);
  w.end_object();
  return w.take();
}

std::string openai_error_json(const Error& error) {
  const bool invalid_request = error.code() == ErrorCode::kInvalidArgument ||
                               error.code() == ErrorCode::kContextOverflow;
  std::string message = error.to_string();
  if (!error.hint().empty()) message += " (hint: " + error.hint() + ")";
  const std::string param = leading_json_path(error.message());
  json::Writer w;
  w.begin_object().key("error").begin_object();
  w.key("message").string(message);
  w.key("type").string(invalid_request ? "invalid_request_error" : "server_error");
  if (param.empty()) {
    w.key("param").null();
  } else {
    w.key("param").string(param);
  }
  if (error.code() == ErrorCode::kContextOverflow) {
    w.key("code").string("context_length_exceeded");
  } else {
    w.key("code").null();
  }
  w.end_object().end_object();
  return w.take();
}

}  // namespace aae
