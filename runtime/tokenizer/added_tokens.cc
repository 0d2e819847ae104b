#include "runtime/tokenizer/added_tokens.h"

#include <algorithm>

#include "runtime/tokenizer/normalizers.h"
#include "runtime/tokenizer/unicode.h"
#include "runtime/tokenizer/utf8.h"

namespace aae::tokenizer {
namespace {

// Decodes the code point starting at `pos` (ill-formed bytes read as U+FFFD, length 1).
char32_t decode_at(std::string_view s, size_t pos, size_t* len) {
  const unsigned char b = static_cast<unsigned char>(s[pos]);
  size_t n = b < 0x80 ? 1 : b < 0xC0 ? 0 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : b < 0xF8 ? 4 : 0;
  if (n == 0 || pos + n > s.size()) {
    *len = 1;
    return kReplacementChar;
  }
  char32_t cp = n == 1 ? b : b & (0x7F >> n);
  for (size_t i = 1; i < n; ++i) cp = (cp << 6) | (static_cast<unsigned char>(s[pos + i]) & 0x3F);
  *len = n;
  return cp;
}

// The code point that ends at `end` (exclusive).
char32_t decode_before(std::string_view s, size_t end, size_t* len) {
  size_t start = end - 1;
  while (start > 0 && end - start < 4 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) {
    --start;
  }
  size_t n = 0;
  char32_t cp = decode_at(s, start, &n);
  if (start + n != end) {
    *len = 1;
    return kReplacementChar;
  }
  *len = n;
  return cp;
}

bool is_word_char(char32_t cp) {
  return cp == '_' || unicode::is_letter(cp) || unicode::is_number(cp);
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(const std::vector<const AddedToken*>& tokens,
                                     const std::vector<std::string>& patterns) {
  for (size_t t = 0; t < tokens.size(); ++t) {
    const std::string& pattern = patterns[t];
    if (pattern.empty()) continue;
    int32_t node = 0;
    for (unsigned char byte : pattern) {
      int32_t next = child(node, byte);
      if (next < 0) {
        next = static_cast<int32_t>(nodes_.size());
        auto& edges = nodes_[node].edges;
        edges.insert(std::lower_bound(edges.begin(), edges.end(), std::make_pair(byte, 0)),
                     {byte, next});
        nodes_.emplace_back();
      }
      node = next;
    }
    if (nodes_[node].token < 0) {  // a repeated content keeps its first token
      nodes_[node].token = static_cast<int32_t>(tokens_.size());
      tokens_.push_back(*tokens[t]);
    }
    first_byte_[static_cast<unsigned char>(pattern[0])] = true;
  }
}

int32_t AddedTokenMatcher::child(int32_t node, unsigned char byte) const {
  const auto& edges = nodes_[node].edges;
  auto it = std::lower_bound(edges.begin(), edges.end(), std::make_pair(byte, int32_t{0}),
                             [](const auto& a, const auto& b) { return a.first < b.first; });
  return it != edges.end() && it->first == byte ? it->second : -1;
}

std::vector<AddedSplit> AddedTokenMatcher::split(std::string_view text) const {
  std::vector<AddedSplit> out;
  size_t plain_start = 0;  // start of the pending plain text
  size_t pos = 0;
  while (pos < text.size()) {
    if (!first_byte_[static_cast<unsigned char>(text[pos])]) {
      ++pos;
      continue;
    }
    // Longest pattern starting at pos.
    int32_t node = 0, best = -1;
    size_t best_end = 0;
    for (size_t i = pos; i < text.size(); ++i) {
      node = child(node, static_cast<unsigned char>(text[i]));
      if (node < 0) break;
      if (nodes_[node].token >= 0) {
        best = nodes_[node].token;
        best_end = i + 1;
      }
    }
    if (best < 0) {
      ++pos;
      continue;
    }
    const AddedToken& token = tokens_[best];
    size_t start = pos, end = best_end;
    if (token.single_word) {
      size_t len = 0;
      const bool word_before = start > 0 && is_word_char(decode_before(text, start, &len));
      const bool word_after = end < text.size() && is_word_char(decode_at(text, end, &len));
      if (word_before || word_after) {
        pos = end;  // skipped; the scan resumes after the rejected match
        continue;
      }
    }
    if (token.lstrip) {
      size_t len = 0;
      while (start > plain_start && unicode::is_white_space(decode_before(text, start, &len))) start -= len;
    }
    if (token.rstrip) {
      size_t len = 0;
      while (end < text.size() && unicode::is_white_space(decode_at(text, end, &len))) end += len;
    }
    if (start > plain_start) {
      out.push_back({text.substr(plain_start, start - plain_start), -1, plain_start});
    }
    out.push_back({text.substr(start, end - start), token.id, start});
    plain_start = pos = end;
  }
  if (plain_start < text.size()) {
    out.push_back({text.substr(plain_start), -1, plain_start});
  }
  return out;
}

AddedVocabulary AddedVocabulary::from_tokens(std::vector<AddedToken> tokens,
                                             const Normalizer* normalizer) {
  AddedVocabulary vocab;
  vocab.tokens_ = std::move(tokens);
  std::vector<const AddedToken*> raw, normalized;
  std::vector<std::string> raw_patterns, normalized_patterns;
  for (const AddedToken& token : vocab.tokens_) {
    if (token.normalized) {
      normalized.push_back(&token);
      normalized_patterns.push_back(normalizer ? normalizer->normalize(token.content)
                                               : token.content);
    } else {
      raw.push_back(&token);
      raw_patterns.push_back(token.content);
    }
  }
  vocab.raw_ = AddedTokenMatcher(raw, raw_patterns);
  vocab.normalized_ = AddedTokenMatcher(normalized, normalized_patterns);
  return vocab;
}

Result<AddedVocabulary> AddedVocabulary::from_json(const json::Value* list,
                                                   const Normalizer* normalizer) {
  std::vector<AddedToken> tokens;
  if (list != nullptr && !list->is_null()) {
    if (!list->is_array()) return Error("added_tokens: expected an array");
    for (size_t i = 0; i < list->as_array().size(); ++i) {
      const std::string path = "added_tokens[" + std::to_string(i) + "]";
      AAE_ASSIGN_OR_RETURN(json::ObjectReader r, json::ObjectReader::make(list->as_array()[i], path));
      AddedToken token;
      AAE_ASSIGN_OR_RETURN(int64_t id, r.get_int64("id"));
      if (id < 0 || id > INT32_MAX) return Error(r.child_path("id") + ": id out of range");
      token.id = static_cast<int32_t>(id);
      AAE_ASSIGN_OR_RETURN(token.content, r.get_string("content"));
      AAE_ASSIGN_OR_RETURN(token.special, r.get_bool_or("special", false));
      AAE_ASSIGN_OR_RETURN(token.single_word, r.get_bool_or("single_word", false));
      AAE_ASSIGN_OR_RETURN(token.lstrip, r.get_bool_or("lstrip", false));
      AAE_ASSIGN_OR_RETURN(token.rstrip, r.get_bool_or("rstrip", false));
      // HF's default: special tokens are not normalized, others are.
      AAE_ASSIGN_OR_RETURN(token.normalized, r.get_bool_or("normalized", !token.special));
      tokens.push_back(std::move(token));
    }
  }
  return from_tokens(std::move(tokens), normalizer);
}

}  // namespace aae::tokenizer
