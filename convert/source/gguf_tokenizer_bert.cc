#include "convert/source/gguf_tokenizer_bert.h"

#include <optional>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "convert/source/gguf_tokenizer.h"

namespace aae {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kSpmSpace = "\xE2\x96\x81";  // "▁" U+2581

// A token id from metadata; nullopt when absent or outside the vocabulary.
Result<std::optional<int64_t>> optional_id(const GgufFile& gguf, std::string_view key,
                                           size_t vocab_size) {
  if (gguf.find(key) == nullptr) return std::optional<int64_t>();
  AAE_ASSIGN_OR_RETURN(int64_t id, gguf.get_int(key));
  if (id < 0 || static_cast<uint64_t>(id) >= vocab_size) return std::optional<int64_t>();
  return std::optional<int64_t>(id);
}

Json special_token_step(const std::string& content, int type_id) {
  return Json{{"SpecialToken", {{"id", content}, {"type_id", type_id}}}};
}

Json sequence_step(const char* id, int type_id) {
  return Json{{"Sequence", {{"id", id}, {"type_id", type_id}}}};
}

}  // namespace

std::string wordpiece_token_from_gguf(const std::string& token) {
  if (token.size() > kSpmSpace.size() && token.compare(0, kSpmSpace.size(), kSpmSpace) == 0) {
    return token.substr(kSpmSpace.size());
  }
  if (token.size() >= 2 && token.front() == '[' && token.back() == ']') return token;
  return "##" + token;
}

Result<Json> bert_tokenizer_json(const GgufFile& gguf) {
  const std::string file = gguf.path().string();
  AAE_ASSIGN_OR_RETURN(std::vector<std::string> tokens,
                       gguf.get_string_array("tokenizer.ggml.tokens"));
  if (tokens.empty()) return Error(file + ": tokenizer.ggml.tokens is empty");
  std::vector<int64_t> types(tokens.size(), static_cast<int64_t>(GgufTokenType::kNormal));
  if (gguf.find("tokenizer.ggml.token_type") != nullptr) {
    AAE_ASSIGN_OR_RETURN(types, gguf.get_int_array("tokenizer.ggml.token_type"));
    if (types.size() != tokens.size()) {
      return Error(fmt::format("{}: tokenizer.ggml.token_type has {} entries, expected {}", file,
                               types.size(), tokens.size()));
    }
  }
  std::vector<std::string> pieces;
  pieces.reserve(tokens.size());
  for (size_t id = 0; id < tokens.size(); ++id) {
    const auto type = static_cast<GgufTokenType>(types[id]);
    // Special tokens are stored as they are ("[CLS]"); only normal ones were rewritten.
    pieces.push_back(type == GgufTokenType::kNormal ? wordpiece_token_from_gguf(tokens[id])
                                                    : tokens[id]);
  }

  Json vocab = Json::object();
  auto& entries = vocab.get_ref<Json::object_t&>();
  entries.reserve(pieces.size());
  std::unordered_set<std::string_view> seen;
  for (size_t id = 0; id < pieces.size(); ++id) {
    if (seen.insert(pieces[id]).second) entries.emplace_back(pieces[id], Json(id));
  }

  Json added = Json::array();
  for (size_t id = 0; id < pieces.size(); ++id) {
    const auto type = static_cast<GgufTokenType>(types[id]);
    const bool special = type == GgufTokenType::kUnknown || type == GgufTokenType::kControl;
    if (!special && type != GgufTokenType::kUserDefined) continue;
    added.push_back(Json{{"id", id}, {"content", pieces[id]}, {"single_word", false},
                         {"lstrip", false}, {"rstrip", false}, {"normalized", false},
                         {"special", special}});
  }

  AAE_ASSIGN_OR_RETURN(auto unk, optional_id(gguf, "tokenizer.ggml.unknown_token_id", pieces.size()));
  AAE_ASSIGN_OR_RETURN(auto cls, optional_id(gguf, "tokenizer.ggml.cls_token_id", pieces.size()));
  AAE_ASSIGN_OR_RETURN(auto sep,
                       optional_id(gguf, "tokenizer.ggml.seperator_token_id", pieces.size()));

  Json post = nullptr;
  if (cls && sep) {
    const std::string& c = pieces[*cls];
    const std::string& s = pieces[*sep];
    Json special_tokens = Json::object();
    special_tokens[c] = Json{{"id", c}, {"ids", Json::array({*cls})}, {"tokens", Json::array({c})}};
    special_tokens[s] = Json{{"id", s}, {"ids", Json::array({*sep})}, {"tokens", Json::array({s})}};
    post = Json{{"type", "TemplateProcessing"},
                {"single", Json::array({special_token_step(c, 0), sequence_step("A", 0),
                                        special_token_step(s, 0)})},
                {"pair", Json::array({special_token_step(c, 0), sequence_step("A", 0),
                                      special_token_step(s, 0), sequence_step("B", 1),
                                      special_token_step(s, 1)})},
                {"special_tokens", std::move(special_tokens)}};
  }

  Json out = Json::object();
  out["version"] = "1.0";
  out["truncation"] = nullptr;
  out["padding"] = nullptr;
  out["added_tokens"] = std::move(added);
  out["normalizer"] = Json{{"type", "BertNormalizer"}, {"clean_text", true},
                           {"handle_chinese_chars", true}, {"strip_accents", nullptr},
                           {"lowercase", true}};
  out["pre_tokenizer"] = Json{{"type", "BertPreTokenizer"}};
  out["post_processor"] = std::move(post);
  out["decoder"] = Json{{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}};
  out["model"] = Json{{"type", "WordPiece"},
                      {"unk_token", unk ? pieces[*unk] : std::string("[UNK]")},
                      {"continuing_subword_prefix", "##"},
                      {"max_input_chars_per_word", 100},
                      {"vocab", std::move(vocab)}};
  return out;
}

}  // namespace aae
