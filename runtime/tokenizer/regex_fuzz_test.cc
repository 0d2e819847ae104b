// Random patterns: the parser and matcher must never crash or hang, matches must be in bounds,
// and (when built with PCRE2) patterns both engines accept must match the same spans.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "runtime/tokenizer/regex.h"
#include "runtime/tokenizer/utf8.h"

#ifdef AAE_HAVE_PCRE2
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#endif

namespace aae::tokenizer {
namespace {

// Pattern fragments, valid and invalid alike. Left out: \w and \b (see regex_oracle_test.cc)
// and {,n}, which Oniguruma reads as {0,n} (as we do) but PCRE2 before 10.43 as literal text.
const char* const kFragments[] = {
    "a", "b", "'", " ", "\\s", "\\S", "\\d", "\\p{L}", "\\p{N}", "\\P{L}", "[^\\s\\p{L}]",
    "[a-c]", "[\\r\\n]", ".", "(", ")", "(?:", "(?i:", "(?i)", "(?=", "(?!", "(?>", "|", "*",
    "+", "?", "*?", "+?", "??", "{2}", "{1,3}", "{2,}?", "^", "$", "\\", "[", "]", "{",
    "}", "-", "\\x{3000}", "\\n",
};

const char32_t kText[] = {'a', 'b', 'A', 'c', '\'', ' ', ' ', '\n', '\r', '1', '2', '-', '.',
                          0x3000, 0xE9, 0x4E2D, 0x1F600, 0x301, 0x17F, '{', '}'};

#ifdef AAE_HAVE_PCRE2
struct Pcre2 {
  pcre2_code* code = nullptr;
  pcre2_match_data* data = nullptr;
  explicit Pcre2(const std::string& pattern) {
    int err = 0;
    PCRE2_SIZE offset = 0;
    code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                         // NO_START_OPTIMIZE: PCRE2 10.42's start-of-match optimization
                         // misses the match of (?=\n)\P{L}?\n in "a\nb"; it does not change
                         // what a correct engine matches.
                         PCRE2_UTF | PCRE2_UCP | PCRE2_NO_START_OPTIMIZE, &err, &offset,
                         nullptr);
    if (code) data = pcre2_match_data_create_from_pattern(code, nullptr);
  }
  ~Pcre2() {
    pcre2_match_data_free(data);
    pcre2_code_free(code);
  }
  int find(const std::string& subject, size_t start, size_t* begin, size_t* end) const {
    int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(),
                         start, 0, data, nullptr);
    if (rc < 0) return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
    PCRE2_SIZE* ov = pcre2_get_ovector_pointer(data);
    *begin = ov[0];
    *end = ov[1];
    return 1;
  }
};
#endif

TEST(RegexFuzz, RandomPatternsNeverCrashAndMatchPcre2) {
  std::mt19937 rng(777);
  std::uniform_int_distribution<size_t> fragment(0, std::size(kFragments) - 1);
  std::uniform_int_distribution<size_t> text_char(0, std::size(kText) - 1);
  std::uniform_int_distribution<int> pattern_length(1, 8);
  std::uniform_int_distribution<int> text_length(0, 12);
  int compiled = 0, compared = 0, mismatches = 0;
  for (int round = 0; round < 50000 && mismatches < 5; ++round) {
    std::string pattern;
    for (int i = pattern_length(rng); i > 0; --i) pattern += kFragments[fragment(rng)];
    Result<Regex> regex = Regex::compile(pattern);
    if (!regex.ok()) {
      EXPECT_FALSE(regex.error().message().empty());
      continue;
    }
    ++compiled;
    regex->set_step_budget(20000);
#ifdef AAE_HAVE_PCRE2
    Pcre2 oracle(pattern);
#endif
    for (int t = 0; t < 4; ++t) {
      std::u32string text;
      for (int i = text_length(rng); i > 0; --i) text += kText[text_char(rng)];
      auto all = regex->find_all(text);
      if (all.ok()) {
        size_t prev_end = 0;
        for (auto [b, e] : all.value()) {
          ASSERT_LE(b, e);
          ASSERT_LE(e, text.size());
          ASSERT_GE(b, prev_end);
          prev_end = e;
        }
      }
#ifdef AAE_HAVE_PCRE2
      // A "\\" fragment followed by "b" makes \b, whose \w differs (see above).
      if (!oracle.code || pattern.find("\\b") != std::string::npos) continue;
      std::string bytes;
      std::vector<size_t> offsets;
      for (char32_t c : text) {
        offsets.push_back(bytes.size());
        append_utf8(bytes, c);
      }
      offsets.push_back(bytes.size());
      for (size_t start = 0; start <= text.size(); ++start) {
        size_t b = 0, e = 0, pb = 0, pe = 0;
        Result<bool> ours = regex->search(text, start, &b, &e);
        int theirs = oracle.find(bytes, offsets[start], &pb, &pe);
        if (!ours.ok() || theirs < 0) continue;  // a budget or limit ran out: not comparable
        ++compared;
        bool same = ours.value() == (theirs == 1) &&
                    (!ours.value() || (offsets[b] == pb && offsets[e] == pe));
        if (!same) {
          ++mismatches;
          ADD_FAILURE() << "pattern " << pattern << " start " << start << ": ours "
                        << (ours.value() ? std::to_string(offsets[b]) + ".." +
                                               std::to_string(offsets[e])
                                         : "none")
                        << ", pcre2 "
                        << (theirs == 1 ? std::to_string(pb) + ".." + std::to_string(pe)
                                        : "none");
          break;
        }
      }
#endif
    }
  }
  EXPECT_GT(compiled, 1000);
#ifdef AAE_HAVE_PCRE2
  EXPECT_GT(compared, 10000);
#endif
}

}  // namespace
}  // namespace aae::tokenizer
