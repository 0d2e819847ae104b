#include "convert/source/gguf_tokenizer.h"

#include <gtest/gtest.h>

#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

#include "runtime/tokenizer/tokenizer_json.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

Json convert(const fs::path& gguf_path) {
  auto gguf = GgufFile::open(gguf_path);
  EXPECT_TRUE(gguf.ok()) << gguf.error().to_string();
  if (!gguf.ok()) return Json();
  auto json = gguf_tokenizer_json(*gguf);
  EXPECT_TRUE(json.ok()) << json.error().to_string();
  return json.ok() ? *json : Json();
}

// The converted tokenizer.json as the runtime reads it (through its text form).
TokenizerDecoder runtime_decoder(const Json& tokenizer_json) {
  auto decoder = TokenizerDecoder::from_json_text(tokenizer_json.dump());
  EXPECT_TRUE(decoder.ok()) << decoder.error().to_string();
  if (!decoder.ok()) return *TokenizerDecoder::from_json_text(R"({"model":{"vocab":{}}})");
  return std::move(decoder).value();
}

// llama.cpp's vocabulary test cases: X.inp holds strings separated by the marker (and ends
// with one), X.out one line of space-separated ids per string.
struct VocabCase {
  std::string input;
  std::vector<int64_t> ids;
};

std::vector<VocabCase> read_vocab_cases(const fs::path& gguf_path) {
  const std::string marker = "\n__ggml_vocab_test__\n";
  const std::string inp = testing::read_file(gguf_path.string() + ".inp");
  std::vector<std::string> inputs;
  for (size_t pos = 0; pos < inp.size();) {
    const size_t end = inp.find(marker, pos);
    inputs.push_back(inp.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
    if (end == std::string::npos) break;
    pos = end + marker.size();
  }
  std::istringstream out(testing::read_file(gguf_path.string() + ".out"));
  std::vector<VocabCase> cases;
  std::string line;
  for (const std::string& input : inputs) {
    if (!std::getline(out, line)) break;
    VocabCase c{input, {}};
    std::istringstream ids(line);
    for (int64_t id; ids >> id;) c.ids.push_back(id);
    cases.push_back(std::move(c));
  }
  EXPECT_EQ(cases.size(), inputs.size()) << gguf_path;
  return cases;
}

// Decodes every case; returns the indices whose text differs from the input (and prints them).
std::set<size_t> round_trip_failures(const fs::path& gguf_path, size_t* total) {
  const TokenizerDecoder decoder = runtime_decoder(convert(gguf_path));
  const std::vector<VocabCase> cases = read_vocab_cases(gguf_path);
  *total = cases.size();
  std::set<size_t> failures;
  for (size_t i = 0; i < cases.size(); ++i) {
    auto text = decoder.decode(cases[i].ids, /*skip_special_tokens=*/false);
    EXPECT_TRUE(text.ok()) << text.error().to_string();
    if (!text.ok() || *text != cases[i].input) {
      failures.insert(i);
      std::cout << "  case " << i << ": input [" << cases[i].input << "] decoded ["
                << (text.ok() ? *text : "") << "]\n";
    }
  }
  std::cout << gguf_path.filename().string() << ": " << cases.size() - failures.size() << "/"
            << cases.size() << " cases decode back to their input\n";
  return failures;
}

TEST(GgufTokenizer, Stories260KMatchesHfLlamaLayout) {
  AAE_REQUIRE_TESTDATA(data);
  const Json j = convert(data / "gguf/stories260K.gguf");
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["model"]["type"], "BPE");
  EXPECT_EQ(j["model"]["byte_fallback"], true);
  EXPECT_EQ(j["model"]["fuse_unk"], true);
  EXPECT_EQ(j["model"]["unk_token"], "<unk>");
  EXPECT_EQ(j["model"]["vocab"].size(), 512u);
  EXPECT_EQ(j["model"]["vocab"]["<0x0A>"], 13);
  EXPECT_TRUE(j["pre_tokenizer"].is_null());
  EXPECT_EQ(j["normalizer"], Json::parse(R"({"type":"Sequence","normalizers":[
      {"type":"Prepend","prepend":"▁"},
      {"type":"Replace","pattern":{"String":" "},"content":"▁"}]})"));
  EXPECT_EQ(j["decoder"], Json::parse(R"({"type":"Sequence","decoders":[
      {"type":"Replace","pattern":{"String":"▁"},"content":" "},
      {"type":"ByteFallback"},{"type":"Fuse"},
      {"type":"Strip","content":" ","start":1,"stop":0}]})"));
  EXPECT_EQ(j["post_processor"]["type"], "TemplateProcessing");
  EXPECT_EQ(j["post_processor"]["single"], Json::parse(R"([
      {"SpecialToken":{"id":"<s>","type_id":0}},{"Sequence":{"id":"A","type_id":0}}])"));
  EXPECT_EQ(j["post_processor"]["special_tokens"]["<s>"]["ids"], Json::array({1}));
  ASSERT_EQ(j["added_tokens"].size(), 3u);  // <unk> (unknown), <s>, </s> (control)
  EXPECT_EQ(j["added_tokens"][1]["content"], "<s>");
  EXPECT_EQ(j["added_tokens"][1]["special"], true);
  EXPECT_FALSE(j["model"]["merges"].empty());
}

