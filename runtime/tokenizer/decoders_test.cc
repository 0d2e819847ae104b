// Each decoder type on hand-written tokenizer.json snippets. Expected values follow the Rust
// `tokenizers` library's behaviour (see decoders.h for the rules).
#include "runtime/tokenizer/decoders.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace aae::tokenizer {
namespace {

using Tokens = std::vector<std::string>;
const std::string kFffd = "\xEF\xBF\xBD";

Decoder parse_decoder(std::string_view text) {
  auto value = json::parse(text);
  EXPECT_TRUE(value.ok()) << value.error().to_string();
  auto decoder = Decoder::from_json(*value, "decoder");
  EXPECT_TRUE(decoder.ok()) << text << " -> " << decoder.error().to_string();
  if (!decoder.ok()) return *Decoder::from_json(*json::parse(R"({"type":"Fuse"})"), "decoder");
  return std::move(decoder).value();
}

std::string parse_error(std::string_view text) {
  auto value = json::parse(text);
  EXPECT_TRUE(value.ok()) << value.error().to_string();
  auto decoder = Decoder::from_json(*value, "decoder");
  EXPECT_FALSE(decoder.ok()) << "parsed unexpectedly: " << text;
  return decoder.ok() ? "" : decoder.error().to_string();
}

TEST(ByteLevelDecoder, MapsAlphabetBackToBytesAcrossTokens) {
  const Decoder d = parse_decoder(R"({"type":"ByteLevel","add_prefix_space":true})");
  EXPECT_EQ(d.decode({"Hello", "\xC4\xA0world", "\xC4\x8A"}), "Hello world\n");
  // "é" is C3 A9, spelled "Ã" "©" in the alphabet; split over two tokens it still joins.
  EXPECT_EQ(d.decode({"\xC3\x83", "\xC2\xA9"}), "\xC3\xA9");
  EXPECT_EQ(d.decode_chain({"a", "b", "c"}), Tokens{"abc"});
}

TEST(ByteLevelDecoder, InvalidBytesBecomeOneReplacementPerSubpart) {
  const Decoder d = parse_decoder(R"({"type":"ByteLevel"})");
  // "Ã" alone is the lone lead byte C3.
  EXPECT_EQ(d.decode({"\xC3\x83", "a"}), kFffd + "a");
  // E5 8F (a truncated 3-byte sequence; E5 is spelled "å", 8F is remapped to U+0131 "ı")
  // is a single maximal subpart.
  EXPECT_EQ(d.decode({"\xC3\xA5", "\xC4\xB1", "!"}), kFffd + "!");
}

TEST(ByteLevelDecoder, TokenOutsideAlphabetKeepsItsOwnText) {
  const Decoder d = parse_decoder(R"({"type":"ByteLevel"})");
  EXPECT_EQ(d.decode({"\xC4\xA0x", "\xE6\x97\xA5 y"}), " x\xE6\x97\xA5 y");
}

TEST(ByteFallbackDecoder, ByteRunsDecodeAsUtf8OrOneReplacementPerByte) {
  const Decoder d = parse_decoder(R"({"type":"ByteFallback"})");
  EXPECT_EQ(d.decode_chain({"Hey", "friend!"}), (Tokens{"Hey", "friend!"}));
  EXPECT_EQ(d.decode_chain({"<0x61>"}), Tokens{"a"});
  EXPECT_EQ(d.decode_chain({"<0xE5>", "<0x8f>", "<0xab>", "a"}),
            (Tokens{"\xE5\x8F\xAB", "a"}));  // 叫, lowercase hex accepted
  EXPECT_EQ(d.decode_chain({"<0xE5>", "<0x8f>", "a"}), (Tokens{kFffd, kFffd, "a"}));
  EXPECT_EQ(d.decode_chain({"<0xE5>"}), Tokens{kFffd});
  // Not byte tokens: wrong length, bad hex.
  EXPECT_EQ(d.decode_chain({"<0x0A0>", "<0xZZ>"}), (Tokens{"<0x0A0>", "<0xZZ>"}));
}

TEST(FuseDecoder, JoinsAllTokensIntoOne) {
  const Decoder d = parse_decoder(R"({"type":"Fuse"})");
  EXPECT_EQ(d.decode_chain({"a", " b", "c"}), Tokens{"a bc"});
}

TEST(StripDecoder, CutsUpToStartAndStopCopiesPerToken) {
  const Decoder h = parse_decoder(R"({"type":"Strip","content":"H","start":1,"stop":0})");
  EXPECT_EQ(h.decode_chain({"Hey", " friend!", "HHH"}), (Tokens{"ey", " friend!", "HH"}));
  const Decoder y = parse_decoder(R"({"type":"Strip","content":"y","start":0,"stop":1})");
  EXPECT_EQ(y.decode_chain({"Hey", " friend!"}), (Tokens{"He", " friend!"}));
  const Decoder sp = parse_decoder(R"({"type":"Strip","content":" ","start":2,"stop":2})");
  EXPECT_EQ(sp.decode_chain({"   a   ", "    "}), (Tokens{" a ", ""}));
}

TEST(StripDecoder, ContentMustBeOneCharacter) {
  EXPECT_NE(parse_error(R"({"type":"Strip","content":"ab","start":1,"stop":0})")
                .find("decoder.content: expected exactly one character"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"type":"Strip","content":" ","start":1})").find("stop"),
            std::string::npos);
}

