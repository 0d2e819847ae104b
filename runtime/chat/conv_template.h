// MLC's conversation protocol (mlc-model-params.md §5): the `conv_template` object of a chat
// config, and the prompt it makes of a list of messages. The runtime reads the object stored in
// the model's chat config, never a built-in table, so a model directory converted by MLC's
// tools reads unchanged.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "runtime/base/json.h"
#include "runtime/base/status.h"

namespace aae {

struct ConvTemplate {
  std::string name;
  std::string system_template = "{system_message}";
  std::string system_message;
  std::vector<int32_t> system_prefix_token_ids;  // empty when null
  bool add_role_after_system_message = true;
  std::map<std::string, std::string> roles;           // "user" -> "<|im_start|>user"
  std::map<std::string, std::string> role_templates;  // "user" -> "{user_message}"
  std::vector<std::string> seps;                      // one or two entries
  std::string role_content_sep;
  std::string role_empty_sep;
  std::vector<std::string> stop_str;
  std::vector<int32_t> stop_token_ids;
};

// `value` is the chat config's "conv_template"; `path` names it in errors
// ("mlc-chat-config.json: conv_template.roles.user: expected a string, found number").
// A bare template name (old configs) is an error whose hint says to re-run gen_config.
//
// Absent (or null) fields take MLC's Conversation defaults: system_template
// "{system_message}", empty strings, no prefix tokens, add_role_after_system_message true,
// no stop strings or ids, and default_role_templates() (entries given in the JSON override
// those per role). `roles` and `seps` have no default (MLC requires them); seps must hold at
// least one entry (a third one and beyond are ignored, as MLC does). "messages",
// "function_string" and "use_function_calling" are not read: the request supplies the
// messages, and function calling is not supported (the placeholder becomes "").
Result<ConvTemplate> parse_conv_template(const json::Value& value, const std::string& path);

// {"user": "{user_message}", "assistant": "{assistant_message}", "tool": "{tool_message}"}.
std::map<std::string, std::string> default_role_templates();

struct ChatMessage {
  std::string role;     // "system", "user", "assistant" or "tool"
  std::string content;
};

// What to feed the model: prefix_token_ids, then the tokenizer's encode(text) with
// add_special_tokens = false (special-token text such as <|im_start|> is matched as added
// tokens).
struct ChatPrompt {
  std::vector<int32_t> prefix_token_ids;  // the template's system_prefix_token_ids
  std::string text;
};

// MLC's as_prompt (§5.2): system messages replace the template's system_message (several are
// concatenated in order with nothing between them, as MLC's C++ runtime does — MLC's Python
// keeps only the last; a system message may appear anywhere in the list), the others follow in
// order, and the assistant turn is left open for generation. A role's role_templates entry
// has its "{<role>_message}" placeholder replaced by the content (a role without an entry
// emits the content as-is); "{function_string}" anywhere in the result becomes "". A role the template has no entry for in `roles`
// is a kInvalidArgument error naming the message index ("messages[2].role: unknown role
// \"tool\"; this template has: assistant, user").
Result<ChatPrompt> build_chat_prompt(const ConvTemplate& conv,
                                     std::span<const ChatMessage> messages);

}  // namespace aae
