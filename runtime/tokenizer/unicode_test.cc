// Checks the unicode tables and algorithms against the Unicode Character Database files that
// Debian's unicode-data package installs (tests skip with a reason when they are absent).
#include "runtime/tokenizer/unicode.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace aae::unicode {
namespace {

const char kUcdDir[] = "/usr/share/unicode";

#define REQUIRE_UCD_FILE(var, name)                                                       \
  const std::string var = std::string(kUcdDir) + "/" + name;                              \
  if (!std::filesystem::exists(var)) {                                                    \
    GTEST_SKIP() << var << " not found (install Debian/Ubuntu package unicode-data)";     \
  }

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(line);
  while (std::getline(in, part, sep)) parts.push_back(part);
  return parts;
}

std::u32string hex_list(const std::string& s) {
  std::u32string out;
  std::istringstream in(s);
  std::string word;
  while (in >> word) out.push_back(static_cast<char32_t>(std::stoul(word, nullptr, 16)));
  return out;
}

std::string show(std::u32string_view s) {
  std::string out;
  char buf[16];
  for (char32_t c : s) {
    std::snprintf(buf, sizeof buf, "%s%04X", out.empty() ? "" : " ", static_cast<unsigned>(c));
    out += buf;
  }
  return out;
}

const char* const kNames[] = {"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl",
                              "No", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc",
                              "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn"};

TEST(UnicodeCategory, MatchesUnicodeDataForEveryCodePoint) {
  REQUIRE_UCD_FILE(path, "UnicodeData.txt");
  std::vector<int> expected(0x110000, 29);
  std::ifstream in(path);
  std::string line;
  uint32_t range_first = 0;
  while (std::getline(in, line)) {
    auto f = split(line, ';');
    ASSERT_GE(f.size(), 3u) << line;
    uint32_t cp = std::stoul(f[0], nullptr, 16);
    int cat = -1;
    for (int i = 0; i < 30; ++i) {
      if (f[2] == kNames[i]) cat = i;
    }
    ASSERT_GE(cat, 0) << line;
    if (f[1].find(", First>") != std::string::npos) {
      range_first = cp;
      continue;
    }
    uint32_t first = f[1].find(", Last>") != std::string::npos ? range_first : cp;
    for (uint32_t c = first; c <= cp; ++c) expected[c] = cat;
  }
  int mismatches = 0;
  for (uint32_t c = 0; c < 0x110000; ++c) {
    int got = static_cast<int>(general_category(c));
    if (got != expected[c] && ++mismatches < 10) {
      ADD_FAILURE() << "U+" << std::hex << c << ": got " << kNames[got] << ", expected "
                    << kNames[expected[c]];
    }
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(UnicodeCategory, KnownCodePointsAndClasses) {
  EXPECT_EQ(general_category(U'A'), Category::kLu);
  EXPECT_EQ(general_category(U'7'), Category::kNd);
  EXPECT_EQ(general_category(0x4E2D), Category::kLo);   // 中, inside a First/Last range
  EXPECT_EQ(general_category(0xAC01), Category::kLo);   // Hangul syllable range
  EXPECT_EQ(general_category(0x0301), Category::kMn);
  EXPECT_EQ(general_category(0xD800), Category::kCs);
  EXPECT_EQ(general_category(0xE000), Category::kCo);
  EXPECT_EQ(general_category(0x0378), Category::kCn);   // unassigned
  EXPECT_EQ(general_category(0x110000), Category::kCn);  // beyond Unicode
  EXPECT_TRUE(is_letter(U'é'));
  EXPECT_TRUE(is_number(0x2167));  // Ⅷ, Nl
  EXPECT_TRUE(is_punctuation(U'!'));
  EXPECT_TRUE(is_symbol(U'$'));
  EXPECT_TRUE(is_separator(0x3000));
  EXPECT_TRUE(is_other(0x0378));
  EXPECT_TRUE(is_mark(0x0903));  // Mc
  EXPECT_FALSE(is_letter(U'1'));
}

TEST(UnicodeCategory, MaskFromNamesAndMembership) {
  uint32_t mask = 0;
  ASSERT_TRUE(category_mask_from_name("L", &mask));
  EXPECT_TRUE(in_category_mask(U'x', mask));
  EXPECT_TRUE(in_category_mask(0x4E2D, mask));
  EXPECT_FALSE(in_category_mask(U'1', mask));
  ASSERT_TRUE(category_mask_from_name("Nd", &mask));
  EXPECT_EQ(mask, category_bit(Category::kNd));
  ASSERT_TRUE(category_mask_from_name("Uppercase_Letter", &mask));
  EXPECT_EQ(mask, category_bit(Category::kLu));
  ASSERT_TRUE(category_mask_from_name("punctuation", &mask));
  EXPECT_TRUE(in_category_mask(U'(', mask));
  EXPECT_TRUE(in_category_mask(U'_', mask));
  ASSERT_TRUE(category_mask_from_name("C", &mask));
  EXPECT_TRUE(in_category_mask(0x0378, mask));  // C includes Cn
  ASSERT_TRUE(category_mask_from_name("L&", &mask));
  EXPECT_FALSE(in_category_mask(0x4E2D, mask));  // Lo is not a cased letter
  uint32_t untouched = 7;
  EXPECT_FALSE(category_mask_from_name("Han", &untouched));
  EXPECT_FALSE(category_mask_from_name("", &untouched));
  EXPECT_EQ(untouched, 7u);
}

TEST(UnicodeWhiteSpace, MatchesPropList) {
  REQUIRE_UCD_FILE(path, "PropList.txt");
  std::set<uint32_t> expected;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("; White_Space") == std::string::npos || line[0] == '#') continue;
    std::string range = line.substr(0, line.find(' '));
    size_t dots = range.find("..");
    uint32_t a = std::stoul(range.substr(0, dots), nullptr, 16);
    uint32_t b = dots == std::string::npos ? a : std::stoul(range.substr(dots + 2), nullptr, 16);
    for (uint32_t c = a; c <= b; ++c) expected.insert(c);
  }
  ASSERT_EQ(expected.size(), 25u);  // stable since Unicode 6.x
  for (uint32_t c = 0; c < 0x110000; ++c) {
    ASSERT_EQ(is_white_space(c), expected.count(c) == 1) << "U+" << std::hex << c;
  }
}

