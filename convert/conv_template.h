// MLC LLM's built-in conversation templates (python/mlc_llm/conversation_template), as the
// JSON objects gen_config embeds under "conv_template" of the chat config. Field order is
// MLC's Conversation order: name, system_template, system_message, system_prefix_token_ids,
// add_role_after_system_message, roles, role_templates, messages, seps, role_content_sep,
// role_empty_sep, stop_str, stop_token_ids, function_string, use_function_calling.
// Values: mlc-model-params.md §5.1; docs/gen_config.md lists them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/base/status.h"

namespace aae {

// The template named `name` (exact match). Unknown names are an error whose hint suggests the
// closest names and lists every template.
Result<nlohmann::ordered_json> find_conv_template(std::string_view name);

// Every built-in template name, in table order.
std::vector<std::string> conv_template_names();

}  // namespace aae
