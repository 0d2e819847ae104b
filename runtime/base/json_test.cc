#include "runtime/base/json.h"

#include <gtest/gtest.h>

#include <clocale>
#include <cmath>
#include <string>

#include "tests/support/test_support.h"

namespace aae::json {
namespace {

Value parse_ok(std::string_view text) {
  auto result = parse(text);
  EXPECT_TRUE(result.ok()) << text << " -> " << result.error().to_string();
  return result.ok() ? std::move(result).value() : Value();
}

// The error message of a document that must fail to parse.
std::string parse_error(std::string_view text) {
  auto result = parse(text);
  EXPECT_FALSE(result.ok()) << "parsed unexpectedly: " << text;
  return result.ok() ? std::string() : result.error().message();
}

TEST(JsonParse, ReadsScalars) {
  EXPECT_TRUE(parse_ok("null").is_null());
  EXPECT_TRUE(parse_ok("true").as_bool());
  EXPECT_FALSE(parse_ok(" false ").as_bool());
  EXPECT_EQ(parse_ok("\"hi\"").as_string(), "hi");
  const Value n = parse_ok("-12");
  ASSERT_TRUE(n.is_integer());
  EXPECT_EQ(n.as_int64(), -12);
  EXPECT_EQ(n.as_double(), -12.0);
}

TEST(JsonParse, DistinguishesIntegersFromFractionsAndExponents) {
  EXPECT_TRUE(parse_ok("0").is_integer());
  EXPECT_TRUE(parse_ok("-0").is_integer());
  const Value f = parse_ok("3.0");
  EXPECT_TRUE(f.is_number());
  EXPECT_FALSE(f.is_integer());
  EXPECT_EQ(f.as_double(), 3.0);
  EXPECT_FALSE(parse_ok("1e3").is_integer());
  EXPECT_EQ(parse_ok("1e3").as_double(), 1000.0);
  EXPECT_DOUBLE_EQ(parse_ok("-2.5E-3").as_double(), -0.0025);
  EXPECT_DOUBLE_EQ(parse_ok("1e+2").as_double(), 100.0);
  EXPECT_DOUBLE_EQ(parse_ok("4.501665573729716").as_double(), 4.501665573729716);
}

TEST(JsonParse, KeepsBigIntegersExactAndFallsBackToDouble) {
  const Value max = parse_ok("9223372036854775807");
  ASSERT_TRUE(max.is_integer());
  EXPECT_EQ(max.as_int64(), INT64_MAX);
  const Value min = parse_ok("-9223372036854775808");
  ASSERT_TRUE(min.is_integer());
  EXPECT_EQ(min.as_int64(), INT64_MIN);
  const Value over = parse_ok("9223372036854775808");
  EXPECT_FALSE(over.is_integer());
  EXPECT_DOUBLE_EQ(over.as_double(), 9223372036854775808.0);
  const Value huge = parse_ok("123456789012345678901234567890");
  EXPECT_FALSE(huge.is_integer());
  EXPECT_DOUBLE_EQ(huge.as_double(), 1.2345678901234568e29);
}

TEST(JsonParse, TinyNumbersUnderflowToZeroAndHugeOnesAreErrors) {
  EXPECT_EQ(parse_ok("1e-400").as_double(), 0.0);
  EXPECT_EQ(parse_ok("0.00000000000000000000000000000000000000000000000000000000000000000000"
                     "0000000000000000000000000000000000000000000000000000000000000000000000"
                     "0000000000000000000000000000000000000000000000000000000000000000000000"
                     "0000000000000000000000000000000000000000000000000000000000000000000000"
                     "00000000000000000000000000000000000000000000000000000000001")
                .as_double(),
            0.0);
  EXPECT_NE(parse_error("1e400").find("number out of range"), std::string::npos);
  EXPECT_NE(parse_error("-1.5e309").find("number out of range"), std::string::npos);
}

TEST(JsonParse, ParsesNumbersIndependentOfLocale) {
  // A comma-decimal C locale must not change how "0.65" reads (std::strtod would). Machines
  // without such a locale installed check the C locale only.
  const std::string saved = std::setlocale(LC_NUMERIC, nullptr);
  bool switched = false;
  for (const char* name : {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "ru_RU.UTF-8"}) {
    if (std::setlocale(LC_NUMERIC, name)) {
      switched = true;
      break;
    }
  }
  const double value = parse_ok("[0.65]").as_array()[0].as_double();
  std::setlocale(LC_NUMERIC, saved.c_str());
  EXPECT_EQ(value, 0.65) << (switched ? "under a comma-decimal locale" : "in the C locale");
}

TEST(JsonParse, KeepsObjectKeyOrderAndFindsFirstDuplicate) {
  const Value v = parse_ok(R"({"z": 1, "a": 2, "m": 3, "a": 4})");
  ASSERT_TRUE(v.is_object());
  const auto& members = v.as_object();
  ASSERT_EQ(members.size(), 4u);
  EXPECT_EQ(members[0].first, "z");
  EXPECT_EQ(members[1].first, "a");
  EXPECT_EQ(members[2].first, "m");
  EXPECT_EQ(v.find("a")->as_int64(), 2);
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_EQ(parse_ok("[1]").find("a"), nullptr);
}

TEST(JsonParse, ReadsNestedStructures) {
  const Value v = parse_ok(R"({"records": [{"shape": [151936, 112], "ok": true}, [], {}]})");
  const Value* records = v.find("records");
  ASSERT_NE(records, nullptr);
  ASSERT_TRUE(records->is_array());
  ASSERT_EQ(records->as_array().size(), 3u);
  const Value& shape = *records->as_array()[0].find("shape");
  EXPECT_EQ(shape.as_array()[1].as_int64(), 112);
  EXPECT_TRUE(records->as_array()[1].as_array().empty());
  EXPECT_TRUE(records->as_array()[2].as_object().empty());
}

TEST(JsonParse, DecodesAllEscapes) {
  EXPECT_EQ(parse_ok(R"("\" \\ \/ \b \f \n \r \t")").as_string(), "\" \\ / \b \f \n \r \t");
  EXPECT_EQ(parse_ok(R"("\u0041\u00e9\u4E2D")").as_string(), "A\xC3\xA9\xE4\xB8\xAD");
  EXPECT_EQ(parse_ok(R"("\u0000")").as_string(), std::string(1, '\0'));
  // U+1F600 as a surrogate pair -> 4-byte UTF-8.
  EXPECT_EQ(parse_ok(R"("\ud83d\ude00")").as_string(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(parse_ok(R"("x\uDBFF\uDFFFy")").as_string(), "x\xF4\x8F\xBF\xBFy");
}

TEST(JsonParse, PassesRawUtf8Through) {
  EXPECT_EQ(parse_ok("\"\xC4\xA0the \xE4\xB8\xAD\xF0\x9F\x98\x80\"").as_string(),
            "\xC4\xA0the \xE4\xB8\xAD\xF0\x9F\x98\x80");
}

TEST(JsonParse, SkipsLeadingByteOrderMark) {
  EXPECT_EQ(parse_ok("\xEF\xBB\xBF{\"a\": 1}").find("a")->as_int64(), 1);
}

TEST(JsonErrors, ReportLineAndColumn) {
  EXPECT_EQ(parse_error("{\n  \"a\": 1\n  \"b\": 2\n}"),
            "line 3, column 3: unexpected '\"', expected ',' or '}'");
  EXPECT_EQ(parse_error("[1, 2,]"), "line 1, column 7: unexpected ']', expected a value");
}

TEST(JsonErrors, RejectTrailingGarbage) {
  EXPECT_EQ(parse_error("{} x"),
            "line 1, column 4: unexpected trailing characters after the JSON value");
  EXPECT_NE(parse_error("1 2").find("trailing"), std::string::npos);
  EXPECT_NE(parse_error("[]]").find("trailing"), std::string::npos);
}

TEST(JsonErrors, RejectEmptyAndTruncatedDocuments) {
  EXPECT_NE(parse_error("").find("unexpected end of input"), std::string::npos);
  EXPECT_NE(parse_error("   ").find("unexpected end of input"), std::string::npos);
  EXPECT_NE(parse_error("{\"a\": ").find("end of input"), std::string::npos);
  EXPECT_NE(parse_error("[1, 2").find("expected ',' or ']'"), std::string::npos);
  EXPECT_NE(parse_error("{\"a\" 1}").find("expected ':'"), std::string::npos);
  EXPECT_NE(parse_error("{1: 2}").find("expected a string key"), std::string::npos);
  EXPECT_NE(parse_error("\"abc").find("unterminated string"), std::string::npos);
  EXPECT_EQ(parse_error("\"abc\\"), "line 1, column 1: unterminated string");
}

TEST(JsonErrors, RejectBadLiterals) {
  EXPECT_NE(parse_error("tru").find("invalid literal"), std::string::npos);
  EXPECT_NE(parse_error("nul").find("invalid literal"), std::string::npos);
  EXPECT_NE(parse_error("True").find("expected a value"), std::string::npos);
  EXPECT_NE(parse_error("NaN").find("expected a value"), std::string::npos);
  EXPECT_NE(parse_error("'a'").find("expected a value"), std::string::npos);
}

TEST(JsonErrors, RejectMalformedNumbers) {
  EXPECT_EQ(parse_error("01"), "line 1, column 1: leading zeros are not allowed in numbers");
  EXPECT_NE(parse_error("-01").find("leading zeros"), std::string::npos);
  EXPECT_NE(parse_error("[00]").find("leading zeros"), std::string::npos);
  EXPECT_NE(parse_error("-").find("expected a digit"), std::string::npos);
  EXPECT_NE(parse_error("1.").find("expected a digit after '.'"), std::string::npos);
  EXPECT_NE(parse_error("1.e3").find("expected a digit after '.'"), std::string::npos);
  EXPECT_NE(parse_error("1e").find("expected a digit in exponent"), std::string::npos);
  EXPECT_NE(parse_error("1e+").find("expected a digit in exponent"), std::string::npos);
  EXPECT_NE(parse_error(".5").find("expected a value"), std::string::npos);
  EXPECT_NE(parse_error("+1").find("expected a value"), std::string::npos);
  EXPECT_NE(parse_error("0x10").find("trailing"), std::string::npos);
}

TEST(JsonErrors, RejectBadEscapes) {
  EXPECT_EQ(parse_error(R"("a\x")"), "line 1, column 4: invalid escape '\\x'");
  EXPECT_EQ(parse_error(R"("\u12")"), "line 1, column 4: truncated \\u escape");
  EXPECT_NE(parse_error(R"("\u12G4")").find("invalid hex digit"), std::string::npos);
  EXPECT_NE(parse_error(R"("\u12)").find("\\u escape"), std::string::npos);
}

TEST(JsonErrors, RejectUnpairedSurrogates) {
  EXPECT_EQ(parse_error(R"("ab\ud83d")"),
            "line 1, column 4: unpaired high surrogate in \\u escape");
  EXPECT_NE(parse_error(R"("\ud83dx")").find("unpaired high surrogate"), std::string::npos);
  EXPECT_NE(parse_error(R"("\ud83d\u0041")").find("unpaired high surrogate"), std::string::npos);
  EXPECT_NE(parse_error(R"("\ud83d\ud83d")").find("unpaired high surrogate"), std::string::npos);
  EXPECT_NE(parse_error(R"("\ude00")").find("unpaired low surrogate"), std::string::npos);
}

TEST(JsonErrors, RejectRawControlCharactersInStrings) {
  EXPECT_EQ(parse_error("\"a\nb\""),
            "line 1, column 3: unescaped control character byte 0x0A in string");
  EXPECT_NE(parse_error("\"a\tb\"").find("control character"), std::string::npos);
  EXPECT_NE(parse_error(std::string("\"a\0b\"", 5)).find("control character"), std::string::npos);
}

TEST(JsonErrors, RejectInvalidUtf8) {
  EXPECT_NE(parse_error("\"\xFF\"").find("invalid UTF-8"), std::string::npos);
  EXPECT_NE(parse_error("\"\xC0\xAF\"").find("invalid UTF-8"), std::string::npos);      // overlong
  EXPECT_NE(parse_error("\"\xED\xA0\x80\"").find("invalid UTF-8"), std::string::npos);  // surrogate
  EXPECT_NE(parse_error("\"\xE4\xB8\"").find("invalid UTF-8"), std::string::npos);      // truncated
  EXPECT_NE(parse_error("\"\xF4\x90\x80\x80\"").find("invalid UTF-8"), std::string::npos);
}

TEST(JsonErrors, LimitNestingTo512) {
  const std::string ok = std::string(512, '[') + std::string(512, ']');
  EXPECT_TRUE(parse(ok).ok());
  const std::string deep = std::string(513, '[') + std::string(513, ']');
  EXPECT_NE(parse_error(deep).find("nesting deeper than 512"), std::string::npos);
  std::string objects;
  for (int i = 0; i < 513; ++i) objects += "{\"a\":";
  objects += "1" + std::string(513, '}');
  EXPECT_NE(parse_error(objects).find("nesting deeper than 512"), std::string::npos);
  // Far deeper input must fail cleanly, not overflow the stack.
  EXPECT_FALSE(parse(std::string(100000, '[')).ok());
}

TEST(JsonParseFile, NamesTheFileInErrors) {
  testing::ScratchDir dir;
  testing::write_file(dir / "good.json", "{\"a\": [1, 2]}");
  testing::write_file(dir / "bad.json", "{\"a\": [1, 2}");
  auto good = parse_file((dir / "good.json").string());
  ASSERT_TRUE(good.ok()) << good.error().to_string();
  EXPECT_EQ(good->find("a")->as_array().size(), 2u);
  auto bad = parse_file((dir / "bad.json").string());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), (dir / "bad.json").string() +
                                       ": line 1, column 12: unexpected '}', expected ',' or ']'");
  auto missing = parse_file((dir / "missing.json").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("missing.json"), std::string::npos);
}

TEST(JsonParse, ParsesALargeVocabulary) {
  // About 3 MB, shaped like a BPE vocab.json with escapes and multibyte UTF-8 in keys.
  std::string text = "{";
  for (int i = 0; i < 150000; ++i) {
    if (i) text += ",";
    text += "\"\xC4\xA0tok\\u00e9n_" + std::to_string(i) + "\": " + std::to_string(i);
  }
  text += "}";
  ASSERT_GT(text.size(), 3'000'000u);
  auto parsed = parse(text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  ASSERT_EQ(parsed->as_object().size(), 150000u);
  EXPECT_EQ(parsed->as_object()[149999].first, "\xC4\xA0tok\xC3\xA9n_149999");
  EXPECT_EQ(parsed->as_object()[149999].second.as_int64(), 149999);
}

TEST(JsonParse, ParsesRealVocabFile) {
  AAE_REQUIRE_TESTDATA(data);
  const auto path = data / "mlc-real" / "qwen2.5-0.5b-med-q4f16_1-MLC" / "vocab.json";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
  auto vocab = parse_file(path.string());
  ASSERT_TRUE(vocab.ok()) << vocab.error().to_string();
  EXPECT_EQ(vocab->as_object().size(), 151643u);
  EXPECT_EQ(vocab->as_object()[0].first, "!");
  EXPECT_EQ(vocab->find("\xC4\xA0the")->as_int64(), 279);
}

// ---- ObjectReader ----

class ObjectReaderTest : public ::testing::Test {
 protected:
  Value doc = parse_ok(R"({"name": "w", "nbytes": "12", "count": 7, "ratio": 0.5,
      "whole": 4096.0, "flag": true, "list": [1], "obj": {}, "nothing": null})");
};

TEST_F(ObjectReaderTest, ReadsTypedFields) {
  auto reader = ObjectReader::make(doc, "records[3]");
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(*reader->get_string("name"), "w");
  EXPECT_EQ(*reader->get_int64("count"), 7);
  EXPECT_EQ(*reader->get_double("ratio"), 0.5);
  EXPECT_EQ(*reader->get_double("count"), 7.0);
  EXPECT_EQ(*reader->get_int64("whole"), 4096);  // an integral float is accepted
  EXPECT_TRUE(*reader->get_bool("flag"));
  EXPECT_EQ((*reader->get_array("list"))->as_array().size(), 1u);
  EXPECT_TRUE((*reader->get_object("obj"))->is_object());
  EXPECT_TRUE(reader->has("nothing"));
  EXPECT_FALSE(reader->has("absent"));
  EXPECT_EQ(reader->child_path("nbytes"), "records[3].nbytes");
}

TEST_F(ObjectReaderTest, NamesPathExpectedAndFoundTypes) {
  auto reader = ObjectReader::make(doc, "records[3]");
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(reader->get_int64("nbytes").error().message(),
            "records[3].nbytes: expected an integer, found string");
  EXPECT_EQ(reader->get_int64("ratio").error().message(),
            "records[3].ratio: expected an integer, found number 0.5");
  EXPECT_EQ(reader->get_string("count").error().message(),
            "records[3].count: expected a string, found number");
  EXPECT_EQ(reader->get_bool("nothing").error().message(),
            "records[3].nothing: expected a boolean, found null");
  EXPECT_EQ(reader->get_array("obj").error().message(),
            "records[3].obj: expected an array, found object");
  EXPECT_EQ(reader->get_object("list").error().message(),
            "records[3].list: expected an object, found array");
  EXPECT_EQ(reader->get_double("flag").error().message(),
            "records[3].flag: expected a number, found boolean");
}

TEST_F(ObjectReaderTest, ReportsMissingRequiredFields) {
  auto reader = ObjectReader::make(doc, "records[3]");
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(reader->get_int64("size").error().message(),
            "records[3]: missing required field \"size\"");
  auto root = ObjectReader::make(doc, "");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->get_string("records").error().message(), "missing required field \"records\"");
  EXPECT_EQ(root->child_path("records"), "records");
}

TEST_F(ObjectReaderTest, OptionalFieldsFallBackWhenAbsentOrNull) {
  auto reader = ObjectReader::make(doc, "cfg");
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(*reader->get_int64_or("absent", -1), -1);
  EXPECT_EQ(*reader->get_int64_or("nothing", 5), 5);
  EXPECT_EQ(*reader->get_int64_or("count", 5), 7);
  EXPECT_EQ(*reader->get_string_or("absent", "x"), "x");
  EXPECT_EQ(*reader->get_double_or("absent", 1.5), 1.5);
  EXPECT_FALSE(*reader->get_bool_or("absent", false));
  EXPECT_EQ(reader->get_int64_or("nbytes", 0).error().message(),
            "cfg.nbytes: expected an integer, found string");
  EXPECT_FALSE(reader->get_bool_or("count", true).ok());
  EXPECT_FALSE(reader->get_string_or("count", "").ok());
  EXPECT_FALSE(reader->get_double_or("name", 0).ok());
}

TEST(ObjectReader, RejectsNonObjects) {
  const Value arr = parse_ok("[1]");
  auto reader = ObjectReader::make(arr, "records[0]");
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.error().message(), "records[0]: expected an object, found array");
}

TEST(JsonValue, BuildersSetTypeAndValues) {
  EXPECT_EQ(std::string(type_name(Type::kBool)), "boolean");
  const Value i = Value::make_integer(42);
  EXPECT_TRUE(i.is_integer());
  EXPECT_EQ(i.as_double(), 42.0);
  const Value d = Value::make_number(2.5);
  EXPECT_TRUE(d.is_number());
  EXPECT_FALSE(d.is_integer());
  const Value o = Value::make_object({{"k", Value::make_string("v")}});
  EXPECT_EQ(o.find("k")->as_string(), "v");
  EXPECT_EQ(Value::make_array({Value(), Value::make_bool(true)}).as_array().size(), 2u);
}

}  // namespace
}  // namespace aae::json