TEST(ReplaceDecoder, ReplacesEveryLiteralOccurrencePerToken) {
  const Decoder d =
      parse_decoder(R"({"type":"Replace","pattern":{"String":"▁"},"content":" "})");
  EXPECT_EQ(d.decode_chain({"▁Hello", "▁▁world▁"}), (Tokens{" Hello", "  world "}));
}

TEST(ReplaceDecoder, RegexPatternIsRejectedClearly) {
  EXPECT_NE(parse_error(R"({"type":"Replace","pattern":{"Regex":"\\s+"},"content":" "})")
                .find("Regex patterns are not supported"),
            std::string::npos);
}

TEST(MetaspaceDecoder, DropsEveryReplacementOfTheFirstTokenOnly) {
  const Decoder d =
      parse_decoder(R"({"type":"Metaspace","replacement":"▁","prepend_scheme":"always"})");
  EXPECT_EQ(d.decode({"▁Hey", "▁friend!"}), "Hey friend!");
  // HF removes all replacement characters of token 0, not just the leading one.
  EXPECT_EQ(d.decode_chain({"▁▁a▁", "▁b"}), (Tokens{"a", " b"}));
  const Decoder first =
      parse_decoder(R"({"type":"Metaspace","replacement":"▁","prepend_scheme":"first"})");
  EXPECT_EQ(first.decode({"▁Hey", "▁friend!"}), "Hey friend!");
}

TEST(MetaspaceDecoder, NeverSchemeAndLegacyFlagKeepSpaces) {
  const Decoder never =
      parse_decoder(R"({"type":"Metaspace","replacement":"▁","prepend_scheme":"never"})");
  EXPECT_EQ(never.decode({"▁Hey", "▁friend!"}), " Hey friend!");
  const Decoder legacy =
      parse_decoder(R"({"type":"Metaspace","replacement":"_","add_prefix_space":false})");
  EXPECT_EQ(legacy.decode({"_Hey", "_friend!"}), " Hey friend!");
  const Decoder legacy_true =
      parse_decoder(R"({"type":"Metaspace","replacement":"_","add_prefix_space":true})");
  EXPECT_EQ(legacy_true.decode({"_Hey", "_friend!"}), "Hey friend!");
  EXPECT_NE(parse_error(R"({"type":"Metaspace","replacement":"▁","prepend_scheme":"x"})")
                .find("prepend_scheme"),
            std::string::npos);
}

TEST(WordPieceDecoder, JoinsContinuationsAndCleansUp) {
  const Decoder d = parse_decoder(R"({"type":"WordPiece","prefix":"##","cleanup":true})");
  EXPECT_EQ(d.decode({"##hel", "##lo", "world", ",", "do", "n't", "!"}),
            "##hello world, don't!");
  const Decoder raw = parse_decoder(R"({"type":"WordPiece","cleanup":false})");
  EXPECT_EQ(raw.decode({"hel", "##lo", ",", "do", "n't"}), "hello , do n't");
  EXPECT_EQ(wordpiece_cleanup("I do not know , it 's fine ."), "I don't know, it's fine.");
}

TEST(BpeDecoder, SuffixBecomesSpaceExceptInLastToken) {
  const Decoder d = parse_decoder(R"({"type":"BPEDecoder","suffix":"</w>"})");
  EXPECT_EQ(d.decode({"hel", "lo</w>", "wor", "ld</w>"}), "hello world");
}

TEST(SequenceDecoder, LlamaPipelineStripsExactlyOneLeadingSpace) {
  const Decoder d = parse_decoder(R"({"type":"Sequence","decoders":[
      {"type":"Replace","pattern":{"String":"▁"},"content":" "},
      {"type":"ByteFallback"},{"type":"Fuse"},
      {"type":"Strip","content":" ","start":1,"stop":0}]})");
  ASSERT_EQ(d.type(), DecoderType::kSequence);
  ASSERT_EQ(d.children().size(), 4u);
  EXPECT_EQ(d.decode({"▁Hello", "▁world", "<0x0A>", "<0xE5>", "<0x8F>", "<0xAB>"}),
            "Hello world\n\xE5\x8F\xAB");
  EXPECT_EQ(d.decode({"▁▁", "x"}), " x");
  EXPECT_EQ(d.decode({"▁Hi", "<0xE5>", "▁"}), "Hi" + kFffd + " ");
}

TEST(DecoderParse, UnknownTypeAndBadChildrenAreErrorsWithPaths) {
  const std::string unknown = parse_error(R"({"type":"Mystery"})");
  EXPECT_NE(unknown.find("decoder.type: unsupported decoder type \"Mystery\""),
            std::string::npos)
      << unknown;
  const std::string nested =
      parse_error(R"({"type":"Sequence","decoders":[{"type":"Fuse"},{"type":"CTC"}]})");
  EXPECT_NE(nested.find("decoder.decoders[1].type"), std::string::npos) << nested;
  EXPECT_NE(parse_error(R"({"decoders":[]})").find("type"), std::string::npos);
  EXPECT_NE(parse_error(R"("ByteLevel")").find("decoder"), std::string::npos);
}

}  // namespace
}  // namespace aae::tokenizer
