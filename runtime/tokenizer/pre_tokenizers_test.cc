#include "runtime/tokenizer/pre_tokenizers.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace aae::tokenizer {
namespace {

using Pieces = std::vector<std::string>;

PreTokenizer from_json_ok(std::string_view text) {
  Result<json::Value> value = json::parse(text);
  EXPECT_TRUE(value.ok());
  Result<PreTokenizer> pre = PreTokenizer::from_json(value.value(), "pre_tokenizer");
  EXPECT_TRUE(pre.ok()) << (pre.ok() ? "" : pre.error().to_string());
  if (!pre.ok()) return PreTokenizer::whitespace();
  return std::move(pre).value();
}

std::string from_json_error(std::string_view text) {
  Result<json::Value> value = json::parse(text);
  EXPECT_TRUE(value.ok());
  Result<PreTokenizer> pre = PreTokenizer::from_json(value.value(), "pre_tokenizer");
  EXPECT_FALSE(pre.ok());
  return pre.ok() ? "" : pre.error().to_string();
}

TEST(PreTokenizer, ByteLevelSplitsWithGpt2PatternAndMapsBytes) {
  PreTokenizer pre = PreTokenizer::byte_level(/*add_prefix_space=*/true);
  EXPECT_EQ(pre.pre_tokenize("Hello my friend, how is your day going?"),
            (Pieces{"ĠHello", "Ġmy", "Ġfriend", ",", "Ġhow", "Ġis", "Ġyour", "Ġday", "Ġgoing",
                    "?"}));
  EXPECT_EQ(pre.pre_tokenize(" x"), (Pieces{"Ġx"}));  // no second prefix space
  PreTokenizer no_prefix = PreTokenizer::byte_level(false);
  EXPECT_EQ(no_prefix.pre_tokenize("a\nb  é"), (Pieces{"a", "Ċ", "b", "Ġ", "ĠÃ©"}));
  EXPECT_EQ(no_prefix.pre_tokenize(""), Pieces{});
}

TEST(PreTokenizer, ByteLevelWithoutRegexOnlyMapsBytes) {
  PreTokenizer pre = PreTokenizer::byte_level(false, /*use_regex=*/false);
  EXPECT_EQ(pre.pre_tokenize("a b\n"), (Pieces{"aĠbĊ"}));
}

TEST(PreTokenizer, SplitBehaviors) {
  const std::string text = "the-final--countdown";
  auto run = [&](SplitBehavior behavior) {
    return PreTokenizer::split_string("-", behavior).pre_tokenize(text);
  };
  EXPECT_EQ(run(SplitBehavior::kRemoved), (Pieces{"the", "final", "countdown"}));
  EXPECT_EQ(run(SplitBehavior::kIsolated), (Pieces{"the", "-", "final", "-", "-", "countdown"}));
  EXPECT_EQ(run(SplitBehavior::kMergedWithPrevious),
            (Pieces{"the-", "final-", "-", "countdown"}));
  EXPECT_EQ(run(SplitBehavior::kMergedWithNext), (Pieces{"the", "-final", "-", "-countdown"}));
  EXPECT_EQ(run(SplitBehavior::kContiguous), (Pieces{"the", "-", "final", "--", "countdown"}));
}

TEST(PreTokenizer, SplitInvertKeepsMatches) {
  Result<PreTokenizer> pre = PreTokenizer::split_regex("\\d+", SplitBehavior::kRemoved, true);
  ASSERT_TRUE(pre.ok());
  EXPECT_EQ(pre->pre_tokenize("a12b3"), (Pieces{"12", "3"}));
  PreTokenizer merged = PreTokenizer::split_string("-", SplitBehavior::kMergedWithPrevious, true);
  EXPECT_EQ(merged.pre_tokenize("ab-c"), (Pieces{"ab", "-c"}));
}

TEST(PreTokenizer, SplitRegexFromJsonLlama3Style) {
  PreTokenizer pre = from_json_ok(R"({"type":"Sequence","pretokenizers":[
    {"type":"Split","pattern":{"Regex":"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
     "behavior":"Isolated","invert":false},
    {"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":false}]})");
  EXPECT_EQ(pre.pre_tokenize("Hello world's 1234\n\n"),
            (Pieces{"Hello", "Ġworld", "'s", "Ġ", "123", "4", "ĊĊ"}));
}

