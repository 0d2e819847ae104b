#include "runtime/tokenizer/regex.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/tokenizer/utf8.h"

namespace aae::tokenizer {
namespace {

constexpr std::string_view kLlama3 =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+"
    "[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr std::string_view kQwen2 =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+"
    "[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr std::string_view kGpt2 =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
constexpr std::string_view kCasedWords =
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)?";

std::u32string u32(std::string_view utf8) {
  std::vector<char32_t> cps = code_points(utf8);
  return std::u32string(cps.begin(), cps.end());
}

std::string utf8(std::u32string_view cps) {
  std::string out;
  for (char32_t c : cps) append_utf8(out, c);
  return out;
}

Regex compile_ok(std::string_view pattern) {
  Result<Regex> regex = Regex::compile(pattern);
  EXPECT_TRUE(regex.ok()) << pattern << ": " << (regex.ok() ? "" : regex.error().to_string());
  if (!regex.ok()) return Regex::compile("x").value();
  return std::move(regex).value();
}

// The first match as UTF-8, or "<none>".
std::string first_match(std::string_view pattern, std::string_view text, size_t start = 0) {
  Regex regex = compile_ok(pattern);
  std::u32string t = u32(text);
  size_t b = 0, e = 0;
  if (!regex.find(t, start, &b, &e)) return "<none>";
  return utf8(std::u32string_view(t).substr(b, e - b));
}

// All matches as find_all reports them.
std::vector<std::string> split(std::string_view pattern, std::string_view text) {
  Regex regex = compile_ok(pattern);
  std::u32string t = u32(text);
  std::vector<std::string> out;
  auto matches = regex.find_all(t);
  EXPECT_TRUE(matches.ok());
  if (!matches.ok()) return out;
  for (auto [b, e] : matches.value()) out.push_back(utf8(std::u32string_view(t).substr(b, e - b)));
  return out;
}

using Pieces = std::vector<std::string>;

TEST(Regex, MatchesLiteralsAndDot) {
  EXPECT_EQ(first_match("abc", "xxabcx"), "abc");
  EXPECT_EQ(first_match("a.c", "a\nc abc"), "abc");
  EXPECT_EQ(first_match("\\.", "ab.c"), ".");
  EXPECT_EQ(first_match("é+", "aééb"), "éé");
  EXPECT_EQ(first_match("\\x{4E2D}\\u6587", "中文"), "中文");
  EXPECT_EQ(first_match("\\x41", "zA"), "A");
  EXPECT_EQ(first_match("abc", "ab"), "<none>");
}

TEST(Regex, ShorthandClassesAreUnicodeAware) {
  EXPECT_EQ(first_match("\\s+", "a \t\u3000\u00a0b"), " \t\u3000\u00a0");
  EXPECT_EQ(first_match("\\d+", "x٣4y"), "٣4");
  EXPECT_EQ(first_match("\\w+", "--héllo_1 x"), "héllo_1");
  EXPECT_EQ(first_match("\\w+", "-e\u0301\u200Dⅻ²"), "e\u0301\u200Dⅻ");  // M, ZWJ, Nl; not No
  EXPECT_EQ(first_match("\\S+", "  ab c"), "ab");
  EXPECT_EQ(first_match("\\D", "12a"), "a");
  EXPECT_EQ(first_match("\\W", "ab-c"), "-");
}

TEST(Regex, PropertyEscapes) {
  EXPECT_EQ(first_match("\\p{L}+", "12Ωmega3"), "Ωmega");
  EXPECT_EQ(first_match("\\pN+", "ab½3c"), "½3");
  EXPECT_EQ(first_match("\\p{Lu}+", "abCDe"), "CD");
  EXPECT_EQ(first_match("\\P{L}+", "ab12!c"), "12!");
  EXPECT_EQ(first_match("\\p{^L}", "ab1"), "1");
  EXPECT_EQ(first_match("\\p{M}", "e\u0301"), "\u0301");
}

TEST(Regex, CharacterClasses) {
  EXPECT_EQ(first_match("[a-c]+", "xxbcaz"), "bca");
  EXPECT_EQ(first_match("[^a-c]+", "abxyc"), "xy");
  EXPECT_EQ(first_match("[]a]+", "x]a]"), "]a]");
  EXPECT_EQ(first_match("[a-]+", "x-a-"), "-a-");
  EXPECT_EQ(first_match("[\\s\\d]+", "x1 2y"), "1 2");
  EXPECT_EQ(first_match("[^\\s\\p{L}\\p{N}]+", "ab ?!x"), "?!");
  EXPECT_EQ(first_match("[\\p{Lu}\\p{Lt}]+", "abCDe"), "CD");
  EXPECT_EQ(first_match("[\\r\\n]+", "a\r\nb"), "\r\n");
  EXPECT_EQ(first_match("[\\x{3000}-\\x{3002}]", "a、b"), "、");
}

TEST(Regex, AlternationIsLeftmostFirst) {
  EXPECT_EQ(first_match("a|ab", "ab"), "a");
  EXPECT_EQ(first_match("ab|a", "ab"), "ab");
  EXPECT_EQ(first_match("x|b", "abx"), "b");
  EXPECT_EQ(first_match("(?:c|b)d|bx", "bx"), "bx");
}

TEST(Regex, GreedyAndLazyQuantifiers) {
  EXPECT_EQ(first_match("a*", "aaab"), "aaa");
  EXPECT_EQ(first_match("a*?", "aaab"), "");
  EXPECT_EQ(first_match("a+?", "aaab"), "a");
  EXPECT_EQ(first_match("a??b", "ab"), "ab");
  EXPECT_EQ(first_match("a{2}", "aaaa"), "aa");
  EXPECT_EQ(first_match("a{2,}", "aaaa"), "aaaa");
  EXPECT_EQ(first_match("a{1,3}", "aaaa"), "aaa");
  EXPECT_EQ(first_match("a{,2}", "aaaa"), "aa");
  EXPECT_EQ(first_match("a{2,3}?", "aaaa"), "aa");
  EXPECT_EQ(first_match("(?:ab)+", "ababa"), "abab");
  EXPECT_EQ(first_match("(?:ab){1,2}?c", "ababc"), "ababc");
  EXPECT_EQ(first_match("<.+?>", "<a><b>"), "<a>");
  EXPECT_EQ(first_match("a.*b", "axbxb"), "axbxb");
  EXPECT_EQ(first_match("a{x", "a{x"), "a{x");  // not a quantifier: literal '{'
}

TEST(Regex, EmptyLoopBodiesTerminate) {
  EXPECT_EQ(first_match("(?:a*)*b", "aab"), "aab");
  EXPECT_EQ(first_match("(?:a?)+", "aa"), "aa");
  EXPECT_EQ(first_match("(?:|a)*x", "ax"), "ax");
}

TEST(Regex, BacktracksIntoGroups) {
  EXPECT_EQ(first_match("(a|ab)(c|bcd)(d*)", "abcd"), "abcd");
  EXPECT_EQ(first_match("\\p{L}+(?:ing)", "singing"), "singing");
  EXPECT_EQ(first_match("x*x", "xxx"), "xxx");
}

TEST(Regex, Lookahead) {
  EXPECT_EQ(first_match("\\s+(?!\\S)", "a   b"), "  ");
  EXPECT_EQ(first_match("a(?=b)", "acab"), "a");
  EXPECT_EQ(split("a(?=b)", "acab"), (Pieces{"a"}));
  EXPECT_EQ(first_match("(?!a)\\w", "aab"), "b");
}

TEST(Regex, AtomicGroupDoesNotGiveBack) {
  EXPECT_EQ(first_match("(?>a+)b", "aaab"), "aaab");
  EXPECT_EQ(first_match("(?>a+)a", "aaa"), "<none>");
}

TEST(Regex, Anchors) {
  EXPECT_EQ(first_match("^a", "ba"), "<none>");
  EXPECT_EQ(first_match("^b", "ba"), "b");
  EXPECT_EQ(first_match("a$", "aa\n"), "a");
  EXPECT_EQ(first_match("\\bfoo\\b", "afoo foo"), "foo");
  EXPECT_EQ(split("\\bfoo\\b", "afoo foo"), (Pieces{"foo"}));
  EXPECT_EQ(first_match("\\Bo", "o fo"), "o");
  EXPECT_EQ(first_match("a\\z", "a\n"), "<none>");
}

TEST(Regex, CaseInsensitiveGroups) {
  EXPECT_EQ(first_match("(?i:'s|'ll)", "X'LL"), "'LL");
  EXPECT_EQ(first_match("(?i)abc", "xAbC"), "AbC");
  EXPECT_EQ(first_match("a(?i)b|c", "aB"), "aB");
  EXPECT_EQ(first_match("(?i:a)b", "AB"), "<none>");
  EXPECT_EQ(first_match("(?i)[a-c]+", "xBCa"), "BCa");
  EXPECT_EQ(first_match("(?i)[^a]", "Ab"), "b");
  EXPECT_EQ(first_match("(?i)'s", "'\u017F"), "'\u017F");  // long s folds to s
  EXPECT_EQ(first_match("(?i)k", "\u212A"), "\u212A");     // Kelvin sign folds to k
  EXPECT_EQ(first_match("(?i)σ+", "ΣσςX"), "Σσς");
  EXPECT_EQ(first_match("(?i)я", "Я"), "Я");
  EXPECT_EQ(first_match("(?i)[\\p{Lu}]+", "abC"), "C");  // properties are not case-folded
}

TEST(Regex, CapturingAndNamedGroupsActAsGroups) {
  EXPECT_EQ(first_match("(ab)+", "ababx"), "abab");
  EXPECT_EQ(first_match("(?<word>\\w+)", " hi "), "hi");
}

TEST(Regex, FindStartsAtTheGivenPosition) {
  EXPECT_EQ(first_match("a", "aXa", 1), "a");
  Regex regex = compile_ok("a");
  std::u32string t = u32("aXa");
  size_t b = 0, e = 0;
  ASSERT_TRUE(regex.find(t, 1, &b, &e));
  EXPECT_EQ(b, 2u);
  EXPECT_FALSE(regex.find(t, 3, &b, &e));
  EXPECT_FALSE(regex.find(t, 9, &b, &e));
}

TEST(Regex, FindAllSkipsEmptyMatchRightAfterAMatch) {
  EXPECT_EQ(split("a*", "baac"), (Pieces{"", "aa", ""}));
  EXPECT_EQ(split("x*", ""), (Pieces{""}));
}

TEST(Regex, CompileErrorsNamePatternAndPosition) {
  struct Case {
    const char* pattern;
    const char* fragment;
  };
  const Case cases[] = {
      {"(ab", "missing ')'"},        {"ab)", "unmatched ')'"},
      {"[ab", "missing ']'"},        {"*a", "quantifier"},
      {"a**", "quantifier"},         {"\\p{Foo}", "unknown Unicode property"},
      {"(?<=a)b", "lookbehind"},     {"a\\1", "unsupported escape"},
      {"[z-a]", "out of order"},     {"a{5,2}", "m < n"},
      {"a{2000}", "repeat count"},   {"a++", "possessive"},
      {"(?x)a", "unsupported group flag"}, {"a{2}{3}", "quantifier"},
  };
  for (const Case& c : cases) {
    Result<Regex> regex = Regex::compile(c.pattern);
    ASSERT_FALSE(regex.ok()) << c.pattern;
    const std::string message = regex.error().to_string();
    EXPECT_NE(message.find(c.pattern), std::string::npos) << message;
    EXPECT_NE(message.find("at code point"), std::string::npos) << message;
    EXPECT_NE(message.find(c.fragment), std::string::npos) << message;
  }
  EXPECT_FALSE(Regex::compile("\xFF").ok());
  EXPECT_FALSE(Regex::compile(std::string(100, '(') + std::string(100, ')')).ok());
}

TEST(Regex, CatastrophicBacktrackingHitsTheStepBudget) {
  Regex regex = compile_ok("(?:a|a)*(?:a|a)*(?:a|a)*c");
  std::u32string text(40, U'a');
  size_t b = 0, e = 0;
  Result<bool> r = regex.search(text, 0, &b, &e);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().to_string().find("step budget"), std::string::npos);
  EXPECT_FALSE(regex.find(text, 0, &b, &e));
}

