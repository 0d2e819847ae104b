// Unicode character properties and normalization for the tokenizer (std-only, no ICU).
// The data comes from runtime/tokenizer/unicode_tables.inc, generated from the Unicode Character
// Database by tools/gen_unicode_tables. All lookups are binary searches over sorted range tables
// (O(log n)), with a direct table for ASCII.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace aae::unicode {

// General_Category values, in this order (bit i of a category mask is Category i).
enum class Category : uint8_t {
  kLu, kLl, kLt, kLm, kLo,
  kMn, kMc, kMe,
  kNd, kNl, kNo,
  kPc, kPd, kPs, kPe, kPi, kPf, kPo,
  kSm, kSc, kSk, kSo,
  kZs, kZl, kZp,
  kCc, kCf, kCs, kCo, kCn,
};
inline constexpr int kCategoryCount = 30;

// Cn for unassigned code points and for values above U+10FFFF. Ranges such as CJK ideographs
// and Hangul syllables (listed as "First>/Last>" pairs in UnicodeData.txt) are covered.
Category general_category(char32_t cp);

// Major classes: L*, M*, N*, P*, S*, Z*, C* (C includes Cn, i.e. unassigned code points).
bool is_letter(char32_t cp);
bool is_mark(char32_t cp);
bool is_number(char32_t cp);
bool is_punctuation(char32_t cp);
bool is_symbol(char32_t cp);
bool is_separator(char32_t cp);
bool is_other(char32_t cp);

// The White_Space property (PropList.txt): what Rust's char::is_whitespace and regex \s use.
bool is_white_space(char32_t cp);

// Parses a \p{...} property name as written in tokenizer regexes: one-letter major classes
// (L, M, N, P, S, Z, C), two-letter categories (Lu, Nd, ...), "L&"/"LC" (Lu|Ll|Lt), and long
// names (Letter, Uppercase_Letter, Number, Decimal_Number, Punctuation, ...). Matching ignores
// case, spaces, '-' and '_' (Unicode loose matching). Sets *mask (bit i = Category i) and
// returns true; returns false (mask untouched) for an unknown name.
bool category_mask_from_name(std::string_view name, uint32_t* mask);
inline uint32_t category_bit(Category c) { return uint32_t{1} << static_cast<int>(c); }
bool in_category_mask(char32_t cp, uint32_t mask);

// Canonical_Combining_Class (0 for starters and unassigned code points).
uint8_t combining_class(char32_t cp);

// Full Unicode normalization forms (UAX #15): recursive decomposition, canonical ordering by
// combining class, canonical composition with the composition exclusions, Hangul handled
// algorithmically. Input code points above U+10FFFF pass through unchanged.
std::u32string nfd(std::u32string_view text);
std::u32string nfkd(std::u32string_view text);
std::u32string nfc(std::u32string_view text);
std::u32string nfkc(std::u32string_view text);

// Appends the full lowercase mapping of `cp` like Rust's char::to_lowercase: the simple mapping
// from UnicodeData.txt, or the unconditional SpecialCasing.txt entry when there is one
// (U+0130 -> "i\u0307"). Context-dependent rules (final sigma) are not applied: Σ -> σ always.
void append_lowercase(char32_t cp, std::u32string* out);

// UTF-8 <-> UTF-32. Decoding replaces each maximal ill-formed subsequence with U+FFFD (as
// aae::tokenizer::utf8_lossy does); encoding writes surrogates and values above U+10FFFF as
// U+FFFD.
std::u32string utf8_to_utf32(std::string_view utf8);
std::string utf32_to_utf8(std::u32string_view text);

}  // namespace aae::unicode