TEST(UnicodeWhiteSpace, KnownMembers) {
  for (char32_t c : {U' ', U'\t', U'\n', U'\v', U'\f', U'\r', char32_t{0x85}, char32_t{0xA0},
                     char32_t{0x2028}, char32_t{0x3000}}) {
    EXPECT_TRUE(is_white_space(c)) << static_cast<unsigned>(c);
  }
  EXPECT_FALSE(is_white_space(0x200B));  // zero width space is not White_Space
  EXPECT_FALSE(is_white_space(U'a'));
}

std::u32string lower(char32_t c) {
  std::u32string out;
  append_lowercase(c, &out);
  return out;
}

TEST(UnicodeLowercase, FollowsRustToLowercase) {
  EXPECT_EQ(lower(U'A'), U"a");
  EXPECT_EQ(lower(U'a'), U"a");
  EXPECT_EQ(lower(U'1'), U"1");
  EXPECT_EQ(lower(0x0130), U"i\u0307");  // İ: unconditional SpecialCasing entry
  EXPECT_EQ(lower(0x03A3), U"\u03C3");   // Σ -> σ (no final-sigma context)
  EXPECT_EQ(lower(0x1E9E), U"\u00DF");   // ẞ -> ß
  EXPECT_EQ(lower(0x00DF), U"\u00DF");   // ß stays
  EXPECT_EQ(lower(0x216B), U"\u217B");   // Ⅻ -> ⅻ
  EXPECT_EQ(lower(0x10400), U"\U00010428");  // Deseret
  EXPECT_EQ(lower(0x01C5), U"\u01C6");   // ǅ (titlecase) -> ǆ
  EXPECT_EQ(lower(0x4E2D), U"\u4E2D");
}

TEST(UnicodeUtf8, RoundTripsAndReplacesIllFormedBytes) {
  EXPECT_EQ(utf8_to_utf32("a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80"), U"aé中😀");
  EXPECT_EQ(utf32_to_utf8(U"aé中😀"), "a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80");
  EXPECT_EQ(utf8_to_utf32("ab\xFF" "c"), U"ab\uFFFDc");
  EXPECT_EQ(utf32_to_utf8(std::u32string(1, 0xD800)), "\xEF\xBF\xBD");
}

