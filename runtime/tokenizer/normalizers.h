// Hugging Face tokenizers normalizers (tokenizer.json "normalizer" section), applied to the
// input text before pre-tokenization. Behaviour follows tokenizers' Rust implementation:
//   NFC / NFD / NFKC / NFKD   Unicode normalization forms
//   Lowercase                 per-character full lowercase (char::to_lowercase; no final sigma)
//   Prepend {prepend}         prepends `prepend` to non-empty text
//   Replace {pattern: {String: s} | {Regex: r}, content}
//                             replaces every non-overlapping match, left to right (regex
//                             matches iterate like Oniguruma's find_iter); empty text unchanged
//   Strip {strip_left, strip_right}   trims White_Space characters
//   StripAccents              removes combining marks (M*); pair with NFD to strip accents
//   Nmt                       drops ASCII control characters, maps NMT whitespace to ' '
//   ByteLevel                 maps each UTF-8 byte to its GPT-2 byte-level character
//   BertNormalizer {clean_text, handle_chinese_chars, strip_accents, lowercase}
//                             BERT cleanup: drops controls (C*, except \t \n \r), maps
//                             White_Space to ' ', pads CJK ideographs with spaces, NFD + removes
//                             Mn when strip_accents (null = follow lowercase), lowercases
// Missing boolean fields default to tokenizers' defaults (Strip: true/true; BertNormalizer:
// true, true, null, true). Precompiled (SentencePiece charsmap) is not supported yet.
//   Sequence {normalizers}    applies each in order
// Offsets alignment is not tracked: normalize() returns only the normalized text.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "runtime/base/json.h"
#include "runtime/base/status.h"

namespace aae::tokenizer {

class Normalizer {
 public:
  // `value` is the normalizer object; `json_path` names it in errors (e.g. "normalizer" or
  // "normalizer.normalizers[2]"). Unknown types and malformed fields are errors naming the path.
  static Result<Normalizer> from_json(const json::Value& value, const std::string& json_path);

  // The "type" string this normalizer was read from (e.g. "NFC", "Sequence").
  const std::string& type() const;

  // Normalizes UTF-8 text (ill-formed bytes are read as U+FFFD first). Never fails.
  std::string normalize(std::string_view utf8) const;
  // The same on code points, in place.
  void normalize_in_place(std::u32string* text) const;

  struct Impl;  // defined in normalizers.cc

 private:
  explicit Normalizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;  // immutable; copies share it (thread-safe to use)
};

}  // namespace aae::tokenizer
