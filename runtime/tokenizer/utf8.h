// UTF-8 helpers shared by the tokenizer pieces: code point iteration, lossy decoding of raw
// bytes, and GPT-2's byte-level alphabet (bytes_to_unicode) used by ByteLevel models.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/utf8_encode.h"

namespace aae::tokenizer {

inline constexpr char32_t kReplacementChar = 0xFFFD;  // U+FFFD, "\xEF\xBF\xBD" in UTF-8

// Appends the UTF-8 encoding of `cp` (surrogates and values above U+10FFFF become U+FFFD).
using ::aae::append_utf8;

// True when `bytes` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view bytes);

// Decodes `bytes` as UTF-8, replacing every maximal ill-formed subsequence with one U+FFFD
// (the Unicode "maximal subpart" practice; the same output as Rust's String::from_utf8_lossy,
// which Hugging Face tokenizers uses). Example: "\xE5\x8F" + "a" -> U+FFFD "a" (one FFFD for
// the truncated 2-byte prefix), "\xFF\xFE" -> two U+FFFD.
std::string utf8_lossy(std::string_view bytes);

// The code points of `text`, decoded as utf8_lossy would (ill-formed parts become U+FFFD).
std::vector<char32_t> code_points(std::string_view text);

// Number of code points in `text` (ill-formed parts count as utf8_lossy would count them).
size_t code_point_count(std::string_view text);

// GPT-2 byte-level alphabet: the 188 printable bytes ('!'..'~', 0xA1..0xAC, 0xAE..0xFF) map to
// the code point of the same value; the other 68 bytes map, in increasing byte order, to
// U+0100, U+0101, ... (so ' ' -> U+0120 'Ġ', '\n' -> U+010A 'Ċ').
char32_t byte_level_char(uint8_t byte);
// The inverse: the byte a byte-level code point stands for; nullopt for any other code point.
std::optional<uint8_t> byte_level_byte(char32_t cp);

}  // namespace aae::tokenizer
