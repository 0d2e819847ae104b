// Reading a chat config's conv_template object and assembling MLC's prompt string from it
// (mlc-model-params.md §5.2).
#include "runtime/chat/conv_template.h"

#include <limits>
#include <utility>

namespace aae {
namespace {

constexpr const char* kSystemPlaceholder = "{system_message}";
constexpr const char* kFunctionPlaceholder = "{function_string}";

Error type_error(const std::string& path, const char* expected, const json::Value& found) {
  return Error(path + ": expected " + expected + ", found " + json::type_name(found.type()));
}

// `key` absent or null: `fallback`. Otherwise an array of strings.
Result<std::vector<std::string>> read_string_array(const json::ObjectReader& object,
                                                   std::string_view key,
                                                   std::vector<std::string> fallback) {
  const json::Value* value = object.find(key);
  if (value == nullptr || value->is_null()) return fallback;
  const std::string path = object.child_path(key);
  if (!value->is_array()) return type_error(path, "an array of strings", *value);
  std::vector<std::string> out;
  const auto& items = value->as_array();
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_string()) {
      return type_error(path + "[" + std::to_string(i) + "]", "a string", items[i]);
    }
    out.push_back(items[i].as_string());
  }
  return out;
}

// `key` absent or null: empty. Otherwise an array of integers that fit int32 (token ids).
Result<std::vector<int32_t>> read_token_ids(const json::ObjectReader& object,
                                            std::string_view key) {
  const json::Value* value = object.find(key);
  if (value == nullptr || value->is_null()) return std::vector<int32_t>{};
  const std::string path = object.child_path(key);
  if (!value->is_array()) return type_error(path, "an array of token ids", *value);
  std::vector<int32_t> out;
  const auto& items = value->as_array();
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string item_path = path + "[" + std::to_string(i) + "]";
    if (!items[i].is_integer()) return type_error(item_path, "an integer", items[i]);
    const int64_t id = items[i].as_int64();
    if (id < 0 || id > std::numeric_limits<int32_t>::max()) {
      return Error(item_path + ": token id " + std::to_string(id) + " is out of range",
                   "token ids are between 0 and 2^31 - 1");
    }
    out.push_back(static_cast<int32_t>(id));
  }
  return out;
}

// An object of string values merged over `fallback` (absent or null: `fallback` unchanged).
Result<std::map<std::string, std::string>> read_string_map(
    const json::ObjectReader& object, std::string_view key,
    std::map<std::string, std::string> fallback) {
  const json::Value* value = object.find(key);
  if (value == nullptr || value->is_null()) return fallback;
  const std::string path = object.child_path(key);
  if (!value->is_object()) return type_error(path, "an object of strings", *value);
  for (const auto& [name, text] : value->as_object()) {
    if (!text.is_string()) return type_error(path + "." + name, "a string", text);
    fallback[name] = text.as_string();
  }
  return fallback;
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
    text.replace(at, from.size(), to);
    at += to.size();
  }
}

std::string role_list(const std::map<std::string, std::string>& roles) {
  std::string out;
  for (const auto& [role, unused] : roles) out += (out.empty() ? "" : ", ") + role;
  return out.empty() ? "(none)" : out;
}

}  // namespace

std::map<std::string, std::string> default_role_templates() {
  return {{"user", "{user_message}"},
          {"assistant", "{assistant_message}"},
          {"tool", "{tool_message}"}};
}

