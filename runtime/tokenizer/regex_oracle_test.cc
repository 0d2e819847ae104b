// Differential test: our regex engine against PCRE2 (UTF + UCP) on random strings. PCRE2 is a
// test-only dependency; without it (AAE_HAVE_PCRE2 unset) the test skips.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "runtime/tokenizer/regex.h"
#include "runtime/tokenizer/utf8.h"
#include "tests/support/test_support.h"

#ifdef AAE_HAVE_PCRE2
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#endif

namespace aae::tokenizer {
namespace {

const char* const kPatterns[] = {
    // GPT-2
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
    // Llama-3
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+"
    "[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    // Qwen2
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+"
    "[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    // Cased-word pattern (e.g. GLM/Phi style)
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+"
    "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}"
    "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    // Other constructs: lazy, counted groups, lookahead, classes with ranges. (\\w and \\b are
    // left out: our \\w follows Oniguruma (L, M, Nd, Nl, Pc), PCRE2 before 10.43 uses L, N, _.)
    "[\\p{L}\\p{N}]+?(?![\\p{L}])|[a-f]{2,3}?x|(?:ab|a)+c|\\d{2}(?=\\D)|[^\\x{3000}\\s]{1,4}"
    "|(?i:[a-c]+|\\x{3C3})|\\S*?[.!?]",
};

// Pieces biased toward what tokenizer patterns care about. U+180E is left out on purpose:
// PCRE2's \s includes it (via \h) while White_Space (Oniguruma, Rust) does not.
const char32_t kAlphabet[] = {
    'a', 'b', 'c', 'x', 'A', 'B', 'Z', 's', 't', 'r', 'e', 'v', 'm', 'l', 'd', 'S', 'T', 'L',
    'D', 'M', '\'', '\'', '\'', '0', '1', '9', ' ', ' ', ' ', ' ', '\t', '\n', '\r', '\n', '.',
    ',', '!', '?', '-', '_', '/', '$', 0x3000, 0x00A0, 0x2028, 0x0085, 0x000B, 0x000C,
    0x00E9, 0x00DF, 0x03A9, 0x03C2, 0x0436, 0x4E2D, 0x6587, 0x30A2, 0xD55C, 0x0663, 0x00BD,
    0x216B, 0x00B2, 0x0301, 0x0308, 0x0903, 0x1F600, 0x1F44D, 0x200D, 0x017F, 0x212A, 0xFFFD,
    0x01C5, 0x02B0, 0x00AA, 0x2019, 0x3001, 0x0000, 0x001C, 0x00AD,
};

#ifdef AAE_HAVE_PCRE2

struct Pcre2 {
  pcre2_code* code = nullptr;
  pcre2_match_data* data = nullptr;
  explicit Pcre2(const char* pattern) {
    int err = 0;
    PCRE2_SIZE offset = 0;
    code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern), PCRE2_ZERO_TERMINATED,
                         PCRE2_UTF | PCRE2_UCP, &err, &offset, nullptr);
    if (code) data = pcre2_match_data_create_from_pattern(code, nullptr);
  }
  ~Pcre2() {
    pcre2_match_data_free(data);
    pcre2_code_free(code);
  }
  // Byte offsets of the leftmost match at or after `start`, or false.
  bool find(const std::string& subject, size_t start, size_t* begin, size_t* end) const {
    int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(),
                         start, 0, data, nullptr);
    if (rc < 0) return false;
    PCRE2_SIZE* ov = pcre2_get_ovector_pointer(data);
    *begin = ov[0];
    *end = ov[1];
    return true;
  }
};

std::string describe(const std::u32string& text) {
  std::string out;
  for (char32_t c : text) {
    if (c >= 0x20 && c < 0x7F) out += static_cast<char>(c);
    else {
      char hex[16];
      std::snprintf(hex, sizeof(hex), "\\x{%X}", static_cast<unsigned>(c));
      out += hex;
    }
  }
  return out;
}

