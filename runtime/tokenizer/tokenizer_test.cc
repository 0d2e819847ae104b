#include "runtime/tokenizer/tokenizer.h"

#include <random>

#include <gtest/gtest.h>

#include "runtime/tokenizer/streaming_decoder.h"

namespace aae {
namespace {

// A tiny SentencePiece-style tokenizer: byte fallback for every byte, a few merges.
std::string spm_json(const std::string& added_tokens, const std::string& post) {
  std::string vocab = R"("<unk>":0,"<s>":1,"</s>":2)";
  const char* hex = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) {
    vocab += std::string(",\"<0x") + hex[b >> 4] + hex[b & 15] + ">\":" + std::to_string(3 + b);
  }
  vocab += R"(,"▁":259,"h":260,"i":261,"hi":262,"▁hi":263)";
  return R"({"added_tokens":)" + added_tokens + R"(,
    "normalizer":{"type":"Sequence","normalizers":[{"type":"Prepend","prepend":"▁"},
      {"type":"Replace","pattern":{"String":" "},"content":"▁"}]},
    "pre_tokenizer":null,"post_processor":)" + post + R"(,
    "decoder":{"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"▁"},"content":" "},
      {"type":"ByteFallback"},{"type":"Fuse"},{"type":"Strip","content":" ","start":1,"stop":0}]},
    "model":{"type":"BPE","vocab":{)" + vocab + R"(},"merges":["h i","▁ hi"],
      "unk_token":"<unk>","fuse_unk":true,"byte_fallback":true}})";
}

const char* kSpecials = R"([{"id":1,"content":"<s>","special":true,"normalized":false},
                            {"id":2,"content":"</s>","special":true,"normalized":false}])";
const char* kBosTemplate = R"({"type":"TemplateProcessing",
    "single":[{"SpecialToken":{"id":"<s>","type_id":0}},{"Sequence":{"id":"A","type_id":0}}],
    "special_tokens":{"<s>":{"id":"<s>","ids":[1],"tokens":["<s>"]}}})";

Tokenizer load(const std::string& text) {
  auto tok = Tokenizer::from_json_text(text);
  EXPECT_TRUE(tok.ok()) << tok.error().to_string();
  return std::move(tok).value();
}

TEST(Tokenizer, EncodesWithNormalizerMergesAndTemplate) {
  const Tokenizer tok = load(spm_json(kSpecials, kBosTemplate));
  EXPECT_EQ(*tok.encode("hi", true), (std::vector<int32_t>{1, 263}));
  EXPECT_EQ(*tok.encode("hi", false), (std::vector<int32_t>{263}));
  // "é" has no token: its two UTF-8 bytes via byte fallback.
  EXPECT_EQ(*tok.encode("é", false), (std::vector<int32_t>{259, 3 + 0xC3, 3 + 0xA9}));
  EXPECT_EQ(*tok.decode(*tok.encode("hi é", true), true), "hi é");
}

TEST(Tokenizer, SplitsSpecialTokensEvenWithoutAddingThem) {
  const Tokenizer tok = load(spm_json(kSpecials, "null"));
  // The text after "</s>" is normalized on its own (Prepend gives it a "▁").
  EXPECT_EQ(*tok.encode("hi</s>hi", false), (std::vector<int32_t>{263, 2, 263}));
  EXPECT_EQ(tok.token_to_id("</s>"), 2);
  EXPECT_EQ(tok.token_to_id("hi"), 262);
  EXPECT_FALSE(tok.token_to_id("nope").has_value());
}

