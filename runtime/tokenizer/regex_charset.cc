// Character-class membership for the regex engine: Unicode shorthands and simple case folding.
#include "runtime/tokenizer/regex_program.h"
#include "runtime/tokenizer/unicode.h"

namespace aae::tokenizer::regex_internal {
namespace {

uint32_t mask_of(const char* name) {
  uint32_t mask = 0;
  unicode::category_mask_from_name(name, &mask);
  return mask;
}

// Function-local statics: no dependence on the unicode tables' static initialization order.
uint32_t digit_mask() {
  static const uint32_t mask = mask_of("Nd");
  return mask;
}
uint32_t word_mask() {
  static const uint32_t mask =
      mask_of("L") | mask_of("M") | mask_of("Nd") | mask_of("Nl") | mask_of("Pc");
  return mask;
}

// Pairs where upper and lower case are adjacent code points (upper even or odd as given).
bool adjacent_pair_block(char32_t c, char32_t lo, char32_t hi, bool upper_even, char32_t* other) {
  if (c < lo || c > hi) return false;
  bool is_even = (c % 2) == 0;
  *other = (is_even == upper_even) ? c + 1 : c - 1;
  return *other >= lo && *other <= hi;
}

}  // namespace

bool is_space_char(char32_t c) { return unicode::is_white_space(c); }
bool is_digit_char(char32_t c) {
  if (c < 128) return c >= '0' && c <= '9';
  return unicode::in_category_mask(c, digit_mask());
}
bool is_word_char(char32_t c) {
  if (c < 128) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }
  // Oniguruma's \w is the Unicode "word" set: Alphabetic (letters, Nl, and Other_Alphabetic,
  // which adds the circled letters U+24B6..U+24E9 to marks), marks, Nd, Pc and Join_Control.
  if (c == 0x200C || c == 0x200D || (c >= 0x24B6 && c <= 0x24E9)) return true;
  return unicode::in_category_mask(c, word_mask());
}

int case_variants(char32_t c, char32_t out[3]) {
  int n = 0;
  if (c < 128) {
    if (c >= 'a' && c <= 'z') out[n++] = c - 32;
    if (c >= 'A' && c <= 'Z') out[n++] = c + 32;
    if (c == 'k' || c == 'K') out[n++] = 0x212A;
    if (c == 's' || c == 'S') out[n++] = 0x17F;
    return n;
  }
  switch (c) {
    case 0x212A: out[0] = 'k'; out[1] = 'K'; return 2;
    case 0x17F: out[0] = 's'; out[1] = 'S'; return 2;
    case 0xB5: out[0] = 0x39C; out[1] = 0x3BC; return 2;
    case 0x39C: out[0] = 0xB5; out[1] = 0x3BC; return 2;
    case 0x3BC: out[0] = 0xB5; out[1] = 0x39C; return 2;
    case 0x3A3: out[0] = 0x3C3; out[1] = 0x3C2; return 2;
    case 0x3C3: out[0] = 0x3A3; out[1] = 0x3C2; return 2;
    case 0x3C2: out[0] = 0x3A3; out[1] = 0x3C3; return 2;
    case 0xFF: out[0] = 0x178; return 1;
    case 0x178: out[0] = 0xFF; return 1;
    case 0xE5: out[0] = 0xC5; out[1] = 0x212B; return 2;
    case 0xC5: out[0] = 0xE5; out[1] = 0x212B; return 2;
    case 0x212B: out[0] = 0xC5; out[1] = 0xE5; return 2;
    default: break;
  }
  char32_t other = 0;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) out[n++] = c + 32;
  else if (c >= 0xE0 && c <= 0xFE && c != 0xF7) out[n++] = c - 32;
  else if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) out[n++] = c + 32;
  else if (c >= 0x3B1 && c <= 0x3CB && c != 0x3C2) out[n++] = c - 32;
  else if (c >= 0x410 && c <= 0x42F) out[n++] = c + 32;
  else if (c >= 0x430 && c <= 0x44F) out[n++] = c - 32;
  else if (c >= 0x400 && c <= 0x40F) out[n++] = c + 80;
  else if (c >= 0x450 && c <= 0x45F) out[n++] = c - 80;
  else if (adjacent_pair_block(c, 0x100, 0x12F, true, &other) ||
           adjacent_pair_block(c, 0x132, 0x137, true, &other) ||
           adjacent_pair_block(c, 0x139, 0x148, false, &other) ||
           adjacent_pair_block(c, 0x14A, 0x177, true, &other) ||
           adjacent_pair_block(c, 0x179, 0x17E, false, &other) ||
           adjacent_pair_block(c, 0x460, 0x481, true, &other) ||
           adjacent_pair_block(c, 0x48A, 0x4BF, true, &other)) {
    out[n++] = other;
  }
  return n;
}

bool CharSet::matches_unfolded(char32_t c) const {
  for (const auto& [lo, hi] : ranges) {
    if (c >= lo && c <= hi) return true;
  }
  if (category_mask != 0 && unicode::in_category_mask(c, category_mask)) return true;
  for (uint32_t mask : negated_category_masks) {
    if (!unicode::in_category_mask(c, mask)) return true;
  }
  if (flags != 0) {
    if ((flags & kSpace) && is_space_char(c)) return true;
    if ((flags & kNotSpace) && !is_space_char(c)) return true;
    if ((flags & kDigit) && is_digit_char(c)) return true;
    if ((flags & kNotDigit) && !is_digit_char(c)) return true;
    if ((flags & kWord) && is_word_char(c)) return true;
    if ((flags & kNotWord) && !is_word_char(c)) return true;
  }
  return false;
}

bool CharSet::matches_slow(char32_t c) const {
  bool found = matches_unfolded(c);
  if (!found && icase) {
    // Caseless matching folds literal characters and ranges only; \p{Lu}, \s, ... keep their
    // meaning (PCRE2 behaviour: (?i)[\p{Lu}] still matches upper case letters only).
    char32_t variants[3];
    int count = case_variants(c, variants);
    for (int i = 0; i < count && !found; ++i) {
      for (const auto& [lo, hi] : ranges) {
        if (variants[i] >= lo && variants[i] <= hi) found = true;
      }
    }
  }
  return found != negated;
}

void CharSet::finalize() {
  ascii_bits[0] = ascii_bits[1] = 0;
  for (char32_t c = 0; c < 128; ++c) {
    if (matches_slow(c)) ascii_bits[c >> 6] |= uint64_t{1} << (c & 63);
  }
}

}  // namespace aae::tokenizer::regex_internal