TEST(RegexOracle, AgreesWithPcre2OnRandomStrings) {
  std::mt19937 rng(12345);
  std::uniform_int_distribution<size_t> pick(0, std::size(kAlphabet) - 1);
  std::uniform_int_distribution<size_t> length(0, 32);
  size_t comparisons = 0;
  for (const char* pattern : kPatterns) {
    Pcre2 oracle(pattern);
    ASSERT_NE(oracle.code, nullptr) << pattern;
    Result<Regex> regex = Regex::compile(pattern);
    ASSERT_TRUE(regex.ok()) << regex.error().to_string();
    int failures = 0;
    for (int round = 0; round < 4000 && failures < 5; ++round) {
      std::u32string text;
      size_t n = length(rng);
      for (size_t i = 0; i < n; ++i) text += kAlphabet[pick(rng)];
      std::string bytes;
      std::vector<size_t> offsets;  // code point index -> byte offset
      for (char32_t c : text) {
        offsets.push_back(bytes.size());
        append_utf8(bytes, c);
      }
      offsets.push_back(bytes.size());
      for (size_t start = 0; start <= text.size(); ++start) {
        size_t b = 0, e = 0, pb = 0, pe = 0;
        bool ours = regex->find(text, start, &b, &e);
        bool theirs = oracle.find(bytes, offsets[start], &pb, &pe);
        ++comparisons;
        bool same = ours == theirs && (!ours || (offsets[b] == pb && offsets[e] == pe));
        if (!same) {
          ++failures;
          ADD_FAILURE() << "pattern " << pattern << "\ntext " << describe(text) << "\nstart "
                        << start << ": ours " << (ours ? std::to_string(offsets[b]) + ".." +
                                                             std::to_string(offsets[e])
                                                       : "none")
                        << ", pcre2 "
                        << (theirs ? std::to_string(pb) + ".." + std::to_string(pe) : "none");
          break;
        }
      }
    }
  }
  EXPECT_GT(comparisons, 10000u);
}

// llama.cpp's tokenizer test inputs (tricky real-world strings: whitespace runs, CJK, emoji,
// code, contractions), compared from every start position.
TEST(RegexOracle, AgreesWithPcre2OnLlamaCppVocabInputs) {
  AAE_REQUIRE_TESTDATA(testdata);
  const std::filesystem::path dir = testdata / "llamacpp-vocab";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no " << dir;
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".inp") continue;
    ++files;
    const std::string bytes = aae::testing::read_file(entry.path());
    ASSERT_TRUE(is_valid_utf8(bytes)) << entry.path();
    DecodedUtf8 decoded = decode_utf8_with_offsets(bytes);
    for (const char* pattern : kPatterns) {
      Pcre2 oracle(pattern);
      Result<Regex> regex = Regex::compile(pattern);
      ASSERT_TRUE(regex.ok());
      for (size_t start = 0; start <= decoded.code_points.size(); ++start) {
        size_t b = 0, e = 0, pb = 0, pe = 0;
        bool ours = regex->find(decoded.code_points, start, &b, &e);
        bool theirs = oracle.find(bytes, decoded.byte_offsets[start], &pb, &pe);
        ASSERT_EQ(ours, theirs) << entry.path() << " start " << start << " " << pattern;
        if (ours) {
          ASSERT_EQ(decoded.byte_offsets[b], pb) << entry.path() << " start " << start;
          ASSERT_EQ(decoded.byte_offsets[e], pe) << entry.path() << " start " << start;
        }
      }
    }
  }
  EXPECT_GT(files, 0u);
}

#else

TEST(RegexOracle, AgreesWithPcre2OnRandomStrings) {
  GTEST_SKIP() << "built without libpcre2-8 (pkg-config); the oracle comparison did not run";
}

#endif

}  // namespace
}  // namespace aae::tokenizer
