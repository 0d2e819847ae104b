#include "runtime/tokenizer/bpe_model.h"

#include <gtest/gtest.h>

namespace aae::tokenizer {
namespace {

BpeModel make(const std::string& json_text) {
  auto value = json::parse(json_text);
  EXPECT_TRUE(value.ok());
  auto model = BpeModel::from_json(*value, "model");
  EXPECT_TRUE(model.ok()) << model.error().to_string();
  return std::move(model).value();
}

std::vector<int32_t> encode(const BpeModel& model, std::string_view piece) {
  std::vector<int32_t> ids;
  model.encode_piece(piece, ids);
  return ids;
}

TEST(BpeModel, AppliesMergesLowestRankFirst) {
  // "abc": merges (b,c) rank 0 beats (a,b) rank 1, so the result is a + bc.
  const BpeModel model = make(R"({"type":"BPE","vocab":{"a":0,"b":1,"c":2,"ab":3,"bc":4},
                                  "merges":["b c","a b"]})");
  EXPECT_EQ(encode(model, "abc"), (std::vector<int32_t>{0, 4}));
  EXPECT_EQ(encode(model, "abab"), (std::vector<int32_t>{3, 3}));
  EXPECT_EQ(encode(model, "abc"), (std::vector<int32_t>{0, 4}));  // from the cache
}

TEST(BpeModel, AcceptsPairMerges) {
  // Parts with spaces can only be written as pairs.
  const BpeModel model = make(R"({"type":"BPE","vocab":{"a b":0,"a":1," ":2,"b":3,"a ":4},
                                  "merges":[["a"," "],["a ","b"]]})");
  EXPECT_EQ(encode(model, "a b"), (std::vector<int32_t>{0}));
  EXPECT_EQ(encode(model, "ba "), (std::vector<int32_t>{3, 4}));
}

TEST(BpeModel, ByteFallbackThenFusedUnk) {
  const BpeModel model = make(R"({"type":"BPE","vocab":{"<unk>":0,"<0xC3>":1,"<0xA9>":2,"x":3},
      "merges":[],"unk_token":"<unk>","fuse_unk":true,"byte_fallback":true})");
  EXPECT_EQ(encode(model, "x\xC3\xA9x"), (std::vector<int32_t>{3, 1, 2, 3}));
  // "ü" (C3 BC) lacks <0xBC>: unk; two unknowns in a row fuse into one.
  EXPECT_EQ(encode(model, "x\xC3\xBC\xC3\xBCx"), (std::vector<int32_t>{3, 0, 3}));
}

TEST(BpeModel, UnfusedUnkRepeatsAndMissingUnkDrops) {
  const BpeModel unk = make(R"({"type":"BPE","vocab":{"<unk>":0,"x":1},"merges":[],
                                "unk_token":"<unk>"})");
  EXPECT_EQ(encode(unk, "yyx"), (std::vector<int32_t>{0, 0, 1}));
  const BpeModel none = make(R"({"type":"BPE","vocab":{"x":1},"merges":[]})");
  EXPECT_EQ(encode(none, "yxy"), (std::vector<int32_t>{1}));
}

TEST(BpeModel, IgnoreMergesEmitsWholeVocabPieces) {
  const BpeModel model = make(R"({"type":"BPE","vocab":{"a":0,"b":1,"ab":2,"abb":3},
      "merges":["a b"],"ignore_merges":true})");
  EXPECT_EQ(encode(model, "abb"), (std::vector<int32_t>{3}));
  EXPECT_EQ(encode(model, "abab"), (std::vector<int32_t>{2, 2}));
}

TEST(BpeModel, SubwordPrefixAndSuffix) {
  const BpeModel model = make(R"({"type":"BPE","vocab":{"a":0,"##b":1,"##c</w>":2,"##b##c</w>":3},
      "merges":[],"continuing_subword_prefix":"##","end_of_word_suffix":"</w>"})");
  EXPECT_EQ(encode(model, "abc"), (std::vector<int32_t>{0, 1, 2}));
}

TEST(BpeModel, RejectsDropoutAndUnknownMergeTokens) {
  auto value = json::parse(R"({"type":"BPE","vocab":{"a":0},"merges":[],"dropout":0.1})");
  auto model = BpeModel::from_json(*value, "model");
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.error().to_string().find("dropout"), std::string::npos);
  value = json::parse(R"({"type":"BPE","vocab":{"a":0,"b":1},"merges":["a b"]})");
  model = BpeModel::from_json(*value, "model");
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.error().to_string().find("\"ab\""), std::string::npos);
}

TEST(BpeModel, ReadsVocabJsonAndMergesTxt) {
  // A #version header, CRLF line ends and a blank line, as real merges.txt files have.
  auto model = BpeModel::from_vocab_merges(R"({"a":0,"b":1,"c":2,"ab":3,"abc":4})", "vocab.json",
                                           "#version: 0.2\r\na b\r\n\nab c\n", "merges.txt",
                                           BpeOptions{});
  ASSERT_TRUE(model.ok()) << model.error().to_string();
  EXPECT_EQ(encode(*model, "abcab"), (std::vector<int32_t>{4, 3}));
  EXPECT_EQ(model->vocab_size(), 5);
  EXPECT_EQ(model->vocab()->token(3), "ab");
}

TEST(BpeModel, VocabMergesErrorsNameFileAndLine) {
  auto bad_line = BpeModel::from_vocab_merges(R"({"a":0,"b":1})", "vocab.json", "a b c\n",
                                              "merges.txt", BpeOptions{});
  ASSERT_FALSE(bad_line.ok());
  EXPECT_NE(bad_line.error().to_string().find("merges.txt: line 1"), std::string::npos)
      << bad_line.error().to_string();
  auto bad_json = BpeModel::from_vocab_merges(R"({"a":0,)", "vocab.json", "", "merges.txt",
                                              BpeOptions{});
  ASSERT_FALSE(bad_json.ok());
  EXPECT_NE(bad_json.error().to_string().find("vocab.json: line 1"), std::string::npos)
      << bad_json.error().to_string();
  auto missing = BpeModel::from_vocab_merges(R"({"a":0,"b":1})", "vocab.json", "a b\n",
                                             "merges.txt", BpeOptions{});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().to_string().find("\"ab\""), std::string::npos);
}

}  // namespace
}  // namespace aae::tokenizer
