#include "runtime/tokenizer/tokenizer_json.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/test_support.h"

namespace aae {
namespace {

TokenizerDecoder load(const std::string& text) {
  auto result = TokenizerDecoder::from_json_text(text);
  EXPECT_TRUE(result.ok()) << result.error().to_string();
  if (!result.ok()) return *TokenizerDecoder::from_json_text(R"({"model":{"vocab":{}}})");
  return std::move(result).value();
}

std::string decode(const TokenizerDecoder& t, const std::vector<int64_t>& ids,
                   bool skip_special = false) {
  auto result = t.decode(ids, skip_special);
  EXPECT_TRUE(result.ok()) << result.error().to_string();
  return result.ok() ? *result : std::string();
}

std::string load_error(const std::string& text) {
  auto result = TokenizerDecoder::from_json_text(text);
  EXPECT_FALSE(result.ok()) << "loaded unexpectedly: " << text;
  return result.ok() ? "" : result.error().to_string();
}

const char* kLlamaStyle = R"({
  "version": "1.0",
  "added_tokens": [
    {"id": 0, "content": "<unk>", "special": true, "normalized": false},
    {"id": 1, "content": "<s>", "special": true, "normalized": false},
    {"id": 2, "content": "</s>", "special": true, "normalized": false},
    {"id": 9, "content": "<extra>", "special": false, "normalized": false}
  ],
  "decoder": {"type": "Sequence", "decoders": [
    {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
    {"type": "ByteFallback"}, {"type": "Fuse"},
    {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
  "model": {"type": "BPE", "byte_fallback": true, "vocab": {
    "<unk>": 0, "<s>": 1, "</s>": 2, "<0x0A>": 3, "<0xE5>": 4, "<0x8F>": 5, "<0xAB>": 6,
    "▁Hello": 7, "▁world": 8}, "merges": []}
})";

TEST(TokenizerDecoder, ReadsVocabAndAddedTokens) {
  const TokenizerDecoder t = load(kLlamaStyle);
  EXPECT_EQ(t.vocab_size(), 10);  // ids 0..8 in the model, 9 added
  EXPECT_EQ(t.id_to_token(7), "▁Hello");
  EXPECT_EQ(t.id_to_token(9), "<extra>");
  EXPECT_FALSE(t.id_to_token(10).has_value());
  EXPECT_FALSE(t.id_to_token(-1).has_value());
  EXPECT_TRUE(t.is_special(1));
  EXPECT_FALSE(t.is_special(9));
  EXPECT_FALSE(t.is_special(7));
  ASSERT_NE(t.decoder(), nullptr);
}

TEST(TokenizerDecoder, LlamaDecoderRoundTripsText) {
  const TokenizerDecoder t = load(kLlamaStyle);
  EXPECT_EQ(decode(t, {7, 8, 3, 4, 5, 6}), "Hello world\n\xE5\x8F\xAB");
}

TEST(TokenizerDecoder, SkipSpecialTokensDropsOnlySpecialAddedTokens) {
  const TokenizerDecoder t = load(kLlamaStyle);
  EXPECT_EQ(decode(t, {1, 7, 9, 2}, /*skip_special=*/false), "<s> Hello<extra></s>");
  EXPECT_EQ(decode(t, {1, 7, 9, 2}, /*skip_special=*/true), "Hello<extra>");
}

TEST(TokenizerDecoder, UnknownAndNegativeIdsAreSkippedLikeHf) {
  const TokenizerDecoder t = load(kLlamaStyle);
  EXPECT_EQ(decode(t, {7, 1000, -5, 8}), "Hello world");
}

TEST(TokenizerDecoder, AddedTokenContentWinsOverModelToken) {
  const TokenizerDecoder t = load(R"({
    "added_tokens": [{"id": 1, "content": "<|eot|>", "special": true}],
    "decoder": {"type": "Fuse"},
    "model": {"type": "WordLevel", "vocab": {"a": 0, "b": 1}, "unk_token": "a"}})");
  EXPECT_EQ(t.id_to_token(1), "<|eot|>");
  EXPECT_EQ(decode(t, {0, 1, 0}), "a<|eot|>a");
  EXPECT_EQ(decode(t, {0, 1, 0}, true), "aa");
}

TEST(TokenizerDecoder, NullDecoderJoinsTokensWithOneSpaceLikeHf) {
  const TokenizerDecoder t = load(R"({"decoder": null,
    "model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": []}})");
  EXPECT_EQ(t.decoder(), nullptr);
  EXPECT_EQ(decode(t, {0, 1, 0}), "a b a");
  EXPECT_EQ(decode(t, {}), "");
}

TEST(TokenizerDecoder, ByteLevelModel) {
  const TokenizerDecoder t = load(R"({
    "added_tokens": [{"id": 3, "content": "<|endoftext|>", "special": true}],
    "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true},
    "model": {"type": "BPE", "vocab": {"Hello": 0, "Ġworld": 1, "Ċ": 2, "<|endoftext|>": 3}}})");
  EXPECT_EQ(decode(t, {0, 1, 2, 3}), "Hello world\n<|endoftext|>");
  EXPECT_EQ(decode(t, {0, 1, 2, 3}, true), "Hello world\n");
}

