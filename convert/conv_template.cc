// The conversation template table. Each entry lists only what differs from MLC's Conversation
// defaults (system_template "{system_message}", empty strings, no prefix tokens, role after
// the system message, the standard role_templates).
#include "convert/conv_template.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include <fmt/format.h>

namespace aae {
namespace {

using Json = nlohmann::ordered_json;

struct TemplateSpec {
  const char* name;
  const char* system_template;
  const char* system_message;
  std::optional<std::vector<int64_t>> system_prefix_token_ids;
  bool add_role_after_system_message;
  std::vector<std::pair<const char*, const char*>> roles;  // in MLC's order
  std::vector<const char*> seps;                           // one or two
  const char* role_content_sep;
  const char* role_empty_sep;
  std::vector<const char*> stop_str;
  std::vector<int64_t> stop_token_ids;
};

constexpr const char* kLlama3System = "<|start_header_id|>system<|end_header_id|>\n\n"
                                      "{system_message}<|eot_id|>";
constexpr const char* kChatmlSystem = "<|im_start|>system\n{system_message}<|im_end|>\n";
constexpr const char* kPhiSystemMessage =
    "You are a helpful digital assistant. Please provide safe, ethical and accurate "
    "information to the user.";

const std::vector<TemplateSpec>& table() {
  static const std::vector<TemplateSpec> templates = {
      {"llama-2", "[INST] <<SYS>>\n{system_message}\n<</SYS>>\n\n",
       "You are a helpful, respectful and honest assistant.", std::vector<int64_t>{1}, false,
       {{"user", "<s>[INST]"}, {"assistant", "[/INST]"}, {"tool", "[INST]"}},
       {" ", " </s>"}, " ", " ", {"[INST]"}, {2}},
      {"llama-3", kLlama3System, "You are a helpful, respectful and honest assistant.",
       std::vector<int64_t>{128000}, true,
       {{"user", "<|start_header_id|>user"}, {"assistant", "<|start_header_id|>assistant"}},
       {"<|eot_id|>"}, "<|end_header_id|>\n\n", "<|end_header_id|>\n\n",
       {"<|end_of_text|>", "<|eot_id|>"}, {128001, 128009}},
      {"llama-3_1", kLlama3System, "You are a helpful, respectful and honest assistant.",
       std::vector<int64_t>{128000}, true,
       {{"user", "<|start_header_id|>user"},
        {"assistant", "<|start_header_id|>assistant"},
        {"tool", "<|start_header_id|>ipython"}},
       {"<|eot_id|>"}, "<|end_header_id|>\n\n", "<|end_header_id|>\n\n", {},
       {128001, 128008, 128009}},
      {"llama-4", "", "", std::vector<int64_t>{200000}, false,
       {{"user", "<|header_start|>user"},
        {"assistant", "<|header_start|>assistant"},
        {"tool", "<|header_start|>ipython"}},
       {"<|eot|>"}, "<|header_end|>\n\n", "<|header_end|>\n\n", {}, {200001, 200007, 200008}},
      {"mistral_default", "[INST] {system_message}",
       "Always assist with care, respect, and truth. Respond with utmost utility yet securely. "
       "Avoid harmful, unethical, prejudiced, or negative content. Ensure replies promote "
       "fairness and positivity.",
       std::vector<int64_t>{1}, false,
       {{"user", "[INST]"}, {"assistant", "[/INST]"}, {"tool", "[INST]"}},
       {" "}, " ", "", {"</s>"}, {2}},
      {"qwen2", kChatmlSystem, "You are a helpful assistant.", std::nullopt, true,
       {{"user", "<|im_start|>user"}, {"assistant", "<|im_start|>assistant"}},
       {"<|im_end|>\n"}, "\n", "\n", {"<|endoftext|>", "<|im_end|>"}, {151643, 151645}},
      {"chatml", kChatmlSystem,
       "A conversation between a user and an LLM-based AI assistant. The assistant gives "
       "helpful and honest answers.",
       std::nullopt, true,
       {{"user", "<|im_start|>user"}, {"assistant", "<|im_start|>assistant"}},
       {"<|im_end|>\n"}, "\n", "\n", {"<|im_end|>"}, {2}},
      {"chatml_nosystem", "{system_message}", "", std::nullopt, true,
       {{"user", "<|im_start|>user"}, {"assistant", "<|im_start|>assistant"}},
       {"<|im_end|>\n"}, "\n", "\n", {"<|im_end|>"}, {2}},
      {"gemma_instruction", "{system_message}", "", std::vector<int64_t>{2}, true,
       {{"user", "<start_of_turn>user"}, {"assistant", "<start_of_turn>model"}},
       {"<end_of_turn>\n"}, "\n", "\n", {"<end_of_turn>"}, {1, 107}},
      {"gemma3_instruction", "{system_message}", "", std::vector<int64_t>{2}, true,
       {{"user", "<start_of_turn>user"}, {"assistant", "<start_of_turn>model"}},
       {"<end_of_turn>\n"}, "\n", "\n", {"<end_of_turn>"}, {1, 106}},
      {"phi-3", "<|system|>\n{system_message}", kPhiSystemMessage, std::vector<int64_t>{1}, true,
       {{"user", "<|user|>"}, {"assistant", "<|assistant|>"}},
       {"<|end|>\n"}, "\n", "\n", {"<|endoftext|>"}, {2, 32000, 32001, 32007}},
      {"phi-4", "<|system|>\n{system_message}", kPhiSystemMessage, std::vector<int64_t>{200022},
       true, {{"user", "<|user|>"}, {"assistant", "<|assistant|>"}},
       {"<|end|>\n"}, "\n", "\n", {"<|endoftext|>", "<|end|>"}, {199999, 200020}},
      // MLC's default for phi (Phi-2): a bare system message, "Instruct: ..." / "Output: ...".
      {"phi-2", "{system_message}", "", std::nullopt, true,
       {{"user", "Instruct"}, {"assistant", "Output"}},
       {"\n"}, ": ", ":", {"<|endoftext|>"}, {50256}},
      // MLC's RedPajama-INCITE-Chat template: "<human>: ..." / "<bot>: ...", stop at "<human>".
      {"redpajama_chat", "{system_message}", "", std::nullopt, true,
       {{"user", "<human>"}, {"assistant", "<bot>"}},
       {"\n"}, ": ", ":", {"<human>"}, {0}},
  };
  return templates;
}

Json to_json(const TemplateSpec& spec) {
  Json roles = Json::object();
  for (const auto& [role, text] : spec.roles) roles[role] = text;
  Json out = Json::object();
  out["name"] = spec.name;
  out["system_template"] = spec.system_template;
  out["system_message"] = spec.system_message;
  out["system_prefix_token_ids"] =
      spec.system_prefix_token_ids ? Json(*spec.system_prefix_token_ids) : Json(nullptr);
  out["add_role_after_system_message"] = spec.add_role_after_system_message;
  out["roles"] = std::move(roles);
  out["role_templates"] = Json{{"user", "{user_message}"},
                               {"assistant", "{assistant_message}"},
                               {"tool", "{tool_message}"}};
  out["messages"] = Json::array();
  out["seps"] = Json::array();
  for (const char* sep : spec.seps) out["seps"].push_back(sep);
  out["role_content_sep"] = spec.role_content_sep;
  out["role_empty_sep"] = spec.role_empty_sep;
  out["stop_str"] = Json::array();
  for (const char* stop : spec.stop_str) out["stop_str"].push_back(stop);
  out["stop_token_ids"] = spec.stop_token_ids;
  out["function_string"] = "";
  out["use_function_calling"] = false;
  return out;
}

// Levenshtein distance, for suggesting a template name.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::vector<std::string> conv_template_names() {
  std::vector<std::string> names;
  for (const auto& spec : table()) names.emplace_back(spec.name);
  return names;
}

Result<nlohmann::ordered_json> find_conv_template(std::string_view name) {
  for (const auto& spec : table()) {
    if (name == spec.name) return to_json(spec);
  }
  // Suggest the names at the smallest edit distance (at most 2), else those sharing the first
  // four characters (e.g. "llama" -> the llama templates).
  const std::string wanted = lowercase(name);
  std::vector<std::string> close;
  size_t best = 3;
  for (const auto& candidate : conv_template_names()) {
    const size_t distance = edit_distance(wanted, lowercase(candidate));
    if (distance < best) {
      best = distance;
      close.clear();
    }
    if (distance == best) close.push_back(candidate);
  }
  if (close.empty() && wanted.size() >= 4) {
    for (const auto& candidate : conv_template_names()) {
      if (lowercase(candidate).rfind(wanted.substr(0, 4), 0) == 0) close.push_back(candidate);
    }
  }
  std::string hint =
      close.empty() ? "" : fmt::format("did you mean {}? ", fmt::join(close, " or "));
  hint += fmt::format("built-in templates: {}", fmt::join(conv_template_names(), ", "));
  return Error(fmt::format("unknown conversation template \"{}\"", name), std::move(hint));
}

}  // namespace aae
