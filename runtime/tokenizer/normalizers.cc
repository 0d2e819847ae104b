// Normalizers from tokenizer.json; see normalizers.h for the list and their semantics.
#include "runtime/tokenizer/normalizers.h"

#include <optional>
#include <vector>

#include "runtime/tokenizer/regex.h"
#include "runtime/tokenizer/unicode.h"
#include "runtime/tokenizer/utf8.h"

namespace aae::tokenizer {

enum class NormalizerKind {
  kNfc, kNfd, kNfkc, kNfkd, kLowercase, kPrepend, kReplace, kStrip, kStripAccents, kNmt,
  kByteLevel, kBert,
  kSequence,
};

struct Normalizer::Impl {
  NormalizerKind kind;
  std::string type;
  std::u32string text;       // Prepend: prefix; Replace: content
  std::u32string literal;    // Replace with a String pattern
  std::optional<Regex> regex;  // Replace with a Regex pattern
  bool left = true, right = true;  // Strip
  bool clean_text = true, handle_chinese_chars = true, strip_accents = true, lowercase = true;
  std::vector<Normalizer> children;  // Sequence
};

namespace {

using unicode::utf32_to_utf8;
using unicode::utf8_to_utf32;

bool is_ascii(std::u32string_view s) {
  for (char32_t c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

void lowercase(std::u32string* text) {
  if (is_ascii(*text)) {
    for (char32_t& c : *text) {
      if (c >= 'A' && c <= 'Z') c += 32;
    }
    return;
  }
  std::u32string out;
  out.reserve(text->size());
  for (char32_t c : *text) unicode::append_lowercase(c, &out);
  *text = std::move(out);
}

template <typename Keep>
void filter(std::u32string* text, Keep keep) {
  size_t w = 0;
  for (char32_t c : *text) {
    if (keep(c)) (*text)[w++] = c;
  }
  text->resize(w);
}

// Replaces the matches [begin, end) (sorted, non-overlapping, code point offsets) by `content`.
void replace_ranges(std::u32string* text, const std::vector<std::pair<size_t, size_t>>& matches,
                    const std::u32string& content) {
  if (matches.empty()) return;
  std::u32string out;
  out.reserve(text->size());
  size_t prev = 0;
  for (auto [b, e] : matches) {
    out.append(*text, prev, b - prev);
    out += content;
    prev = e;
  }
  out.append(*text, prev, std::u32string::npos);
  *text = std::move(out);
}

void replace(const Normalizer::Impl& n, std::u32string* text) {
  if (text->empty()) return;  // tokenizers reports no match on empty input
  std::vector<std::pair<size_t, size_t>> matches;
  if (n.regex) {
    auto found = n.regex->find_all(*text);
    // Running out of the backtracking budget leaves the text unchanged rather than failing:
    // normalize() has no error channel, and the budget only trips on pathological patterns.
    if (!found.ok()) return;
    matches = std::move(found).value();
  } else if (n.literal.empty()) {
    // An empty pattern matches at every code point boundary, as an empty regex would.
    for (size_t i = 0; i <= text->size(); ++i) matches.push_back({i, i});
  } else {
    for (size_t pos = text->find(n.literal); pos != std::u32string::npos;
         pos = text->find(n.literal, pos + n.literal.size())) {
      matches.push_back({pos, pos + n.literal.size()});
    }
  }
  replace_ranges(text, matches, n.text);
}

void strip(const Normalizer::Impl& n, std::u32string* text) {
  size_t b = 0, e = text->size();
  if (n.left) {
    while (b < e && unicode::is_white_space((*text)[b])) ++b;
  }
  if (n.right) {
    while (e > b && unicode::is_white_space((*text)[e - 1])) --e;
  }
  if (b != 0 || e != text->size()) *text = text->substr(b, e - b);
}

// BertNormalizer's own character classes (tokenizers/src/normalizers/bert.rs semantics).
bool bert_is_whitespace(char32_t c) {
  return c == '\t' || c == '\n' || c == '\r' || unicode::is_white_space(c);
}
bool bert_is_control(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  return unicode::is_other(c);  // Cc, Cf, Cs, Co, Cn
}
bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

// StripAccents removes every combining mark (Mn, Mc, Me: unicode-normalization's
// is_combining_mark); BertNormalizer removes only nonspacing marks (Mn).
void strip_marks(std::u32string* text) {
  filter(text, [](char32_t c) { return c < 0x300 || !unicode::is_mark(c); });
}
void strip_nonspacing_marks(std::u32string* text) {
  filter(text, [](char32_t c) {
    return c < 0x300 || unicode::general_category(c) != unicode::Category::kMn;
  });
}

// Each UTF-8 byte of the text becomes its GPT-2 byte-level character.
void byte_level(std::u32string* text) {
  if (text->empty()) return;
  std::u32string out;
  out.reserve(text->size());
  std::string bytes;
  for (char32_t c : *text) {
    bytes.clear();
    append_utf8(bytes, c);
    for (char b : bytes) out.push_back(byte_level_char(static_cast<uint8_t>(b)));
  }
  *text = std::move(out);
}

void bert(const Normalizer::Impl& n, std::u32string* text) {
  if (n.clean_text) {
    filter(text, [](char32_t c) { return c != 0 && c != 0xFFFD && !bert_is_control(c); });
    for (char32_t& c : *text) {
      if (bert_is_whitespace(c)) c = ' ';
    }
  }
  if (n.handle_chinese_chars) {
    std::u32string out;
    out.reserve(text->size());
    for (char32_t c : *text) {
      if (is_chinese_char(c)) {
        out += ' ';
        out += c;
        out += ' ';
      } else {
        out += c;
      }
    }
    *text = std::move(out);
  }
  if (n.strip_accents) {
    *text = unicode::nfd(*text);
    strip_nonspacing_marks(text);
  }
  if (n.lowercase) lowercase(text);
}

void nmt(std::u32string* text) {
  filter(text, [](char32_t c) {
    return !((c >= 0x01 && c <= 0x08) || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F ||
             c == 0x8F || c == 0x9F);
  });
  for (char32_t& c : *text) {
    if (c == 0x09 || c == 0x0A || c == 0x0C || c == 0x0D || c == 0x1680 ||
        (c >= 0x200B && c <= 0x200F) || c == 0x2028 || c == 0x2029 || c == 0x2581 ||
        c == 0xFEFF || c == 0xFFFD) {
      c = ' ';
    }
  }
}

Result<bool> optional_bool(const json::ObjectReader& r, std::string_view key, bool fallback) {
  return r.get_bool_or(key, fallback);
}

Status read_replace(const json::ObjectReader& r, Normalizer::Impl* n) {
  AAE_ASSIGN_OR_RETURN(const json::Value* pattern, r.get_object("pattern"));
  AAE_ASSIGN_OR_RETURN(auto p, json::ObjectReader::make(*pattern, r.child_path("pattern")));
  AAE_ASSIGN_OR_RETURN(std::string content, r.get_string("content"));
  n->text = utf8_to_utf32(content);
  if (p.has("String")) {
    AAE_ASSIGN_OR_RETURN(std::string s, p.get_string("String"));
    n->literal = utf8_to_utf32(s);
    return ok_status();
  }
  if (p.has("Regex")) {
    AAE_ASSIGN_OR_RETURN(std::string s, p.get_string("Regex"));
    auto regex = Regex::compile(s);
    if (!regex.ok()) {
      return std::move(regex).error().context(p.child_path("Regex") +
                                              ": cannot compile the replace pattern");
    }
    n->regex = std::move(regex).value();
    return ok_status();
  }
  return Error(r.child_path("pattern") + ": expected {\"String\": ...} or {\"Regex\": ...}");
}

}  // namespace

Result<Normalizer> Normalizer::from_json(const json::Value& value, const std::string& json_path) {
  AAE_ASSIGN_OR_RETURN(auto r, json::ObjectReader::make(value, json_path));
  AAE_ASSIGN_OR_RETURN(std::string type, r.get_string("type"));
  auto impl = std::make_shared<Impl>();
  impl->type = type;
  if (type == "NFC") {
    impl->kind = NormalizerKind::kNfc;
  } else if (type == "NFD") {
    impl->kind = NormalizerKind::kNfd;
  } else if (type == "NFKC") {
    impl->kind = NormalizerKind::kNfkc;
  } else if (type == "NFKD") {
    impl->kind = NormalizerKind::kNfkd;
  } else if (type == "Lowercase") {
    impl->kind = NormalizerKind::kLowercase;
  } else if (type == "StripAccents") {
    impl->kind = NormalizerKind::kStripAccents;
  } else if (type == "Nmt") {
    impl->kind = NormalizerKind::kNmt;
  } else if (type == "ByteLevel") {
    impl->kind = NormalizerKind::kByteLevel;
  } else if (type == "Prepend") {
    impl->kind = NormalizerKind::kPrepend;
    AAE_ASSIGN_OR_RETURN(std::string prepend, r.get_string("prepend"));
    impl->text = utf8_to_utf32(prepend);
  } else if (type == "Replace") {
    impl->kind = NormalizerKind::kReplace;
    AAE_TRY(read_replace(r, impl.get()));
  } else if (type == "Strip") {
    impl->kind = NormalizerKind::kStrip;
    AAE_ASSIGN_OR_RETURN(impl->left, optional_bool(r, "strip_left", true));
    AAE_ASSIGN_OR_RETURN(impl->right, optional_bool(r, "strip_right", true));
  } else if (type == "BertNormalizer") {
    impl->kind = NormalizerKind::kBert;
    AAE_ASSIGN_OR_RETURN(impl->clean_text, optional_bool(r, "clean_text", true));
    AAE_ASSIGN_OR_RETURN(impl->handle_chinese_chars,
                         optional_bool(r, "handle_chinese_chars", true));
    AAE_ASSIGN_OR_RETURN(impl->lowercase, optional_bool(r, "lowercase", true));
    // strip_accents: null (or absent) means "follow lowercase".
    AAE_ASSIGN_OR_RETURN(impl->strip_accents,
                         optional_bool(r, "strip_accents", impl->lowercase));
  } else if (type == "Sequence") {
    impl->kind = NormalizerKind::kSequence;
    AAE_ASSIGN_OR_RETURN(const json::Value* list, r.get_array("normalizers"));
    const auto& items = list->as_array();
    for (size_t i = 0; i < items.size(); ++i) {
      AAE_ASSIGN_OR_RETURN(
          Normalizer child,
          from_json(items[i], r.child_path("normalizers") + "[" + std::to_string(i) + "]"));
      impl->children.push_back(std::move(child));
    }
  } else {
    return Error(r.child_path("type") + ": unsupported normalizer type \"" + type + "\"",
                 "supported: NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Strip, "
                 "StripAccents, Nmt, ByteLevel, BertNormalizer, Sequence (Precompiled is not "
                 "supported yet)");
  }
  return Normalizer(std::move(impl));
}

const std::string& Normalizer::type() const { return impl_->type; }

void Normalizer::normalize_in_place(std::u32string* text) const {
  const Impl& n = *impl_;
  switch (n.kind) {
    case NormalizerKind::kNfc: *text = unicode::nfc(*text); break;
    case NormalizerKind::kNfd: *text = unicode::nfd(*text); break;
    case NormalizerKind::kNfkc: *text = unicode::nfkc(*text); break;
    case NormalizerKind::kNfkd: *text = unicode::nfkd(*text); break;
    case NormalizerKind::kLowercase: lowercase(text); break;
    case NormalizerKind::kStripAccents: strip_marks(text); break;
    case NormalizerKind::kNmt: nmt(text); break;
    case NormalizerKind::kByteLevel: byte_level(text); break;
    case NormalizerKind::kPrepend:
      if (!text->empty()) text->insert(0, n.text);
      break;
    case NormalizerKind::kReplace: replace(n, text); break;
    case NormalizerKind::kStrip: strip(n, text); break;
    case NormalizerKind::kBert: bert(n, text); break;
    case NormalizerKind::kSequence:
      for (const auto& child : n.children) child.normalize_in_place(text);
      break;
  }
}

std::string Normalizer::normalize(std::string_view utf8) const {
  const Impl& n = *impl_;
  // Unicode normalization forms leave ASCII text unchanged: skip decoding it at all.
  const bool is_form = n.kind == NormalizerKind::kNfc || n.kind == NormalizerKind::kNfd ||
                       n.kind == NormalizerKind::kNfkc || n.kind == NormalizerKind::kNfkd;
  if (is_form) {
    bool ascii = true;
    for (char c : utf8) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    if (ascii) return std::string(utf8);
  }
  std::u32string text = utf8_to_utf32(utf8);
  normalize_in_place(&text);
  return utf32_to_utf8(text);
}

}  // namespace aae::tokenizer