Result<ConvTemplate> parse_conv_template(const json::Value& value, const std::string& path) {
  if (value.is_string()) {
    return Error(path + ": the template is the bare name \"" + value.as_string() +
                     "\"; this runtime needs the template object",
                 "re-run `sphere_aae gen_config` (or MLC's gen_config) to write the full "
                 "conv_template into the chat config");
  }
  if (value.is_null()) {
    return Error(path + ": missing; the chat config has no conversation template",
                 "re-run `sphere_aae gen_config --conv-template <name>`");
  }
  AAE_ASSIGN_OR_RETURN(json::ObjectReader object, json::ObjectReader::make(value, path));
  ConvTemplate conv;
  AAE_ASSIGN_OR_RETURN(conv.name, object.get_string_or("name", ""));
  AAE_ASSIGN_OR_RETURN(conv.system_template,
                       object.get_string_or("system_template", kSystemPlaceholder));
  AAE_ASSIGN_OR_RETURN(conv.system_message, object.get_string_or("system_message", ""));
  AAE_ASSIGN_OR_RETURN(conv.system_prefix_token_ids,
                       read_token_ids(object, "system_prefix_token_ids"));
  AAE_ASSIGN_OR_RETURN(conv.add_role_after_system_message,
                       object.get_bool_or("add_role_after_system_message", true));

  // roles and seps have no default in MLC's Conversation: a template without them is broken.
  AAE_ASSIGN_OR_RETURN(const json::Value* roles_value, object.get_object("roles"));
  (void)roles_value;
  AAE_ASSIGN_OR_RETURN(conv.roles, read_string_map(object, "roles", {}));
  AAE_ASSIGN_OR_RETURN(conv.role_templates,
                       read_string_map(object, "role_templates", default_role_templates()));
  AAE_ASSIGN_OR_RETURN(const json::Value* seps_value, object.get_array("seps"));
  (void)seps_value;
  AAE_ASSIGN_OR_RETURN(conv.seps, read_string_array(object, "seps", {}));
  if (conv.seps.empty()) {
    return Error(object.child_path("seps") + ": expected one or two separators, found none",
                 "seps[0] follows user/tool messages, seps[1] (or seps[0]) assistant ones");
  }
  AAE_ASSIGN_OR_RETURN(conv.role_content_sep, object.get_string_or("role_content_sep", ""));
  AAE_ASSIGN_OR_RETURN(conv.role_empty_sep, object.get_string_or("role_empty_sep", ""));
  AAE_ASSIGN_OR_RETURN(conv.stop_str, read_string_array(object, "stop_str", {}));
  AAE_ASSIGN_OR_RETURN(conv.stop_token_ids, read_token_ids(object, "stop_token_ids"));
  return conv;
}

Result<ChatPrompt> build_chat_prompt(const ConvTemplate& conv,
                                     std::span<const ChatMessage> messages) {
  // Step 1: system messages (anywhere in the list) replace the default system_message and are
  // concatenated in order; the rest keep their order and their index for error messages.
  bool has_system = false;
  std::string system_message;
  std::vector<size_t> turns;  // indexes into `messages` of the non-system messages
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage& message = messages[i];
    if (message.role == "system") {
      has_system = true;
      system_message += message.content;
      continue;
    }
    if (conv.roles.find(message.role) == conv.roles.end()) {
      return Error("messages[" + std::to_string(i) + "].role: unknown role \"" + message.role +
                   "\"; this template has: " + role_list(conv.roles))
          .with_code(ErrorCode::kInvalidArgument);
    }
    turns.push_back(i);
  }
  if (!has_system) system_message = conv.system_message;
  if (conv.roles.find("assistant") == conv.roles.end()) {
    return Error("conv_template.roles: no \"assistant\" role to open the reply with",
                 "the chat config's conv_template is incomplete; re-run gen_config");
  }
  if (conv.seps.empty()) {
    return Error("conv_template.seps: expected one or two separators, found none")
        .with_code(ErrorCode::kInvalidArgument);
  }

  // Step 2: the system text, emitted as-is (its terminator, if any, is inside the template).
  std::string system_text = conv.system_template;
  replace_all(system_text, kSystemPlaceholder, system_message);

  // Steps 3-4: one piece per message, then the open assistant turn.
  const std::string& user_sep = conv.seps[0];
  const std::string& assistant_sep = conv.seps.size() > 1 ? conv.seps[1] : conv.seps[0];
  std::string text = system_text;
  for (size_t turn = 0; turn < turns.size(); ++turn) {
    const ChatMessage& message = messages[turns[turn]];
    const bool content_follows_system =
        turn == 0 && !conv.add_role_after_system_message && !system_text.empty();
    if (!content_follows_system) text += conv.roles.at(message.role) + conv.role_content_sep;
    auto role_template = conv.role_templates.find(message.role);
    if (role_template == conv.role_templates.end()) {
      text += message.content;
    } else {
      std::string body = role_template->second;
      replace_all(body, "{" + message.role + "_message}", message.content);
      text += body;
    }
    text += message.role == "assistant" ? assistant_sep : user_sep;
  }
  text += conv.roles.at("assistant") + conv.role_empty_sep;

  // Step 5: no function calling here, so the function-string placeholder becomes "".
  replace_all(text, kFunctionPlaceholder, "");
  return ChatPrompt{conv.system_prefix_token_ids, std::move(text)};
}

}  // namespace aae
