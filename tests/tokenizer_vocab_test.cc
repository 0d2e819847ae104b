// End-to-end tokenizer checks over real vocabularies: the CLI writes tokenizer.json from GGUF
// vocab files, and aae::Tokenizer must reproduce the reference ids that llama.cpp ships for
// them (HF tokenizers and llama.cpp agree on these cases by design).
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/tokenizer/streaming_decoder.h"
#include "runtime/tokenizer/tokenizer.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

namespace fs = std::filesystem;
using testing::run_command;
using testing::shell_quote;

// Runs gen_config --tokenizer-only on `gguf` into `out_dir` and loads the tokenizer.
Result<Tokenizer> make_tokenizer(const fs::path& gguf, const fs::path& out_dir,
                                 bool tokenizer_only = true) {
  const std::string command = std::string(AAE_CLI_PATH) + " gen_config " +
                              shell_quote(gguf.string()) +
                              " --quantization q0f32 --conv-template llama-2 " +
                              (tokenizer_only ? "--tokenizer-only " : "") + "-o " +
                              shell_quote(out_dir.string());
  const auto result = run_command(command);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return Tokenizer::from_dir(out_dir.string());
}

// llama.cpp's test-tokenizer-0 format: cases separated by "\n__ggml_vocab_test__\n" in .inp,
// one line of space-separated ids per case in .out.
struct VocabCase {
  std::string text;
  std::vector<int32_t> ids;
};

std::vector<VocabCase> read_cases(const fs::path& inp, const fs::path& out) {
  const std::string separator = "\n__ggml_vocab_test__\n";
  const std::string text = testing::read_file(inp);
  std::vector<VocabCase> cases;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find(separator, start);
    if (end == std::string::npos) break;
    cases.push_back({text.substr(start, end - start), {}});
    start = end + separator.size();
  }
  std::istringstream lines(testing::read_file(out));
  std::string line;
  for (VocabCase& c : cases) {
    if (!std::getline(lines, line)) break;
    std::istringstream words(line);
    int32_t id = 0;
    while (words >> id) c.ids.push_back(id);
  }
  return cases;
}

std::string ids_text(const std::vector<int32_t>& ids) {
  std::string out;
  for (int32_t id : ids) out += std::to_string(id) + " ";
  return out;
}

// Returns the number of matching cases; prints each mismatch.
int count_matches(const std::string& vocab, const fs::path& testdata, int* total) {
  const fs::path dir = testdata / "llamacpp-vocab";
  testing::ScratchDir scratch;
  auto loaded = make_tokenizer(dir / ("ggml-vocab-" + vocab + ".gguf"), scratch / "tok");
  if (!loaded.ok()) {
    ADD_FAILURE() << loaded.error().to_string();
    return -1;
  }
  const Tokenizer& tokenizer = *loaded;
  const auto cases = read_cases(dir / ("ggml-vocab-" + vocab + ".gguf.inp"),
                                dir / ("ggml-vocab-" + vocab + ".gguf.out"));
  int matches = 0;
  for (const VocabCase& c : cases) {
    auto ids = tokenizer.encode(c.text, /*add_special_tokens=*/false);
    if (ids.ok() && *ids == c.ids) {
      ++matches;
    } else {
      ADD_FAILURE() << vocab << ": text \"" << c.text << "\"\n  expected " << ids_text(c.ids)
                    << "\n  found    " << (ids.ok() ? ids_text(*ids) : ids.error().to_string());
    }
  }
  *total = static_cast<int>(cases.size());
  std::printf("[ tokenizer ] %s: %d / %d cases match\n", vocab.c_str(), matches, *total);
  return matches;
}

TEST(TokenizerVocab, LlamaSpmMatchesLlamaCppReference) {
  AAE_REQUIRE_TESTDATA(testdata);
  int total = 0;
  EXPECT_EQ(count_matches("llama-spm", testdata, &total), total);
  EXPECT_GT(total, 30);
}

TEST(TokenizerVocab, Gpt2MatchesLlamaCppReference) {
  AAE_REQUIRE_TESTDATA(testdata);
  int total = 0;
  EXPECT_EQ(count_matches("gpt-2", testdata, &total), total);
  EXPECT_GT(total, 30);
}

TEST(TokenizerVocab, Phi3MatchesLlamaCppReference) {
  AAE_REQUIRE_TESTDATA(testdata);
  int total = 0;
  EXPECT_EQ(count_matches("phi-3", testdata, &total), total);
  EXPECT_GT(total, 30);
}

