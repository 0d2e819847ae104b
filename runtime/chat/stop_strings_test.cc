// The stop-string holdback on synthetic token streams: whatever way the text is split into
// pieces, the released text never contains a stop string, equals the text before the first
// stop string, and nothing is released that could still become one.
#include "runtime/chat/stop_strings.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace aae {
namespace {

struct FilterRun {
  std::vector<std::string> deltas;  // non-empty releases, in order
  std::string text;                 // their concatenation (+ flush)
  bool stopped = false;
};

FilterRun run_filter(const std::vector<std::string>& stops,
                     const std::vector<std::string>& pieces) {
  StopStringFilter filter(stops);
  FilterRun r;
  for (const auto& piece : pieces) {
    const std::string out = filter.push(piece);
    if (!out.empty()) r.deltas.push_back(out);
    r.text += out;
    if (filter.stopped()) break;
  }
  const std::string rest = filter.flush();
  if (!rest.empty()) r.deltas.push_back(rest);
  r.text += rest;
  r.stopped = filter.stopped();
  return r;
}

TEST(StopStringFilter, StopSplitOverTokensNeverLeaks) {
  const FilterRun r = run_filter({"[INST]"}, {"Hi", " there", " [", "IN", "ST", "] more"});
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.text, "Hi there ");
  for (const auto& d : r.deltas) EXPECT_EQ(d.find('['), std::string::npos) << d;
}

TEST(StopStringFilter, HoldsBackAPossiblePrefixUntilItCannotBeOne) {
  StopStringFilter filter({"</s>"});
  EXPECT_EQ(filter.push("a <"), "a ");
  EXPECT_EQ(filter.push("/"), "");
  EXPECT_EQ(filter.push("b"), "</b");  // not a stop after all: released at once
  EXPECT_FALSE(filter.stopped());
  EXPECT_EQ(filter.push("</"), "");
  EXPECT_EQ(filter.flush(), "</");  // the end: the held-back tail is plain text
}

TEST(StopStringFilter, StopInsideOnePieceCutsThere) {
  const FilterRun r = run_filter({"\n\n"}, {"line one\n\nline two"});
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.text, "line one");
}

TEST(StopStringFilter, EarliestOfSeveralStopsWins) {
  const FilterRun r = run_filter({"world", "lo w"}, {"hel", "lo wor", "ld"});
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.text, "hel");
}

TEST(StopStringFilter, StopAtTheVeryStartGivesNothing) {
  const FilterRun r = run_filter({"User:"}, {"Us", "er:", " hi"});
  EXPECT_TRUE(r.stopped);
  EXPECT_TRUE(r.deltas.empty());
  EXPECT_EQ(r.text, "");
}

TEST(StopStringFilter, AfterAStopPushesAndFlushReleaseNothing) {
  StopStringFilter filter({"x"});
  EXPECT_EQ(filter.push("abxcd"), "ab");
  EXPECT_EQ(filter.push("more"), "");
  EXPECT_EQ(filter.flush(), "");
}

TEST(StopStringFilter, NoStopsPassesEverythingThroughAtOnce) {
  StopStringFilter filter({"", ""});  // empty stop strings are ignored
  EXPECT_EQ(filter.push("abc"), "abc");
  EXPECT_EQ(filter.flush(), "");
  EXPECT_FALSE(filter.stopped());
}

TEST(StopStringFilter, MultibyteStopAndTextStayWholeCharacters) {
  // "→" is E2 86 92; the text's "—" (E2 80 94) shares its first byte.
  const FilterRun r = run_filter({"\xE2\x86\x92"}, {"a\xE2\x80\x94", "b\xE2\x86\x92" "c"});
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.text, "a\xE2\x80\x94" "b");
}

// Every way of cutting a text into three pieces gives the same released text, and no delta
// or concatenation contains a stop string.
TEST(StopStringFilter, EverySplitOfAStreamGivesTheSameText) {
  const std::string text = "Sure. <|im_end|> hidden";
  const std::vector<std::string> stops = {"<|im_end|>", "User:"};
  for (size_t i = 0; i <= text.size(); ++i) {
    for (size_t j = i; j <= text.size(); ++j) {
      const FilterRun r =
          run_filter(stops, {text.substr(0, i), text.substr(i, j - i), text.substr(j)});
      ASSERT_TRUE(r.stopped) << i << "," << j;
      ASSERT_EQ(r.text, "Sure. ") << i << "," << j;
      for (const auto& d : r.deltas) ASSERT_EQ(d.find('<'), std::string::npos) << d;
    }
  }
}

}  // namespace
}  // namespace aae