TEST(UnicodeNormalization, KnownExamples) {
  EXPECT_EQ(nfd(U"\u00E9"), U"e\u0301");
  EXPECT_EQ(nfc(U"e\u0301"), U"\u00E9");
  EXPECT_EQ(nfkc(U"\uFB01"), U"fi");
  EXPECT_EQ(nfc(U"\uFB01"), U"\uFB01");
  EXPECT_EQ(nfd(U"\uAC01"), U"\u1100\u1161\u11A8");  // Hangul algorithmic
  EXPECT_EQ(nfc(U"\u1100\u1161\u11A8"), U"\uAC01");
  EXPECT_EQ(nfd(U"a\u0301\u0316"), U"a\u0316\u0301");  // canonical ordering
  EXPECT_EQ(nfc(U"\u0958"), U"\u0915\u093C");  // composition exclusion
  EXPECT_EQ(nfkd(U"\u00A0"), U" ");
  EXPECT_EQ(nfc(U"plain ascii"), U"plain ascii");
}

// NormalizationTest.txt conformance (UAX #15): every line, every form, plus Part 1's rule that
// code points not listed there are invariant under all four forms.
TEST(UnicodeNormalization, PassesNormalizationTest) {
  REQUIRE_UCD_FILE(path, "NormalizationTest.txt.bz2");
  const std::string command = "bzcat " + path + " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) GTEST_SKIP() << "cannot run bzcat";
  std::string text;
  char buf[65536];
  for (size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) text.append(buf, n);
  if (pclose(pipe) != 0 || text.empty()) GTEST_SKIP() << "bzcat failed (is bzip2 installed?)";

  std::istringstream in(text);
  std::string line;
  bool part1 = false;
  std::set<char32_t> part1_chars;
  size_t checked = 0;
  int failures = 0;
  while (std::getline(in, line) && failures < 20) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '@') {
      part1 = line.rfind("@Part1", 0) == 0;
      continue;
    }
    auto f = split(line, ';');
    ASSERT_GE(f.size(), 5u) << line;
    std::u32string c[5];
    for (int i = 0; i < 5; ++i) c[i] = hex_list(f[i]);
    if (part1) part1_chars.insert(c[0][0]);
    auto expect = [&](const std::u32string& got, const std::u32string& want, const char* what) {
      if (got != want) {
        ++failures;
        ADD_FAILURE() << what << " on line: " << line << "\n  got " << show(got);
      }
    };
    for (int i = 0; i < 3; ++i) {
      expect(nfc(c[i]), c[1], "NFC(c1..c3) == c2");
      expect(nfd(c[i]), c[2], "NFD(c1..c3) == c3");
    }
    for (int i = 3; i < 5; ++i) {
      expect(nfc(c[i]), c[3], "NFC(c4..c5) == c4");
      expect(nfd(c[i]), c[4], "NFD(c4..c5) == c5");
    }
    for (int i = 0; i < 5; ++i) {
      expect(nfkc(c[i]), c[3], "NFKC(c1..c5) == c4");
      expect(nfkd(c[i]), c[4], "NFKD(c1..c5) == c5");
    }
    ++checked;
  }
  EXPECT_EQ(failures, 0);
  EXPECT_GT(checked, 18000u);
  ASSERT_GT(part1_chars.size(), 10000u);
  for (char32_t cp = 0; cp < 0x110000 && failures < 20; ++cp) {
    if ((cp >= 0xD800 && cp <= 0xDFFF) || part1_chars.count(cp)) continue;
    const std::u32string x(1, cp);
    if (nfc(x) != x || nfd(x) != x || nfkc(x) != x || nfkd(x) != x) {
      ++failures;
      ADD_FAILURE() << "U+" << std::hex << static_cast<unsigned>(cp)
                    << " is not in Part 1 but changes under normalization";
    }
  }
  EXPECT_EQ(failures, 0);
}

}  // namespace
}  // namespace aae::unicode
