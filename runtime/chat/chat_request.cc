// parse_chat_completion_request and validate_chat_completion_request: the OpenAI request body,
// read with the runtime's own JSON reader. Error messages start with the JSON path of the bad
// field so openai_error_json can report it as "param".
#include <cmath>
#include <string>

#include "runtime/base/json.h"
#include "runtime/chat/chat_completion.h"

namespace aae {
namespace {

Error invalid(std::string message, std::string hint = {}) {
  return Error(std::move(message), std::move(hint)).with_code(ErrorCode::kInvalidArgument);
}

std::string number_text(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
  std::string s = std::to_string(v);
  while (!s.empty() && s.back() == '0') s.pop_back();
  return s;
}

std::string found(const json::Value& v) {
  if (v.is_number()) return "number " + number_text(v.as_double());
  return json::type_name(v.type());
}

Error type_error(const std::string& path, const char* expected, const json::Value& v) {
  return invalid(path + ": expected " + expected + ", found " + found(v));
}

// A member that is present and not null, else nullptr.
const json::Value* member(const json::Value& root, std::string_view key) {
  const json::Value* v = root.find(key);
  return v == nullptr || v->is_null() ? nullptr : v;
}

Result<std::optional<double>> optional_number(const json::Value& root, const char* key) {
  const json::Value* v = member(root, key);
  if (v == nullptr) return std::optional<double>();
  if (!v->is_number()) return type_error(key, "a number", *v);
  return std::optional<double>(v->as_double());
}

// An integer literal, or a number with an integral value (4.0 from a float-minded client).
Result<std::optional<int64_t>> optional_integer(const json::Value& root, const char* key) {
  const json::Value* v = member(root, key);
  if (v == nullptr) return std::optional<int64_t>();
  if (v->is_integer()) return std::optional<int64_t>(v->as_int64());
  if (v->is_number() && v->as_double() == std::floor(v->as_double()) &&
      std::fabs(v->as_double()) <= 9007199254740992.0) {
    return std::optional<int64_t>(static_cast<int64_t>(v->as_double()));
  }
  return type_error(key, "an integer", *v);
}

// "content": a string; null (an assistant turn that only called tools) is ""; an array of
// parts keeps the text of its {"type": "text", "text": ...} parts, concatenated.
Result<std::string> message_content(const json::Value& message, const std::string& path) {
  const json::Value* content = member(message, "content");
  if (content == nullptr) return std::string();
  if (content->is_string()) return content->as_string();
  if (!content->is_array()) {
    return type_error(path, "a string or an array of text parts", *content);
  }
  std::string text;
  const auto& parts = content->as_array();
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string part_path = path + "[" + std::to_string(i) + "]";
    const json::Value* type = parts[i].find("type");
    const json::Value* part_text = parts[i].find("text");
    if (!parts[i].is_object() || type == nullptr || !type->is_string() ||
        type->as_string() != "text" || part_text == nullptr || !part_text->is_string()) {
      return invalid(part_path + ": only {\"type\": \"text\", \"text\": ...} parts are supported",
                     "this runtime runs text-only models");
    }
    text += part_text->as_string();
  }
  return text;
}

Result<std::vector<ChatMessage>> parse_messages(const json::Value& root) {
  const json::Value* messages = root.find("messages");
  if (messages == nullptr) {
    return invalid("messages: missing required field",
                   "send \"messages\": [{\"role\": \"user\", \"content\": \"...\"}]");
  }
  if (!messages->is_array()) return type_error("messages", "an array", *messages);
  std::vector<ChatMessage> out;
  const auto& items = messages->as_array();
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string path = "messages[" + std::to_string(i) + "]";
    if (!items[i].is_object()) return type_error(path, "an object", items[i]);
    const json::Value* role = items[i].find("role");
    if (role == nullptr) return invalid(path + ".role: missing required field");
    if (!role->is_string()) return type_error(path + ".role", "a string", *role);
    const std::string& name = role->as_string();
    if (name != "system" && name != "user" && name != "assistant" && name != "tool") {
      return invalid(path + ".role: unknown role \"" + name +
                     "\"; expected system, user, assistant or tool");
    }
    ChatMessage message;
    message.role = name;
    AAE_ASSIGN_OR_RETURN(message.content, message_content(items[i], path + ".content"));
    out.push_back(std::move(message));
  }
  return out;
}

