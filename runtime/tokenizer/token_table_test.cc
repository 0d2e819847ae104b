#include "runtime/tokenizer/token_table.h"

#include <string>

#include <gtest/gtest.h>

namespace aae::tokenizer {
namespace {

TEST(TokenTable, FindsTokensAndIdsBothWays) {
  TokenTable table;
  EXPECT_TRUE(table.insert("hello", 2));
  EXPECT_TRUE(table.insert("", 0));
  EXPECT_TRUE(table.insert("w\xC3\xB6rld", 1));
  table.freeze();
  EXPECT_EQ(table.find("hello"), 2);
  EXPECT_EQ(table.find(""), 0);
  EXPECT_EQ(table.find("w\xC3\xB6rld"), 1);
  EXPECT_EQ(table.find("hell"), -1);
  EXPECT_EQ(table.token(2), "hello");
  EXPECT_EQ(table.token(1), "w\xC3\xB6rld");
  EXPECT_FALSE(table.token(3).has_value());
  EXPECT_FALSE(table.token(-1).has_value());
  EXPECT_EQ(table.id_end(), 3);
}

TEST(TokenTable, RepeatedTokenKeepsFirstIdAndRepeatedIdKeepsFirstToken) {
  TokenTable table;
  EXPECT_TRUE(table.insert("a", 0));
  EXPECT_FALSE(table.insert("a", 5));  // token -> id keeps 0; id 5 still maps back to "a"
  EXPECT_TRUE(table.insert("b", 0));   // id 0 keeps "a"
  table.freeze();
  EXPECT_EQ(table.find("a"), 0);
  EXPECT_EQ(table.find("b"), 0);
  EXPECT_EQ(table.token(0), "a");
  EXPECT_EQ(table.token(5), "a");
  EXPECT_EQ(table.id_end(), 6);
}

TEST(TokenTable, GrowsPastItsReservationAndHandlesSparseIds) {
  TokenTable table;
  table.reserve(4, 8);
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(table.insert("t" + std::to_string(i), i * 1000003LL));
  table.freeze();
  for (int i = 0; i < 5000; i += 7) {
    EXPECT_EQ(table.find("t" + std::to_string(i)), i * 1000003LL);
    EXPECT_EQ(table.token(i * 1000003LL), "t" + std::to_string(i));
  }
  EXPECT_FALSE(table.token(1).has_value());
  EXPECT_EQ(table.find("t5000"), -1);
}

}  // namespace
}  // namespace aae::tokenizer
