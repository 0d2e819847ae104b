// Internal to the regex engine (regex_*.cc): the compiled program a Regex runs.
//
// A pattern compiles to a flat list of instructions run by a backtracking VM with an explicit
// stack (regex_matcher.cc), so long inputs never grow the C++ call stack; only lookaround and
// atomic groups recurse, bounded by the pattern's group nesting (capped by the parser).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace aae::tokenizer::regex_internal {

// Shorthand classes inside a CharSet (bit flags).
enum ClassFlag : uint8_t {
  kSpace = 1, kNotSpace = 2, kDigit = 4, kNotDigit = 8, kWord = 16, kNotWord = 32,
};

// One character class: [..], an escape like \s or \p{L}, '.', or a (case-folded) literal.
struct CharSet {
  std::vector<std::pair<char32_t, char32_t>> ranges;  // inclusive code point ranges
  uint32_t category_mask = 0;                  // union of \p{..} masks (aae::unicode)
  std::vector<uint32_t> negated_category_masks;  // one per \P{..}
  uint8_t flags = 0;                           // ClassFlag bits
  bool negated = false;                        // [^...]
  bool icase = false;                          // also matches the simple case variants
  uint64_t ascii_bits[2] = {0, 0};             // final answer for code points < 128

  // Fills ascii_bits; call once after the fields above are set.
  void finalize();
  bool matches(char32_t c) const {
    if (c < 128) return (ascii_bits[c >> 6] >> (c & 63)) & 1;
    return matches_slow(c);
  }
  bool matches_slow(char32_t c) const;

 private:
  bool matches_unfolded(char32_t c) const;
};

// Writes the simple case variants of `c` (other than c itself) to out[0..]; returns the count
// (at most 3). Covers ASCII (with U+017F long s and U+212A Kelvin), Latin-1, Latin Extended-A,
// Greek and Cyrillic: enough for the (?i:...) groups tokenizer patterns use.
int case_variants(char32_t c, char32_t out[3]);

// Unicode-aware shorthand predicates (PCRE2 UCP / Oniguruma semantics).
bool is_space_char(char32_t c);  // White_Space property
bool is_digit_char(char32_t c);  // general category Nd
bool is_word_char(char32_t c);   // L, M, Nd, Nl, Pc

// Code points that can start a match of a sub-pattern: a filter that lets the VM skip
// alternatives (and start positions) that cannot match, without changing results.
struct FirstSet {
  bool any = true;  // no filtering possible (the sub-pattern can match empty, or unknown)
  uint64_t ascii_bits[2] = {0, 0};
  std::vector<uint32_t> set_ids;  // non-ASCII code points: one of these sets must match
};

enum class Op : uint8_t {
  kSet,        // a = set id: consume one code point in the set
  kRepeatSet,  // a = set id, min/max, greedy: a run of code points in the set
  kAlt,        // a = index into Program::alts: try branches in order
  kSplit,      // try a first, then b
  kJump,       // a = target
  kLook,       // lookahead: sub-program at pc+1 (ends in kMatch); b = continuation; greedy = negate
  kAtomic,     // (?>...): sub-program at pc+1; continue at b from its first match end
  kAssert,     // a = AssertKind
  kMarkSet,    // a = slot: remember the position (loop-iteration start)
  kMarkCheck,  // a = slot: fail when no progress since kMarkSet (stops empty loops)
  kMatch,
};

enum AssertKind : uint32_t {
  kTextStart, kTextEnd, kTextEndOrFinalNewline, kWordBoundary, kNotWordBoundary,
};

inline constexpr uint32_t kUnbounded = 0xFFFFFFFFu;

struct Inst {
  Op op = Op::kMatch;
  bool greedy = true;
  uint32_t a = 0;
  uint32_t b = 0;
  uint32_t min = 0;
  uint32_t max = 0;
};

struct AltBranch {
  uint32_t target = 0;
  FirstSet guard;
};

struct Program {
  std::string pattern;  // UTF-8, for messages
  std::vector<Inst> code;  // starts at 0
  std::vector<CharSet> sets;
  std::vector<std::vector<AltBranch>> alts;
  FirstSet first;  // of the whole pattern
  uint32_t mark_slots = 0;

  bool first_allows(const FirstSet& f, const char32_t* text, size_t n, size_t pos) const {
    if (f.any) return true;
    if (pos >= n) return false;
    char32_t c = text[pos];
    if (c < 128) return (f.ascii_bits[c >> 6] >> (c & 63)) & 1;
    for (uint32_t id : f.set_ids) {
      if (sets[id].matches_slow(c)) return true;
    }
    return false;
  }
};

}  // namespace aae::tokenizer::regex_internal