TEST(Regex, LongRunsDoNotOverflowTheStack) {
  Regex regex = compile_ok("(?:a|b)+c|\\p{L}+");
  std::u32string text(200000, U'a');
  size_t b = 0, e = 0;
  ASSERT_TRUE(regex.find(text, 0, &b, &e));
  EXPECT_EQ(e, text.size());
}

TEST(Regex, Utf8ConvenienceUsesByteOffsets) {
  Regex regex = compile_ok("\\p{L}+");
  size_t b = 0, e = 0;
  ASSERT_TRUE(regex.find_utf8("12 héllo", 0, &b, &e));
  EXPECT_EQ(b, 3u);
  EXPECT_EQ(e, 9u);
  EXPECT_FALSE(regex.find_utf8("héllo", 9, &b, &e));
}

TEST(Regex, Utf8ConvenienceTreatsInvalidBytesAsReplacementChar) {
  Regex regex = compile_ok("\\x{FFFD}+");
  size_t b = 0, e = 0;
  // "a", a truncated 3-byte sequence (one U+FFFD), "\xFF" (another), "b".
  ASSERT_TRUE(regex.find_utf8("a\xE5\x8F\xFF" "b", 0, &b, &e));
  EXPECT_EQ(b, 1u);
  EXPECT_EQ(e, 4u);
  DecodedUtf8 d = decode_utf8_with_offsets("a\xE5\x8F\xFF" "b");
  EXPECT_EQ(d.code_points, (std::u32string{U'a', 0xFFFD, 0xFFFD, U'b'}));
  EXPECT_EQ(d.byte_offsets, (std::vector<size_t>{0, 1, 3, 4, 5}));
}

