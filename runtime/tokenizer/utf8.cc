#include "runtime/tokenizer/utf8.h"

#include <array>

namespace aae::tokenizer {
namespace {

struct Decoded {
  char32_t cp;      // kReplacementChar when !valid
  size_t length;    // bytes consumed: the whole sequence, or the maximal ill-formed subpart
  bool valid;
};

// Decodes one sequence at bytes[pos] (pos < size). The allowed range of the second byte
// depends on the lead byte (Unicode Table 3-7), which is what excludes overlongs, surrogates
// and code points above U+10FFFF. An ill-formed sequence consumes its lead byte plus every
// continuation byte that was still acceptable: that run is the "maximal subpart".
Decoded decode_one(std::string_view bytes, size_t pos) {
  const auto b0 = static_cast<uint8_t>(bytes[pos]);
  if (b0 < 0x80) return {b0, 1, true};
  size_t need = 0;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  char32_t cp = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return {kReplacementChar, 1, false};  // 0x80..0xC1, 0xF5..0xFF never start a sequence
  }
  size_t consumed = 1;
  for (size_t i = 0; i < need; ++i) {
    if (pos + consumed >= bytes.size()) return {kReplacementChar, consumed, false};
    const auto b = static_cast<uint8_t>(bytes[pos + consumed]);
    const uint8_t allowed_lo = i == 0 ? lo : 0x80;
    const uint8_t allowed_hi = i == 0 ? hi : 0xBF;
    if (b < allowed_lo || b > allowed_hi) return {kReplacementChar, consumed, false};
    cp = (cp << 6) | (b & 0x3F);
    ++consumed;
  }
  return {cp, consumed, true};
}

struct ByteLevelTables {
  std::array<char32_t, 256> to_char{};
  ByteLevelTables() {
    char32_t next = 0x100;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      to_char[b] = printable ? static_cast<char32_t>(b) : next++;
    }
  }
};

const ByteLevelTables& byte_level_tables() {
  static const ByteLevelTables tables;
  return tables;
}

}  // namespace

bool is_valid_utf8(std::string_view bytes) {
  for (size_t pos = 0; pos < bytes.size();) {
    const Decoded d = decode_one(bytes, pos);
    if (!d.valid) return false;
    pos += d.length;
  }
  return true;
}

std::string utf8_lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t pos = 0; pos < bytes.size();) {
    const Decoded d = decode_one(bytes, pos);
    if (d.valid) {
      out.append(bytes.substr(pos, d.length));
    } else {
      append_utf8(out, kReplacementChar);
    }
    pos += d.length;
  }
  return out;
}

std::vector<char32_t> code_points(std::string_view text) {
  std::vector<char32_t> out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const Decoded d = decode_one(text, pos);
    out.push_back(d.cp);
    pos += d.length;
  }
  return out;
}

size_t code_point_count(std::string_view text) {
  size_t n = 0;
  for (size_t pos = 0; pos < text.size(); ++n) pos += decode_one(text, pos).length;
  return n;
}

char32_t byte_level_char(uint8_t byte) { return byte_level_tables().to_char[byte]; }

std::optional<uint8_t> byte_level_byte(char32_t cp) {
  // Printable bytes map to themselves; the 68 others occupy U+0100..U+0143.
  if (cp < 0x100) {
    if (byte_level_char(static_cast<uint8_t>(cp)) == cp) return static_cast<uint8_t>(cp);
    return std::nullopt;
  }
  if (cp > 0x143) return std::nullopt;
  static const std::array<uint8_t, 68> kRemapped = [] {
    std::array<uint8_t, 68> table{};
    for (int b = 0; b < 256; ++b) {
      const char32_t c = byte_level_char(static_cast<uint8_t>(b));
      if (c >= 0x100) table[c - 0x100] = static_cast<uint8_t>(b);
    }
    return table;
  }();
  return kRemapped[cp - 0x100];
}

}  // namespace aae::tokenizer
