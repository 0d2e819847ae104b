#include "runtime/base/json_write.h"

#include <cmath>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "runtime/base/json.h"

namespace aae::json {
namespace {

TEST(JsonWrite, EscapesQuotesBackslashesAndEveryControlCharacter) {
  EXPECT_EQ(quote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(quote("\n\t\r\b\f"), R"("\n\t\r\b\f")");
  EXPECT_EQ(quote(std::string("\x01\x1f", 2)), R"("\u0001\u001f")");
  EXPECT_EQ(quote(std::string("a\0b", 3)), R"("a\u0000b")");
  EXPECT_EQ(quote("/\x7f"), "\"/\x7f\"");  // neither needs escaping
}

TEST(JsonWrite, KeepsUtf8AndReplacesIllFormedBytes) {
  const std::string text = "h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";  // é € 😀
  EXPECT_EQ(quote(text), "\"" + text + "\"");
  // A lone continuation byte, a truncated sequence, an overlong form and a surrogate.
  EXPECT_EQ(quote("a\x80z"), "\"a\xEF\xBF\xBDz\"");
  EXPECT_EQ(quote("\xE2\x82"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(quote("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(quote("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST(JsonWrite, EveryByteStringReadsBackThroughTheParser) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  auto parsed = parse(quote(all));
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  const std::string& back = parsed->as_string();
  EXPECT_EQ(back.substr(0, 128), all.substr(0, 128));  // ASCII (with controls) exact
}

TEST(JsonWrite, WriterPlacesCommasAndColons) {
  Writer w;
  w.begin_object();
  w.key("a").integer(-3);
  w.key("b").begin_array().string("x").boolean(true).null().begin_object().end_object();
  w.end_array();
  w.key("c").number(0.7);
  w.key("d").raw("[1,2]");
  w.end_object();
  EXPECT_EQ(w.text(), R"({"a":-3,"b":["x",true,null,{}],"c":0.7,"d":[1,2]})");
  auto parsed = parse(w.text());
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  EXPECT_EQ(parsed->find("b")->as_array().size(), 4u);
}

TEST(JsonWrite, NumbersRoundTripAndNonFiniteBecomesNull) {
  for (const double v : {0.1, 1.0 / 3, 1e300, -2.5e-300, 123456789.0}) {
    Writer w;
    w.number(v);
    auto parsed = parse(w.text());
    ASSERT_TRUE(parsed.ok()) << w.text();
    EXPECT_EQ(parsed->as_double(), v) << w.text();
  }
  Writer w;
  w.begin_array().number(std::nan("")).number(std::numeric_limits<double>::infinity()).end_array();
  EXPECT_EQ(w.text(), "[null,null]");
}

}  // namespace
}  // namespace aae::json
