// A small backtracking regex engine over code points, for tokenizer pre-tokenization patterns
// (Hugging Face tokenizers runs them with Oniguruma; semantics here follow Oniguruma / PCRE2
// with UTF+UCP: leftmost-first alternation, greedy/lazy quantifiers, Unicode-aware classes).
//
// Supported syntax:
//   literals, '.', escapes \n \r \t \f \v \a \e \0 \xHH \x{H..} \uHHHH and escaped punctuation;
//   \d \D (Nd), \s \S (White_Space), \w \W (Oniguruma's word set: L, M, Nd, Nl, Pc, ZWNJ/ZWJ,
//   circled letters; PCRE2 before 10.43 uses L, N and '_' instead);
//   \p{X} \P{X} \pX \p{^X} with general categories (L, Lu, N, Nd, P, ...) and Any;
//   classes [...] [^...] with ranges and the escapes above; groups (...) (?:...) (?<name>...);
//   flags (?i) (?-i) (?i:...) (simple case folding of literals and ranges, not of \p{..}, for
//   Latin, Greek, Cyrillic; 'k' also matches U+212A and 's' U+017F, as in PCRE2/Oniguruma);
//   alternation; ? * + {n} {n,} {n,m} {,m} (= {0,m}, as in Oniguruma) and lazy forms;
//   lookahead (?=...) (?!...); atomic (?>...); anchors ^ (text start), $ (text end or before a
//   final '\n'), \A \z \Z \b \B.
// Not supported (compile error): backreferences, lookbehind, possessive quantifiers, nested
// classes/POSIX classes, script properties (\p{Han}), other inline flags.
// Captures are not reported: find() returns the overall match only.
//
// A Regex is immutable after compile() and safe to share between threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/base/status.h"

namespace aae::tokenizer {

namespace regex_internal {
struct Program;
}

// The code points of UTF-8 `text` and where each starts. Ill-formed parts decode as U+FFFD, one
// per maximal ill-formed subsequence (as utf8_lossy does), spanning those original bytes.
struct DecodedUtf8 {
  std::u32string code_points;
  std::vector<size_t> byte_offsets;  // size code_points.size() + 1; back() == text.size()
};
DecodedUtf8 decode_utf8_with_offsets(std::string_view text);

class Regex {
 public:
  // Default step budget per search: this many VM steps plus 256 per code point searched.
  static constexpr uint64_t kDefaultStepBudget = 1'000'000;

  // Errors name the pattern and the code point offset of the problem.
  static Result<Regex> compile(std::string_view utf8_pattern);

  // Finds the leftmost match starting at or after code point `start`; on success sets
  // [*begin, *end) in code points and returns true. Returns false when there is no match, and
  // also when the step budget runs out (use search() to tell the two apart).
  bool find(std::u32string_view text, size_t start, size_t* begin, size_t* end) const;

  // As find(), but running out of the step budget (catastrophic backtracking) is an Error.
  Result<bool> search(std::u32string_view text, size_t start, size_t* begin, size_t* end) const;

  // UTF-8 convenience: `start_byte` and the results are byte offsets into `text`. Invalid UTF-8
  // does not fail: each maximal ill-formed subsequence matches as one U+FFFD and offsets still
  // point into the original bytes. `start_byte` inside a character counts from that character.
  bool find_utf8(std::string_view text, size_t start_byte, size_t* begin_byte,
                 size_t* end_byte) const;

  // All matches the way Oniguruma's find_iter (used by Hugging Face tokenizers) reports them:
  // scan from the end of the previous match; an empty match right at the previous match's end
  // is skipped by advancing one code point. Code point offsets. Returns an Error when the step
  // budget runs out.
  Result<std::vector<std::pair<size_t, size_t>>> find_all(std::u32string_view text) const;

  const std::string& pattern() const;
  // For tests and callers with unusual inputs.
  void set_step_budget(uint64_t steps) { step_budget_ = steps; }

 private:
  Regex() = default;  // only compile() makes one, so program_ is never null
  std::shared_ptr<const regex_internal::Program> program_;
  uint64_t step_budget_ = kDefaultStepBudget;
};

}  // namespace aae::tokenizer