TEST(PreTokenizer, MetaspaceReplacesAndSplits) {
  PreTokenizer pre = PreTokenizer::metaspace();
  EXPECT_EQ(pre.pre_tokenize("Hey friend!"), (Pieces{"▁Hey", "▁friend!"}));
  EXPECT_EQ(pre.pre_tokenize("Hey   friend!"), (Pieces{"▁Hey", "▁", "▁", "▁friend!"}));
  EXPECT_EQ(pre.pre_tokenize(" Hey"), (Pieces{"▁Hey"}));
  EXPECT_EQ(pre.pre_tokenize("Hey", /*is_first_section=*/false), (Pieces{"▁Hey"}));
  PreTokenizer unsplit = PreTokenizer::metaspace(0x2581, PrependScheme::kAlways, false);
  EXPECT_EQ(unsplit.pre_tokenize("Hey friend!"), (Pieces{"▁Hey▁friend!"}));
}

TEST(PreTokenizer, MetaspacePrependSchemes) {
  PreTokenizer first = PreTokenizer::metaspace(0x2581, PrependScheme::kFirst);
  EXPECT_EQ(first.pre_tokenize("Hey friend"), (Pieces{"▁Hey", "▁friend"}));
  EXPECT_EQ(first.pre_tokenize("Hey friend", false), (Pieces{"Hey", "▁friend"}));
  PreTokenizer never = PreTokenizer::metaspace(0x2581, PrependScheme::kNever);
  EXPECT_EQ(never.pre_tokenize("Hey friend"), (Pieces{"Hey", "▁friend"}));
  // In a sequence, "first" only applies to the piece at the start of the input.
  PreTokenizer seq = PreTokenizer::sequence(
      {PreTokenizer::split_string("-", SplitBehavior::kRemoved), first});
  EXPECT_EQ(seq.pre_tokenize("a-b"), (Pieces{"▁a", "b"}));
}

TEST(PreTokenizer, MetaspaceFromJsonLegacyAndModern) {
  EXPECT_EQ(from_json_ok(R"({"type":"Metaspace","replacement":"_","add_prefix_space":false})")
                .pre_tokenize("a b"),
            (Pieces{"a", "_b"}));
  EXPECT_EQ(from_json_ok(R"({"type":"Metaspace","replacement":"▁","prepend_scheme":"first",
                             "split":false})")
                .pre_tokenize("a b", false),
            (Pieces{"a▁b"}));
}

TEST(PreTokenizer, WhitespaceKeepsWordsAndPunctuationRuns) {
  PreTokenizer pre = PreTokenizer::whitespace();
  EXPECT_EQ(pre.pre_tokenize("How are you doing?"),
            (Pieces{"How", "are", "you", "doing", "?"}));
  EXPECT_EQ(pre.pre_tokenize("Hey man!!, héllo_1"), (Pieces{"Hey", "man", "!!,", "héllo_1"}));
  EXPECT_EQ(pre.pre_tokenize("\n"), Pieces{});
}

TEST(PreTokenizer, WhitespaceSplitSplitsOnWhiteSpaceOnly) {
  EXPECT_EQ(PreTokenizer::whitespace_split().pre_tokenize("Hey man!\u3000x\t y"),
            (Pieces{"Hey", "man!", "x", "y"}));
}

