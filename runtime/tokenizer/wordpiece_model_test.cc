#include "runtime/tokenizer/wordpiece_model.h"

#include <gtest/gtest.h>

#include "runtime/tokenizer/tokenizer.h"

namespace aae::tokenizer {
namespace {

WordPieceModel make(const std::string& json_text) {
  auto value = json::parse(json_text);
  EXPECT_TRUE(value.ok());
  auto model = WordPieceModel::from_json(*value, "model");
  EXPECT_TRUE(model.ok()) << model.error().to_string();
  return std::move(model).value();
}

std::vector<int32_t> encode(const WordPieceModel& model, std::string_view word) {
  std::vector<int32_t> ids;
  model.encode_piece(word, ids);
  return ids;
}

constexpr const char* kVocab = R"({"type":"WordPiece","unk_token":"[UNK]",
    "continuing_subword_prefix":"##","max_input_chars_per_word":9,
    "vocab":{"[UNK]":0,"un":1,"##aff":2,"##able":3,"una":4,"##ffable":5,"a":6,"##\u00e9":7,"##a":8}})";

TEST(WordPieceModel, TakesTheLongestPrefixFirst) {
  const WordPieceModel model = make(kVocab);
  // "una" + "##ffable" (greedy longest match), not "un" + "##aff" + "##able".
  EXPECT_EQ(encode(model, "unaffable"), std::vector<int32_t>({4, 5}));
  EXPECT_EQ(encode(model, "a\xC3\xA9"), std::vector<int32_t>({6, 7}));  // multi-byte piece
}

TEST(WordPieceModel, UnmatchableRestMakesTheWholeWordUnknown) {
  const WordPieceModel model = make(kVocab);
  EXPECT_EQ(encode(model, "unx"), std::vector<int32_t>({0}));  // not "un" + [UNK]
  EXPECT_EQ(encode(model, "x"), std::vector<int32_t>({0}));
}

TEST(WordPieceModel, WordsLongerThanTheLimitAreUnknown) {
  const WordPieceModel model = make(kVocab);
  EXPECT_EQ(encode(model, "unaffable"), std::vector<int32_t>({4, 5}));  // 9 chars: the limit
  EXPECT_EQ(encode(model, "aaaaaaaaa"), std::vector<int32_t>({6, 8, 8, 8, 8, 8, 8, 8, 8}));
  EXPECT_EQ(encode(model, "aaaaaaaaaa"), std::vector<int32_t>({0}));  // 10 chars
}

TEST(WordPieceModel, RejectsBadIdsAndLimits) {
  auto value = json::parse(R"({"type":"WordPiece","vocab":{"a":-1}})");
  ASSERT_TRUE(value.ok());
  auto model = WordPieceModel::from_json(*value, "model");
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.error().to_string().find("model.vocab[\"a\"]"), std::string::npos);
  value = json::parse(R"({"type":"WordPiece","vocab":{},"max_input_chars_per_word":-3})");
  ASSERT_TRUE(value.ok());
  EXPECT_FALSE(WordPieceModel::from_json(*value, "model").ok());
}

TEST(WordPieceModel, BertTokenizerJsonEncodesAndDecodes) {
  auto tokenizer = Tokenizer::from_json_text(R"({
    "added_tokens": [{"id":0,"content":"[UNK]","special":true},
                     {"id":1,"content":"[CLS]","special":true},
                     {"id":2,"content":"[SEP]","special":true}],
    "normalizer": {"type":"BertNormalizer","lowercase":true},
    "pre_tokenizer": {"type":"BertPreTokenizer"},
    "post_processor": {"type":"BertProcessing","cls":["[CLS]",1],"sep":["[SEP]",2]},
    "decoder": {"type":"WordPiece","prefix":"##","cleanup":true},
    "model": {"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##",
              "vocab":{"[UNK]":0,"[CLS]":1,"[SEP]":2,"hello":3,"world":4,"!":5,"un":6,
                       "##able":7,"cafe":8}}})");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().to_string();
  auto ids = tokenizer->encode("Hello  WORLD! Unable caf\xC3\xA9 xyz", true);
  ASSERT_TRUE(ids.ok()) << ids.error().to_string();
  EXPECT_EQ(*ids, std::vector<int32_t>({1, 3, 4, 5, 6, 7, 8, 0, 2}));
  auto text = tokenizer->decode(*ids, /*skip_special_tokens=*/true);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "hello world! unable cafe");
  EXPECT_EQ(tokenizer->token_to_id("##able"), 7);
  EXPECT_EQ(tokenizer->vocab_size(), 9);
}

}  // namespace
}  // namespace aae::tokenizer