TEST(RegexRealPatterns, Gpt2Splits) {
  EXPECT_EQ(split(kGpt2, "Hello world"), (Pieces{"Hello", " world"}));
  EXPECT_EQ(split(kGpt2, "I'm don't we'll"), (Pieces{"I", "'m", " don", "'t", " we", "'ll"}));
  EXPECT_EQ(split(kGpt2, "a  b   "), (Pieces{"a", " ", " b", "   "}));
  EXPECT_EQ(split(kGpt2, "12345 abc"), (Pieces{"12345", " abc"}));
  EXPECT_EQ(split(kGpt2, "x\r\n\r\ny"), (Pieces{"x", "\r\n\r", "\n", "y"}));
  EXPECT_EQ(split(kGpt2, "中文 😀!!"), (Pieces{"中文", " 😀!!"}));
  EXPECT_EQ(split(kGpt2, "I'M"), (Pieces{"I", "'", "M"}));
}

TEST(RegexRealPatterns, Llama3Splits) {
  EXPECT_EQ(split(kLlama3, "Hello world"), (Pieces{"Hello", " world"}));
  EXPECT_EQ(split(kLlama3, "I'M don'T"), (Pieces{"I", "'M", " don", "'T"}));
  EXPECT_EQ(split(kLlama3, "1234567"), (Pieces{"123", "456", "7"}));
  EXPECT_EQ(split(kLlama3, "a  b   "), (Pieces{"a", " ", " b", "   "}));
  EXPECT_EQ(split(kLlama3, "x\r\n\r\ny"), (Pieces{"x", "\r\n\r\n", "y"}));
  EXPECT_EQ(split(kLlama3, "a.\n\nb"), (Pieces{"a", ".\n\n", "b"}));
  EXPECT_EQ(split(kLlama3, "中文,世界"), (Pieces{"中文", ",世界"}));
  EXPECT_EQ(split(kLlama3, " 😀😀 ok"), (Pieces{" 😀😀", " ok"}));
  EXPECT_EQ(split(kLlama3, "end  \n  "), (Pieces{"end", "  \n", "  "}));
}

TEST(RegexRealPatterns, Qwen2SplitsDigitsOneByOne) {
  EXPECT_EQ(split(kQwen2, "x 2024!"), (Pieces{"x", " ", "2", "0", "2", "4", "!"}));
  EXPECT_EQ(split(kQwen2, "You're"), (Pieces{"You", "'re"}));
}

TEST(RegexRealPatterns, CasedWordPattern) {
  EXPECT_EQ(split(kCasedWords, "HelloWorld"), (Pieces{"Hello", "World"}));
  EXPECT_EQ(split(kCasedWords, " ABCdef's x"), (Pieces{" ABCdef's", " x"}));
  EXPECT_EQ(split(kCasedWords, "cafe\u0301"), (Pieces{"cafe\u0301"}));
}

}  // namespace
}  // namespace aae::tokenizer
