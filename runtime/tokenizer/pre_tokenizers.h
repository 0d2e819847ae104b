// Hugging Face tokenizers pre-tokenizers: split normalized text into pieces (and transform
// them) before the model sees them. Semantics follow tokenizers' Rust implementation.
//
// Supported "type"s in tokenizer.json: ByteLevel, Split, Metaspace, Whitespace,
// WhitespaceSplit, Punctuation, Digits, BertPreTokenizer, CharDelimiterSplit, Sequence.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/json.h"
#include "runtime/base/status.h"
#include "runtime/tokenizer/regex.h"

namespace aae::tokenizer {

// How a split treats the delimiters it finds (tokenizers' SplitDelimiterBehavior).
enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

// Metaspace's prepend_scheme: when to put the replacement character in front of a piece.
enum class PrependScheme { kAlways, kFirst, kNever };

// The GPT-2 pre-tokenization pattern ByteLevel uses with use_regex.
inline constexpr std::string_view kGpt2Pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

class PreTokenizer {
 public:
  enum class Kind {
    kByteLevel, kSplit, kMetaspace, kWhitespace, kWhitespaceSplit, kPunctuation, kDigits,
    kBertPreTokenizer, kCharDelimiterSplit, kSequence,
  };

  // `value` is the "pre_tokenizer" object of tokenizer.json; `json_path` names it in errors
  // (e.g. "tokenizer.json: pre_tokenizer"). Unknown types and bad fields are errors.
  static Result<PreTokenizer> from_json(const json::Value& value, const std::string& json_path);

  // Constructors for code and tests (defaults as in tokenizers).
  static PreTokenizer byte_level(bool add_prefix_space = true, bool use_regex = true);
  static Result<PreTokenizer> split_regex(std::string_view pattern, SplitBehavior behavior,
                                          bool invert = false);
  static PreTokenizer split_string(std::string literal, SplitBehavior behavior,
                                   bool invert = false);
  static PreTokenizer metaspace(char32_t replacement = 0x2581,
                                PrependScheme scheme = PrependScheme::kAlways, bool split = true);
  static PreTokenizer whitespace();
  static PreTokenizer whitespace_split();
  static PreTokenizer punctuation(SplitBehavior behavior = SplitBehavior::kIsolated);
  static PreTokenizer digits(bool individual_digits = false);
  static PreTokenizer bert();
  static PreTokenizer char_delimiter_split(char32_t delimiter);
  static PreTokenizer sequence(std::vector<PreTokenizer> steps);

  // Splits normalized UTF-8 `text` into pieces, transformed as the pre-tokenizer does (ByteLevel
  // maps bytes to the GPT-2 alphabet; Metaspace replaces ' ' and may prepend the replacement).
  // Empty pieces are dropped. `is_first_section` is false for text that follows an added token
  // in the original input: Metaspace's "first" scheme only prepends at the very start.
  // Input should be valid UTF-8; ill-formed bytes match as U+FFFD and pass through unchanged.
  // If a Split regex exhausts its backtracking budget, the piece stays unsplit.
  std::vector<std::string> pre_tokenize(std::string_view text, bool is_first_section = true) const;

  Kind kind() const { return kind_; }

  // A piece of text in flight and whether it starts at offset 0 of the whole input.
  struct Piece {
    std::string text;
    bool at_input_start = false;
  };
  // Applies this pre-tokenizer to every piece (Sequence calls this step by step).
  void apply(std::vector<Piece>& pieces) const;

 private:
  void apply_one(const Piece& piece, std::vector<Piece>& out) const;

  Kind kind_ = Kind::kWhitespace;
  SplitBehavior behavior_ = SplitBehavior::kRemoved;
  bool invert_ = false;
  bool add_prefix_space_ = false;  // ByteLevel
  bool use_regex_ = true;          // ByteLevel
  bool individual_digits_ = false;  // Digits
  char32_t delimiter_ = ' ';        // Metaspace replacement, CharDelimiterSplit delimiter
  PrependScheme prepend_scheme_ = PrependScheme::kAlways;
  bool split_ = true;                // Metaspace
  std::string literal_;              // Split with a String pattern
  std::shared_ptr<const Regex> regex_;  // Split/Whitespace/ByteLevel patterns
  std::vector<PreTokenizer> steps_;   // Sequence
};

}  // namespace aae::tokenizer
