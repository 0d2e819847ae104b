// UTF-8 decoding with byte offsets, for running code-point regexes over UTF-8 text.
#include "runtime/tokenizer/regex.h"

namespace aae::tokenizer {

DecodedUtf8 decode_utf8_with_offsets(std::string_view text) {
  DecodedUtf8 out;
  out.code_points.reserve(text.size());
  out.byte_offsets.reserve(text.size() + 1);
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    out.byte_offsets.push_back(i);
    unsigned char b0 = s[i];
    if (b0 < 0x80) {
      out.code_points.push_back(b0);
      ++i;
      continue;
    }
    // Sequence length and the allowed range of the second byte (excludes overlongs,
    // surrogates and values above U+10FFFF).
    int len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    char32_t cp = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) { len = 2; cp = b0 & 0x1F; }
    else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3;
      cp = b0 & 0x0F;
      if (b0 == 0xE0) lo = 0xA0;
      if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4;
      cp = b0 & 0x07;
      if (b0 == 0xF0) lo = 0x90;
      if (b0 == 0xF4) hi = 0x8F;
    }
    if (len == 0) {
      out.code_points.push_back(0xFFFD);
      ++i;
      continue;
    }
    size_t j = i + 1;
    int got = 1;
    while (got < len && j < n) {
      unsigned char b = s[j];
      unsigned char min = got == 1 ? lo : 0x80;
      unsigned char max = got == 1 ? hi : 0xBF;
      if (b < min || b > max) break;
      cp = (cp << 6) | (b & 0x3F);
      ++j;
      ++got;
    }
    out.code_points.push_back(got == len ? cp : char32_t{0xFFFD});
    i = j;  // a truncated sequence: its maximal valid prefix is one U+FFFD
  }
  out.byte_offsets.push_back(n);
  return out;
}

}  // namespace aae::tokenizer