TEST(TokenizerVocab, BertBgeMatchesLlamaCppReference) {  // WordPiece
  AAE_REQUIRE_TESTDATA(testdata);
  int total = 0;
  EXPECT_EQ(count_matches("bert-bge", testdata, &total), total);
  EXPECT_GT(total, 30);
}

TEST(TokenizerVocab, Llama2VectorsMatch) {
  AAE_REQUIRE_TESTDATA(testdata);
  testing::ScratchDir scratch;
  auto loaded = make_tokenizer(testdata / "llamacpp-vocab" / "ggml-vocab-llama-spm.gguf",
                               scratch / "tok");
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  const Tokenizer& tokenizer = *loaded;
  const auto vectors = nlohmann::json::parse(
      testing::read_file(testdata / "expected" / "llama2_tokenizer_vectors.json"));
  int checked = 0;
  for (const auto& c : vectors["cases"]) {
    auto ids = tokenizer.encode(c["text"].get<std::string>(), c["bos"].get<bool>());
    ASSERT_TRUE(ids.ok()) << ids.error().to_string();
    EXPECT_EQ(*ids, c["ids"].get<std::vector<int32_t>>()) << c["text"];
    ++checked;
  }
  EXPECT_EQ(checked, 5);
}

TEST(TokenizerVocab, Stories260KRoundTripsAndStreams) {
  AAE_REQUIRE_TESTDATA(testdata);
  testing::ScratchDir scratch;
  auto loaded = make_tokenizer(testdata / "gguf" / "stories260K.gguf", scratch / "model",
                               /*tokenizer_only=*/false);
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  const Tokenizer& tokenizer = *loaded;
  const std::string text =
      testing::read_file(testdata / "expected" / "stories260K_bos_200_expected_stdout.txt");
  auto ids = tokenizer.encode(text, /*add_special_tokens=*/false);
  ASSERT_TRUE(ids.ok()) << ids.error().to_string();
  EXPECT_GT(ids->size(), 100u);
  auto decoded = tokenizer.decode(*ids, /*skip_special_tokens=*/false);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, text);

  StreamingDecoder stream(tokenizer);
  std::string streamed;
  for (int32_t id : *ids) streamed += stream.push(id);
  streamed += stream.finish();
  EXPECT_EQ(streamed, *decoded);
}

TEST(TokenizerVocab, Qwen25VocabMergesRoundTrip) {
  AAE_REQUIRE_TESTDATA(testdata);
  const fs::path dir = testdata / "mlc-real" / "qwen2.5-0.5b-med-q4f16_1-MLC";
  if (!fs::exists(dir / "vocab.json")) GTEST_SKIP() << "no Qwen2.5 vocab.json in testdata";
  testing::ScratchDir scratch;
  // Only vocab.json + merges.txt (+ config), so the GPT-2 style loading path is exercised.
  for (const char* name : {"vocab.json", "merges.txt", "tokenizer_config.json", "added_tokens.json"}) {
    if (fs::exists(dir / name)) fs::copy_file(dir / name, scratch / name);
  }
  auto tokenizer = Tokenizer::from_dir(scratch.path().string());
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.error().to_string();
  EXPECT_GE(tokenizer->vocab_size(), 151643);
  const auto im_start = tokenizer->token_to_id("<|im_start|>");
  const auto im_end = tokenizer->token_to_id("<|im_end|>");
  ASSERT_TRUE(im_start && im_end);
  for (const std::string& text : {std::string("<|im_start|>user\nHi<|im_end|>"),
                                 std::string("Hello, world! 1234 ünïcödé 你好"),
                                 std::string("  leading spaces\n\n and\ttabs")}) {
    auto ids = tokenizer->encode(text, false);
    ASSERT_TRUE(ids.ok()) << ids.error().to_string();
    auto back = tokenizer->decode(*ids, false);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, text);
  }
  auto chat = tokenizer->encode("<|im_start|>user\nHi<|im_end|>", false);
  ASSERT_TRUE(chat.ok());
  EXPECT_EQ(chat->front(), *im_start);
  EXPECT_EQ(chat->back(), *im_end);
  EXPECT_EQ(chat->size(), 5u);  // <|im_start|> "user" "\n" "Hi" <|im_end|>
}

}  // namespace
}  // namespace aae
