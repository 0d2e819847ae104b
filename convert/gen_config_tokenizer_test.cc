#include "convert/gen_config_tokenizer.h"

#include <gtest/gtest.h>

namespace aae {
namespace {

using Json = nlohmann::json;

TEST(TokenizerInfo, ByteLevelDecoder) {
  auto info = detect_tokenizer_info(Json::parse(R"({"decoder": {"type": "ByteLevel"}})"));
  EXPECT_EQ(info.token_postproc_method, "byte_level");
  EXPECT_FALSE(info.prepend_space_in_encode);
  EXPECT_FALSE(info.strip_space_in_decode);
}

TEST(TokenizerInfo, Llama2StyleSentencePieceExport) {
  auto info = detect_tokenizer_info(Json::parse(R"({
    "normalizer": {"type": "Sequence", "normalizers": [
      {"type": "Prepend", "prepend": "\u2581"},
      {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
    "decoder": {"type": "Sequence", "decoders": [
      {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
      {"type": "ByteFallback"}, {"type": "Fuse"},
      {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}})"));
  EXPECT_EQ(info.token_postproc_method, "byte_fallback");
  EXPECT_TRUE(info.prepend_space_in_encode);
  EXPECT_TRUE(info.strip_space_in_decode);
}

TEST(TokenizerInfo, LastMatchInSequenceWinsAndDefaults) {
  auto last = detect_tokenizer_info(Json::parse(R"({"decoder": {"type": "Sequence",
      "decoders": [{"type": "ByteFallback"}, {"type": "ByteLevel"}]}})"));
  EXPECT_EQ(last.token_postproc_method, "byte_level");
  auto none = detect_tokenizer_info(Json::parse(R"({"decoder": {"type": "Metaspace"},
      "normalizer": {"type": "Prepend", "prepend": "_"}})"));
  EXPECT_EQ(none.token_postproc_method, "byte_fallback");
  EXPECT_FALSE(none.prepend_space_in_encode);
  auto strip2 = detect_tokenizer_info(Json::parse(
      R"({"decoder": {"type": "Strip", "content": " ", "start": 2, "stop": 0}})"));
  EXPECT_FALSE(strip2.strip_space_in_decode);
}

TEST(TokenizerInfo, SizeCountsDistinctVocabAndAddedTokens) {
  EXPECT_EQ(tokenizer_size(Json::parse(R"({"model": {"vocab": {"a": 0, "b": 1}},
      "added_tokens": [{"content": "b"}, {"content": "<x>"}]})")), 3);
  EXPECT_EQ(tokenizer_size(Json::parse(R"({"model": {"vocab": [["a", 0.0], ["b", -1.0]]}})")), 2);
  EXPECT_EQ(tokenizer_size(Json::parse(R"({"model": {"type": "WordLevel"}})")), std::nullopt);
}

TEST(TokenizerInfo, DuplicatedAddedTokensAreRefused) {
  auto status = check_added_tokens_unique(
      Json::parse(R"({"added_tokens": [{"content": "<s>"}, {"content": "<s>"}]})"), "tok.json");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message().find("tok.json"), std::string::npos);
  EXPECT_TRUE(check_added_tokens_unique(Json::parse(R"({"added_tokens": []})"), "t").ok());
}

}  // namespace
}  // namespace aae