TEST(GgufTokenizer, Stories260KDecodesTheReferenceGeneration) {
  AAE_REQUIRE_TESTDATA(data);
  const TokenizerDecoder decoder = runtime_decoder(convert(data / "gguf/stories260K.gguf"));
  EXPECT_EQ(decoder.vocab_size(), 512);
  const Json run =
      Json::parse(testing::read_file(data / "expected/stories260K_greedy_bos_200.json"));
  const std::vector<int64_t> ids = run["ids"].get<std::vector<int64_t>>();
  ASSERT_EQ(ids.size(), 200u);
  // The prompt was BOS alone; run.c strips one leading space after BOS, which is exactly what
  // the Strip(" ", 1, 0) decoder does to the decoded list of generated ids.
  auto text = decoder.decode(ids, /*skip_special_tokens=*/false);
  ASSERT_TRUE(text.ok()) << text.error().to_string();
  EXPECT_EQ(*text,
            testing::read_file(data / "expected/stories260K_bos_200_expected_stdout.txt"));
}

TEST(GgufTokenizer, LlamaSpmVocabTestCasesDecodeToTheirInput) {
  AAE_REQUIRE_TESTDATA(data);
  size_t total = 0;
  const std::set<size_t> failures =
      round_trip_failures(data / "llamacpp-vocab/ggml-vocab-llama-spm.gguf", &total);
  EXPECT_EQ(total, 46u);
  EXPECT_TRUE(failures.empty());
}

TEST(GgufTokenizer, Phi3VocabTestCasesDecodeToTheirInput) {
  AAE_REQUIRE_TESTDATA(data);
  size_t total = 0;
  const std::set<size_t> failures =
      round_trip_failures(data / "llamacpp-vocab/ggml-vocab-phi-3.gguf", &total);
  EXPECT_EQ(total, 46u);
  EXPECT_TRUE(failures.empty());
}

TEST(GgufTokenizer, Gpt2VocabTestCasesDecodeToTheirInput) {
  AAE_REQUIRE_TESTDATA(data);
  const fs::path path = data / "llamacpp-vocab/ggml-vocab-gpt-2.gguf";
  const Json j = convert(path);
  EXPECT_EQ(j["decoder"]["type"], "ByteLevel");
  EXPECT_EQ(j["pre_tokenizer"]["type"], "ByteLevel");  // tokenizer.ggml.pre is "gpt-2"
  EXPECT_EQ(j["pre_tokenizer"]["use_regex"], true);
  EXPECT_EQ(j["model"]["vocab"].size(), 50257u);
  EXPECT_EQ(j["model"]["merges"].size(), 50000u);
  EXPECT_EQ(j["model"]["merges"][0], "Ġ t");
  ASSERT_EQ(j["added_tokens"].size(), 1u);
  EXPECT_EQ(j["added_tokens"][0]["content"], "<|endoftext|>");
  size_t total = 0;
  const std::set<size_t> failures = round_trip_failures(path, &total);
  EXPECT_EQ(total, 46u);
  EXPECT_TRUE(failures.empty());
}

TEST(GgufTokenizer, LlamaSpmMergesUseOnlyVocabTokens) {
  AAE_REQUIRE_TESTDATA(data);
  const Json j = convert(data / "llamacpp-vocab/ggml-vocab-llama-spm.gguf");
  const Json& vocab = j["model"]["vocab"];
  std::unordered_set<std::string> tokens;
  for (const auto& [token, id] : vocab.items()) tokens.insert(token);
  const Json& merges = j["model"]["merges"];
  ASSERT_FALSE(merges.empty());
  size_t bad = 0;
  for (const Json& merge : merges) {
    const std::string text = merge.get<std::string>();
    const size_t space = text.find(' ');
    ASSERT_NE(space, std::string::npos) << text;
    const std::string left = text.substr(0, space), right = text.substr(space + 1);
    if (!tokens.count(left) || !tokens.count(right) || !tokens.count(left + right)) ++bad;
  }
  EXPECT_EQ(bad, 0u);
  std::cout << "llama-spm: " << merges.size() << " merges derived from scores\n";
}

TEST(DeriveSpmMerges, OrdersByScoreThenIdsAndSkipsNonNormalTokens) {
  const std::vector<std::string> tokens = {"<s>", "a", "b", "c", "ab", "bc", "abc", "<a", "▁",
                                           "▁a"};
  const std::vector<double> scores = {0, -1, -1, -1, -5, -3, -4, -2, -1, -5};
  const std::vector<int64_t> types = {3, 1, 1, 1, 1, 1, 1, 3, 1, 1};
  const auto merges = derive_spm_merges(tokens, scores, types);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"b", "c"},                // bc, score -3
      {"a", "bc"}, {"ab", "c"},  // abc, score -4: ordered by the left part's id (1 < 4)
      {"a", "b"},                // ab, score -5, id 4
      {"▁", "a"},                // ▁a, score -5, id 9 (split at a code point boundary)
  };                             // "<a" is a control token: no merge builds it
  EXPECT_EQ(merges, expected);
}

// bert used to be the unsupported example; it is now converted (gguf_tokenizer_bert.h, tested
// in gguf_tokenizer_bert_test.cc). No unsupported-model GGUF is in the testdata.
TEST(GgufTokenizer, BertTokenizerModelIsDispatchedToWordPiece) {
  AAE_REQUIRE_TESTDATA(data);
  const Json json = convert(data / "llamacpp-vocab/ggml-vocab-bert-bge.gguf");
  EXPECT_EQ(json["model"]["type"], "WordPiece");
}

}  // namespace
}  // namespace aae