TEST(TokenizerDecoder, UnigramVocabArrayUsesIndexAsId) {
  const TokenizerDecoder t = load(R"({
    "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always"},
    "model": {"type": "Unigram", "unk_id": 0,
              "vocab": [["<unk>", 0.0], ["▁Hey", -1.5], ["▁friend", -2], ["!", -3.25]]}})");
  EXPECT_EQ(t.vocab_size(), 4);
  EXPECT_EQ(t.id_to_token(2), "▁friend");
  EXPECT_EQ(decode(t, {1, 2, 3}), "Hey friend!");
}

TEST(TokenizerDecoder, WordPieceModel) {
  const TokenizerDecoder t = load(R"({
    "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
    "model": {"type": "WordPiece", "unk_token": "[UNK]",
              "vocab": {"[UNK]": 0, "token": 1, "##izer": 2, ".": 3}}})");
  EXPECT_EQ(decode(t, {1, 2, 3}), "tokenizer.");
}

TEST(TokenizerDecoder, MalformedDocumentsGiveErrorsWithJsonPaths) {
  EXPECT_NE(load_error(R"({"decoder": null})").find("\"model\""), std::string::npos);
  EXPECT_NE(load_error(R"({"model": {"type": "BPE", "vocab": {"a": "x"}}})")
                .find("model.vocab[\"a\"]: expected an integer token id"),
            std::string::npos);
  EXPECT_NE(load_error(R"({"model": {"type": "BPE", "vocab": {"a": -1}}})").find("outside"),
            std::string::npos);
  EXPECT_NE(load_error(R"({"model": {"type": "Unigram", "vocab": [["a"]]}})")
                .find("model.vocab[0]"),
            std::string::npos);
  EXPECT_NE(load_error(R"({"model": {"type": "BPE", "vocab": []}})").find("model.vocab"),
            std::string::npos);
  EXPECT_NE(load_error(R"({"model": {"type": "Magic", "vocab": {}}})").find("\"Magic\""),
            std::string::npos);
  EXPECT_NE(load_error(R"({"model": {"vocab": {}}, "added_tokens": [{"content": "x"}]})")
                .find("added_tokens[0]: missing required field \"id\""),
            std::string::npos);
  EXPECT_NE(load_error(R"({"model": {"vocab": {}}, "decoder": {"type": "Nope"}})")
                .find("decoder.type: unsupported decoder type \"Nope\""),
            std::string::npos);
  EXPECT_NE(load_error("[1, 2]").find("top level"), std::string::npos);
}

TEST(TokenizerDecoder, FromFileReadsAFileAndNamesItInErrors) {
  testing::ScratchDir dir;
  testing::write_file(dir / "tokenizer.json", kLlamaStyle);
  auto loaded = TokenizerDecoder::from_file((dir / "tokenizer.json").string());
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_EQ(*loaded->decode({7}, false), "Hello");

  testing::write_file(dir / "bad.json", R"({"model": {"type": "BPE"}})");
  auto bad = TokenizerDecoder::from_file((dir / "bad.json").string());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().to_string().find("bad.json"), std::string::npos);
  EXPECT_NE(bad.error().to_string().find("vocab"), std::string::npos);

  auto missing = TokenizerDecoder::from_file((dir / "absent.json").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().to_string().find("absent.json"), std::string::npos);
}

}  // namespace
}  // namespace aae