TEST(Tokenizer, AddedTokenFlagsLongestMatchStripAndSingleWord) {
  const std::string added = R"([{"id":1,"content":"<s>","special":true,"normalized":false},
      {"id":2,"content":"<s>x","special":true,"normalized":false,"lstrip":true,"rstrip":true},
      {"id":0,"content":"hh","special":false,"normalized":false,"single_word":true}])";
  const Tokenizer tok = load(spm_json(added, "null"));
  // Longest match "<s>x" wins over "<s>"; lstrip/rstrip swallow the spaces around it.
  EXPECT_EQ(*tok.encode("hi <s>x hi", false), (std::vector<int32_t>{263, 2, 263}));
  // single_word: "hh" inside a word is not split off; alone it is.
  EXPECT_EQ(*tok.encode("hh", false), (std::vector<int32_t>{0}));
  EXPECT_NE(*tok.encode("ahh", false), (std::vector<int32_t>{0}));
}

TEST(Tokenizer, RejectsInvalidUtf8) {
  const Tokenizer tok = load(spm_json(kSpecials, "null"));
  auto ids = tok.encode("a\xFF", false);
  ASSERT_FALSE(ids.ok());
  EXPECT_NE(ids.error().message().find("UTF-8"), std::string::npos);
}

TEST(Tokenizer, RobertaProcessingWrapsIds) {
  const Tokenizer tok = load(spm_json(
      kSpecials, R"({"type":"RobertaProcessing","sep":["</s>",2],"cls":["<s>",1]})"));
  EXPECT_EQ(*tok.encode("hi", true), (std::vector<int32_t>{1, 263, 2}));
}

TEST(StreamingDecoder, ConcatenationEqualsDecodeForRandomByteFallback) {
  const Tokenizer tok = load(spm_json(kSpecials, "null"));
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::vector<int32_t> ids;
    const int n = 1 + static_cast<int>(rng() % 24);
    for (int i = 0; i < n; ++i) {
      // Mostly bytes of multi-byte characters (often incomplete), some words and specials.
      const int kind = static_cast<int>(rng() % 6);
      if (kind < 3) ids.push_back(3 + 0x80 + static_cast<int32_t>(rng() % 0x70));
      else if (kind == 3) ids.push_back(3 + static_cast<int32_t>(rng() % 0x80));
      else ids.push_back(259 + static_cast<int32_t>(rng() % 5));
    }
    StreamingDecoder stream(tok);
    std::string streamed;
    for (int32_t id : ids) {
      const std::string piece = stream.push(id);
      streamed += piece;
    }
    streamed += stream.finish();
    EXPECT_EQ(streamed, *tok.decode(ids, false)) << "round " << round;
  }
}

TEST(StreamingDecoder, ConcatenationEqualsDecodeForRandomByteLevel) {
  // Byte-level: every byte is its own GPT-2 alphabet token (id = byte), no merges.
  auto json_text = [] {
    std::string v;
    const char* hex = "0123456789abcdef";
    int next_extra = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      const int cp = printable ? b : 0x100 + next_extra++;
      if (!v.empty()) v += ",";
      v += std::string("\"\\u0") + hex[(cp >> 8) & 15] + hex[(cp >> 4) & 15] + hex[cp & 15] +
           "\":" + std::to_string(b);
    }
    return R"({"model":{"type":"BPE","vocab":{)" + v + R"(},"merges":[]},
      "pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,"use_regex":true},
      "decoder":{"type":"ByteLevel"}})";
  }();
  const Tokenizer tok = load(json_text);
  EXPECT_EQ(*tok.encode("Hi é", false), (std::vector<int32_t>{'H', 'i', ' ', 0xC3, 0xA9}));
  std::mt19937 rng(11);
  for (int round = 0; round < 200; ++round) {
    std::vector<int32_t> ids;
    const int n = 1 + static_cast<int>(rng() % 24);
    for (int i = 0; i < n; ++i) {
      ids.push_back(rng() % 3 == 0 ? static_cast<int32_t>(rng() % 128)
                                   : static_cast<int32_t>(0x80 + rng() % 0x78));
    }
    StreamingDecoder stream(tok);
    std::string streamed;
    for (int32_t id : ids) streamed += stream.push(id);
    streamed += stream.finish();
    EXPECT_EQ(streamed, *tok.decode(ids, false)) << "round " << round;
  }
}

}  // namespace
}  // namespace aae