TEST(PreTokenizer, PunctuationIsolatesEachCharacter) {
  EXPECT_EQ(PreTokenizer::punctuation().pre_tokenize("Hey friend!     How are you?!?"),
            (Pieces{"Hey friend", "!", "     How are you", "?", "!", "?"}));
  EXPECT_EQ(PreTokenizer::punctuation(SplitBehavior::kContiguous).pre_tokenize("a?!b$"),
            (Pieces{"a", "?!", "b", "$"}));
  EXPECT_EQ(PreTokenizer::punctuation().pre_tokenize("a、b"), (Pieces{"a", "、", "b"}));
}

TEST(PreTokenizer, DigitsContiguousOrIndividual) {
  EXPECT_EQ(PreTokenizer::digits(false).pre_tokenize("Hey 123 friend!"),
            (Pieces{"Hey ", "123", " friend!"}));
  EXPECT_EQ(PreTokenizer::digits(true).pre_tokenize("Hey 123 friend!"),
            (Pieces{"Hey ", "1", "2", "3", " friend!"}));
}

TEST(PreTokenizer, BertSplitsWhitespaceThenPunctuation) {
  EXPECT_EQ(PreTokenizer::bert().pre_tokenize("Hey friend!     How are you?!?"),
            (Pieces{"Hey", "friend", "!", "How", "are", "you", "?", "!", "?"}));
}

TEST(PreTokenizer, CharDelimiterSplitRemovesDelimiter) {
  EXPECT_EQ(from_json_ok(R"({"type":"CharDelimiterSplit","delimiter":"|"})")
                .pre_tokenize("a|b||c"),
            (Pieces{"a", "b", "c"}));
}

TEST(PreTokenizer, SequenceAppliesEachStepToEveryPiece) {
  PreTokenizer pre = from_json_ok(R"({"type":"Sequence","pretokenizers":[
      {"type":"WhitespaceSplit"},{"type":"Digits","individual_digits":true},
      {"type":"Punctuation","behavior":"Isolated"}]})");
  EXPECT_EQ(pre.pre_tokenize("ab12 c,d"), (Pieces{"ab", "1", "2", "c", ",", "d"}));
}

TEST(PreTokenizer, FromJsonReadsByteLevelDefaults) {
  PreTokenizer pre = from_json_ok(R"({"type":"ByteLevel"})");
  EXPECT_EQ(pre.kind(), PreTokenizer::Kind::kByteLevel);
  EXPECT_EQ(pre.pre_tokenize("hi"), (Pieces{"Ġhi"}));
}

TEST(PreTokenizer, FromJsonErrorsNameThePath) {
  EXPECT_NE(from_json_error(R"({"type":"UnicodeScripts"})").find("pre_tokenizer.type"),
            std::string::npos);
  EXPECT_NE(from_json_error(R"({"type":"Split","pattern":{"String":"-"},"behavior":"Oops"})")
                .find("pre_tokenizer.behavior"),
            std::string::npos);
  std::string bad_regex =
      from_json_error(R"({"type":"Split","pattern":{"Regex":"(a"},"behavior":"Isolated"})");
  EXPECT_NE(bad_regex.find("pre_tokenizer.pattern.Regex"), std::string::npos) << bad_regex;
  EXPECT_NE(bad_regex.find("missing ')'"), std::string::npos) << bad_regex;
  EXPECT_NE(from_json_error(R"({"type":"Sequence","pretokenizers":[{"type":"Nope"}]})")
                .find("pretokenizers[0]"),
            std::string::npos);
  EXPECT_NE(from_json_error(R"({"type":"Metaspace","replacement":"ab"})").find("replacement"),
            std::string::npos);
  EXPECT_NE(from_json_error(R"({"type":"Metaspace","prepend_scheme":"sometimes"})")
                .find("prepend_scheme"),
            std::string::npos);
}

TEST(PreTokenizer, InvalidUtf8PassesThroughByteLevel) {
  // "\xFF" is one U+FFFD for matching; ByteLevel maps the original byte (0xFF -> U+00FF).
  EXPECT_EQ(PreTokenizer::byte_level(false).pre_tokenize("a\xFF"), (Pieces{"a", "ÿ"}));
}

}  // namespace
}  // namespace aae::tokenizer
