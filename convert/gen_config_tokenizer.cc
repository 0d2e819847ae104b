#include "convert/gen_config_tokenizer.h"

#include <set>
#include <string_view>

#include <fmt/format.h>

namespace aae {
namespace {

using Json = nlohmann::json;

std::string type_of(const Json& node) {
  if (!node.is_object()) return {};
  auto it = node.find("type");
  return it != node.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The node itself, or its `list_key` entries when it is a {"type": "Sequence"}.
std::vector<const Json*> members(const Json& node, const char* list_key) {
  std::vector<const Json*> out;
  if (type_of(node) == "Sequence") {
    auto it = node.find(list_key);
    if (it != node.end() && it->is_array()) {
      for (const Json& entry : *it) out.push_back(&entry);
    }
  } else if (node.is_object()) {
    out.push_back(&node);
  }
  return out;
}

bool is_prepend_metaspace(const Json& node) {
  auto it = node.find("prepend");
  return type_of(node) == "Prepend" && it != node.end() && *it == "\xE2\x96\x81";  // U+2581
}

bool is_strip_one_leading_space(const Json& node) {
  if (type_of(node) != "Strip") return false;
  auto content = node.find("content"), start = node.find("start"), stop = node.find("stop");
  return content != node.end() && *content == " " && start != node.end() && *start == 1 &&
         stop != node.end() && *stop == 0;
}

}  // namespace

TokenizerInfo detect_tokenizer_info(const Json& tokenizer_json) {
  TokenizerInfo info;  // byte_fallback, false, false
  if (!tokenizer_json.is_object()) return info;
  if (auto decoder = tokenizer_json.find("decoder"); decoder != tokenizer_json.end()) {
    for (const Json* entry : members(*decoder, "decoders")) {
      const std::string type = type_of(*entry);
      if (type == "ByteLevel") info.token_postproc_method = "byte_level";
      if (type == "ByteFallback") info.token_postproc_method = "byte_fallback";
      if (is_strip_one_leading_space(*entry)) info.strip_space_in_decode = true;
    }
  }
  if (auto normalizer = tokenizer_json.find("normalizer"); normalizer != tokenizer_json.end()) {
    for (const Json* entry : members(*normalizer, "normalizers")) {
      if (is_prepend_metaspace(*entry)) info.prepend_space_in_encode = true;
    }
  }
  return info;
}

nlohmann::ordered_json tokenizer_info_json(const TokenizerInfo& info) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["token_postproc_method"] = info.token_postproc_method;
  out["prepend_space_in_encode"] = info.prepend_space_in_encode;
  out["strip_space_in_decode"] = info.strip_space_in_decode;
  return out;
}

std::optional<int64_t> tokenizer_size(const Json& tokenizer_json) {
  if (!tokenizer_json.is_object()) return std::nullopt;
  auto model = tokenizer_json.find("model");
  if (model == tokenizer_json.end() || !model->is_object()) return std::nullopt;
  auto vocab = model->find("vocab");
  if (vocab == model->end()) return std::nullopt;
  std::set<std::string> tokens;
  if (vocab->is_object()) {
    for (auto it = vocab->begin(); it != vocab->end(); ++it) tokens.insert(it.key());
  } else if (vocab->is_array()) {  // Unigram: [[piece, score], ...]
    for (const Json& entry : *vocab) {
      if (!entry.is_array() || entry.empty() || !entry[0].is_string()) return std::nullopt;
      tokens.insert(entry[0].get<std::string>());
    }
  } else {
    return std::nullopt;
  }
  if (auto added = tokenizer_json.find("added_tokens"); added != tokenizer_json.end() &&
                                                        added->is_array()) {
    for (const Json& token : *added) {
      auto content = token.find("content");
      if (token.is_object() && content != token.end() && content->is_string()) {
        tokens.insert(content->get<std::string>());
      }
    }
  }
  return static_cast<int64_t>(tokens.size());
}

Status check_added_tokens_unique(const Json& tokenizer_json, const std::string& file_label) {
  auto added = tokenizer_json.find("added_tokens");
  if (!tokenizer_json.is_object() || added == tokenizer_json.end() || !added->is_array()) {
    return ok_status();
  }
  std::set<std::string> seen;
  for (const Json& token : *added) {
    auto content = token.is_object() ? token.find("content") : token.end();
    if (!token.is_object() || content == token.end() || !content->is_string()) continue;
    if (!seen.insert(content->get<std::string>()).second) {
      return Error(fmt::format("{}: added token {} appears twice in \"added_tokens\"", file_label,
                               content->dump()),
                   "remove the duplicate from tokenizer.json; Hugging Face tokenizers decode "
                   "such a file incorrectly");
    }
  }
  return ok_status();
}

}  // namespace aae
