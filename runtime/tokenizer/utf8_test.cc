#include "runtime/tokenizer/utf8.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace aae::tokenizer {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

TEST(Utf8Lossy, KeepsValidText) {
  const std::string text = "a\xC3\xA9\xE5\x8F\xAB\xF0\x9F\x98\x80";  // a é 叫 😀
  EXPECT_TRUE(is_valid_utf8(text));
  EXPECT_EQ(utf8_lossy(text), text);
  EXPECT_EQ(code_point_count(text), 4u);
}

TEST(Utf8Lossy, ReplacesEachMaximalIllFormedSubpartOnce) {
  // A truncated 3-byte sequence is one maximal subpart -> one U+FFFD.
  EXPECT_EQ(utf8_lossy("\xE5\x8F" "a"), kFffd + "a");
  EXPECT_EQ(utf8_lossy("\xF0\x9F\x98"), kFffd);
  // Bytes that can never start a sequence are one subpart each.
  EXPECT_EQ(utf8_lossy("\xFF\xFE"), kFffd + kFffd);
  EXPECT_EQ(utf8_lossy("\xC0\xAF"), kFffd + kFffd);  // overlong lead byte
  // A surrogate (ED A0 80): ED's second byte must be 80..9F, so all three are separate.
  EXPECT_EQ(utf8_lossy("\xED\xA0\x80"), kFffd + kFffd + kFffd);
  // Above U+10FFFF (F4 90 ...): F4's second byte must be 80..8F.
  EXPECT_EQ(utf8_lossy("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);
  EXPECT_FALSE(is_valid_utf8("\xE5\x8F"));
}

TEST(ByteLevelAlphabet, IsABijectionWithGpt2Spellings) {
  std::set<char32_t> seen;
  for (int b = 0; b < 256; ++b) {
    const char32_t c = byte_level_char(static_cast<uint8_t>(b));
    EXPECT_TRUE(seen.insert(c).second) << "byte " << b;
    ASSERT_TRUE(byte_level_byte(c).has_value()) << "byte " << b;
    EXPECT_EQ(*byte_level_byte(c), b);
  }
  EXPECT_EQ(byte_level_char(' '), U'\u0120');   // Ġ
  EXPECT_EQ(byte_level_char('\n'), U'\u010A');  // Ċ
  EXPECT_EQ(byte_level_char('a'), U'a');
  EXPECT_EQ(byte_level_char(0xAD), U'\u0143');  // the last remapped byte
  EXPECT_FALSE(byte_level_byte(U'\u0144').has_value());
  EXPECT_FALSE(byte_level_byte(U' ').has_value());  // space itself is not in the alphabet
  EXPECT_FALSE(byte_level_byte(U'\u65E5').has_value());
}

}  // namespace
}  // namespace aae::tokenizer
