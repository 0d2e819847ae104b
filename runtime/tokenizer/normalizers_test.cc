#include "runtime/tokenizer/normalizers.h"

#include <gtest/gtest.h>

#include <string>

namespace aae::tokenizer {
namespace {

Normalizer make(const std::string& json_text) {
  auto value = json::parse(json_text);
  EXPECT_TRUE(value.ok()) << value.error().to_string();
  auto n = Normalizer::from_json(*value, "normalizer");
  EXPECT_TRUE(n.ok()) << n.error().to_string();
  if (!n.ok()) std::abort();
  return std::move(n).value();
}

std::string error_of(const std::string& json_text) {
  auto value = json::parse(json_text);
  EXPECT_TRUE(value.ok());
  auto n = Normalizer::from_json(*value, "normalizer");
  EXPECT_FALSE(n.ok());
  return n.ok() ? "" : n.error().to_string();
}

TEST(Normalizers, UnicodeForms) {
  EXPECT_EQ(make(R"({"type":"NFC"})").normalize("e\xCC\x81"), "\xC3\xA9");
  EXPECT_EQ(make(R"({"type":"NFD"})").normalize("\xC3\xA9"), "e\xCC\x81");
  EXPECT_EQ(make(R"({"type":"NFKC"})").normalize("\xEF\xAC\x81x"), "fix");  // ﬁ ligature
  EXPECT_EQ(make(R"({"type":"NFKD"})").normalize("\xE2\x91\xA0"), "1");      // ①
  EXPECT_EQ(make(R"({"type":"NFKC"})").normalize("plain ascii"), "plain ascii");
}

TEST(Normalizers, LowercaseUsesFullMappings) {
  auto n = make(R"({"type":"Lowercase"})");
  EXPECT_EQ(n.normalize("HeLLo"), "hello");
  EXPECT_EQ(n.normalize("\xC4\xB0" "STANBUL"), "i\xCC\x87stanbul");  // İ -> i + U+0307
  // ΣΣ -> σσ: per-character mapping, no final-sigma rule.
  EXPECT_EQ(n.normalize("\xCE\xA3\xCE\xA3"), "\xCF\x83\xCF\x83");
}

TEST(Normalizers, PrependOnlyToNonEmptyText) {
  auto n = make(R"({"type":"Prepend","prepend":"\u2581"})");
  EXPECT_EQ(n.normalize("hi"), "\xE2\x96\x81hi");
  EXPECT_EQ(n.normalize(""), "");
}

TEST(Normalizers, ReplaceStringReplacesAllNonOverlappingLeftToRight) {
  auto n = make(R"({"type":"Replace","pattern":{"String":" "},"content":"\u2581"})");
  EXPECT_EQ(n.normalize(" a  b "), "\xE2\x96\x81" "a\xE2\x96\x81\xE2\x96\x81" "b\xE2\x96\x81");
  auto aa = make(R"({"type":"Replace","pattern":{"String":"aa"},"content":"b"})");
  EXPECT_EQ(aa.normalize("aaaaa"), "bba");
  auto remove = make(R"({"type":"Replace","pattern":{"String":"x"},"content":""})");
  EXPECT_EQ(remove.normalize("xaxbx"), "ab");
}

TEST(Normalizers, ReplaceRegex) {
  auto n = make(R"({"type":"Replace","pattern":{"Regex":" {2,}"},"content":" "})");
  EXPECT_EQ(n.normalize("a   b  c d"), "a b c d");
  auto digits = make(R"({"type":"Replace","pattern":{"Regex":"\\d+"},"content":"#"})");
  EXPECT_EQ(digits.normalize("x12y3"), "x#y#");
}

TEST(Normalizers, StripTrimsWhiteSpaceOnRequestedSides) {
  const std::string text = "\xE3\x80\x80 a b\t\n";  // U+3000 is White_Space
  EXPECT_EQ(make(R"({"type":"Strip","strip_left":true,"strip_right":true})").normalize(text),
            "a b");
  EXPECT_EQ(make(R"({"type":"Strip","strip_left":false,"strip_right":true})").normalize(text),
            "\xE3\x80\x80 a b");
  EXPECT_EQ(make(R"({"type":"Strip","strip_left":true,"strip_right":false})").normalize(text),
            "a b\t\n");
}

TEST(Normalizers, StripAccentsAfterNfd) {
  auto n = make(R"({"type":"Sequence","normalizers":[{"type":"NFD"},{"type":"StripAccents"}]})");
  EXPECT_EQ(n.normalize("caf\xC3\xA9 na\xC3\xAFve"), "cafe naive");
}

TEST(Normalizers, BertNormalizerDefaults) {
  auto n = make(R"({"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,
                    "strip_accents":null,"lowercase":true})");
  // Control chars dropped, tab/newline -> space, CJK padded, accents stripped, lowercased.
  EXPECT_EQ(n.normalize("H\xC3\xA9llo\x01\tW\n\xE4\xB8\xAD!"), "hello w  \xE4\xB8\xAD !");
  auto keep_case = make(R"({"type":"BertNormalizer","clean_text":false,
                            "handle_chinese_chars":false,"strip_accents":false,
                            "lowercase":false})");
  EXPECT_EQ(keep_case.normalize("H\xC3\xA9\tX"), "H\xC3\xA9\tX");
  // Bert strips only nonspacing marks (Mn); StripAccents strips all marks (U+0903 is Mc).
  EXPECT_EQ(n.normalize("\xE0\xA4\x95\xE0\xA4\x83"), "\xE0\xA4\x95\xE0\xA4\x83");
  EXPECT_EQ(make(R"({"type":"StripAccents"})").normalize("\xE0\xA4\x95\xE0\xA4\x83"),
            "\xE0\xA4\x95");
}

TEST(Normalizers, ByteLevelMapsUtf8Bytes) {
  auto n = make(R"({"type":"ByteLevel"})");
  EXPECT_EQ(n.normalize("Hi \xE6\x88\x91"), "Hi\xC4\xA0\xC3\xA6\xC4\xAA\xC4\xB3");  // "HiĠæĪĳ"
  EXPECT_EQ(n.normalize(""), "");
}

TEST(Normalizers, NmtMapsControlsAndSpaces) {
  auto n = make(R"({"type":"Nmt"})");
  EXPECT_EQ(n.normalize("a\x01" "b\tc\xE2\x80\x8B" "d"), "ab c d");
}

TEST(Normalizers, SequenceAppliesInOrder) {
  auto n = make(R"({"type":"Sequence","normalizers":[
      {"type":"Prepend","prepend":"\u2581"},
      {"type":"Replace","pattern":{"String":" "},"content":"\u2581"},
      {"type":"Lowercase"}]})");
  EXPECT_EQ(n.type(), "Sequence");
  EXPECT_EQ(n.normalize("Hi There"), "\xE2\x96\x81hi\xE2\x96\x81there");
}

TEST(Normalizers, ErrorsNameTheJsonPath) {
  std::string err = error_of(R"({"type":"Sequence","normalizers":[{"type":"NFC"},
                                {"type":"Precompiled"}]})");
  EXPECT_NE(err.find("normalizer.normalizers[1].type"), std::string::npos) << err;
  EXPECT_NE(err.find("Precompiled"), std::string::npos) << err;
  err = error_of(R"({"type":"Replace","pattern":{"Other":"x"},"content":""})");
  EXPECT_NE(err.find("normalizer.pattern"), std::string::npos) << err;
  err = error_of(R"({"type":"Prepend"})");
  EXPECT_NE(err.find("prepend"), std::string::npos) << err;
  err = error_of(R"({"type":"Replace","pattern":{"Regex":"(a"},"content":""})");
  EXPECT_NE(err.find("normalizer.pattern.Regex"), std::string::npos) << err;
}

}  // namespace
}  // namespace aae::tokenizer
