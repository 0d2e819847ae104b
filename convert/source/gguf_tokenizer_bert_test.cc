#include "convert/source/gguf_tokenizer_bert.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "runtime/tokenizer/tokenizer.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

namespace fs = std::filesystem;

TEST(GgufBertTokenizer, RestoresWordPieceTokens) {
  EXPECT_EQ(wordpiece_token_from_gguf("\xE2\x96\x81hello"), "hello");
  EXPECT_EQ(wordpiece_token_from_gguf("lo"), "##lo");
  EXPECT_EQ(wordpiece_token_from_gguf("[unused7]"), "[unused7]");
  EXPECT_EQ(wordpiece_token_from_gguf("["), "##[");
  EXPECT_EQ(wordpiece_token_from_gguf("\xE2\x96\x81"), "##\xE2\x96\x81");
}

TEST(GgufBertTokenizer, BgeVocabularyLayout) {
  AAE_REQUIRE_TESTDATA(data);
  auto gguf = GgufFile::open(data / "llamacpp-vocab/ggml-vocab-bert-bge.gguf");
  ASSERT_TRUE(gguf.ok()) << gguf.error().to_string();
  auto json = bert_tokenizer_json(*gguf);
  ASSERT_TRUE(json.ok()) << json.error().to_string();
  EXPECT_EQ((*json)["model"]["type"], "WordPiece");
  EXPECT_EQ((*json)["model"]["unk_token"], "[UNK]");
  EXPECT_EQ((*json)["model"]["vocab"]["hello"], 7592);
  EXPECT_EQ((*json)["model"]["vocab"]["##d"], 2094);  // "ied" = "ie" + "##d" in the reference
  EXPECT_EQ((*json)["model"]["vocab"]["[CLS]"], 101);
  EXPECT_EQ((*json)["normalizer"]["type"], "BertNormalizer");
  EXPECT_EQ((*json)["post_processor"]["single"][0]["SpecialToken"]["id"], "[CLS]");
  EXPECT_EQ((*json)["added_tokens"].size(), 5u);  // [PAD] [UNK] [CLS] [SEP] [MASK]

  // Through the runtime: BOS/EOS from the template, and decoding back.
  auto tokenizer = Tokenizer::from_json_text(json->dump());
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().to_string();
  auto ids = tokenizer->encode("Hello, world!", /*add_special_tokens=*/true);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, std::vector<int32_t>({101, 7592, 1010, 2088, 999, 102}));
  auto text = tokenizer->decode(*ids, /*skip_special_tokens=*/true);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "hello, world!");
}

}  // namespace
}  // namespace aae