Result<std::vector<std::string>> parse_stop(const json::Value& root) {
  std::vector<std::string> stops;
  const json::Value* stop = member(root, "stop");
  if (stop == nullptr) return stops;
  if (stop->is_string()) {
    stops.push_back(stop->as_string());
    return stops;
  }
  if (!stop->is_array()) return type_error("stop", "a string or an array of strings", *stop);
  const auto& items = stop->as_array();
  if (items.size() > 4) {
    return invalid("stop: at most 4 stop strings, found " + std::to_string(items.size()));
  }
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_string()) {
      return type_error("stop[" + std::to_string(i) + "]", "a string", items[i]);
    }
    stops.push_back(items[i].as_string());
  }
  return stops;
}

Status check_range(const char* key, double v, double low, double high, bool low_open) {
  const bool ok = (low_open ? v > low : v >= low) && v <= high;
  if (ok) return ok_status();
  return invalid(std::string(key) + ": must be in " + (low_open ? "(" : "[") + number_text(low) +
                 ", " + number_text(high) + "], found " + number_text(v));
}

}  // namespace

Status validate_chat_completion_request(const ChatCompletionRequest& r) {
  if (r.messages.empty()) {
    return invalid("messages: must hold at least one message",
                   "send \"messages\": [{\"role\": \"user\", \"content\": \"...\"}]");
  }
  if (r.max_tokens && *r.max_tokens < 0) {
    return invalid("max_tokens: must be >= 0, found " + std::to_string(*r.max_tokens));
  }
  if (r.temperature) AAE_TRY(check_range("temperature", *r.temperature, 0, 2, false));
  if (r.top_p) AAE_TRY(check_range("top_p", *r.top_p, 0, 1, true));
  AAE_TRY(check_range("frequency_penalty", r.frequency_penalty, -2, 2, false));
  AAE_TRY(check_range("presence_penalty", r.presence_penalty, -2, 2, false));
  return ok_status();
}

Result<ChatCompletionRequest> parse_chat_completion_request(std::string_view json_text) {
  auto parsed = json::parse(json_text);
  if (!parsed.ok()) {
    return invalid("the request body is not valid JSON: " + parsed.error().to_string());
  }
  const json::Value& root = *parsed;
  if (!root.is_object()) {
    return invalid(std::string("the request body must be a JSON object, found ") +
                   json::type_name(root.type()));
  }
  ChatCompletionRequest r;
  if (const json::Value* model = member(root, "model")) {
    if (!model->is_string()) return type_error("model", "a string", *model);
    r.model = model->as_string();
  }
  AAE_ASSIGN_OR_RETURN(r.messages, parse_messages(root));
  AAE_ASSIGN_OR_RETURN(r.temperature, optional_number(root, "temperature"));
  AAE_ASSIGN_OR_RETURN(r.top_p, optional_number(root, "top_p"));
  AAE_ASSIGN_OR_RETURN(r.max_tokens, optional_integer(root, "max_tokens"));
  if (!r.max_tokens) {  // the newer name for the same limit
    AAE_ASSIGN_OR_RETURN(r.max_tokens, optional_integer(root, "max_completion_tokens"));
  }
  AAE_ASSIGN_OR_RETURN(const std::optional<int64_t> n, optional_integer(root, "n"));
  if (n && *n != 1) {
    return invalid("n: only one choice per request is supported, found " + std::to_string(*n),
                   "send several requests instead");
  }
  AAE_ASSIGN_OR_RETURN(r.stop, parse_stop(root));
  AAE_ASSIGN_OR_RETURN(const std::optional<int64_t> seed, optional_integer(root, "seed"));
  if (seed) r.seed = static_cast<uint64_t>(*seed);
  if (const json::Value* stream = member(root, "stream")) {
    if (!stream->is_bool()) return type_error("stream", "a boolean", *stream);
    r.stream = stream->as_bool();
  }
  AAE_ASSIGN_OR_RETURN(const std::optional<double> frequency,
                       optional_number(root, "frequency_penalty"));
  AAE_ASSIGN_OR_RETURN(const std::optional<double> presence,
                       optional_number(root, "presence_penalty"));
  r.frequency_penalty = frequency.value_or(0);
  r.presence_penalty = presence.value_or(0);
  AAE_TRY(validate_chat_completion_request(r));
  return r;
}

}  // namespace aae
