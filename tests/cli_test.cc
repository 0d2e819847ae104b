// The sphere_aae binary as a user meets it: help, usage errors, exit codes, and the commands on
// real third-party files (stories260K GGUF, MLC-converted metadata).
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/format/weights.h"
#include "runtime/tokenizer/tokenizer_json.h"
#include "convert/source/gguf.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

using testing::run_command;
using testing::shell_quote;
namespace fs = std::filesystem;

std::string cli(const std::string& args) { return shell_quote(AAE_CLI_PATH) + " " + args; }

TEST(Cli, HelpListsEveryCommand) {
  auto result = run_command(cli("--help"));
  EXPECT_EQ(result.exit_code, 0);
  for (const char* command : {"convert_weight", "gen_config", "inspect", "compile", "download", "tokenize"})
    EXPECT_NE(result.output.find(command), std::string::npos) << result.output;
}

TEST(Cli, EveryCommandHasHelp) {
  for (const char* command : {"convert_weight", "gen_config", "inspect", "compile", "download", "tokenize"}) {
    auto result = run_command(cli(std::string(command) + " --help"));
    EXPECT_EQ(result.exit_code, 0) << command << ": " << result.output;
    EXPECT_NE(result.output.find("Usage"), std::string::npos) << result.output;
  }
}

TEST(Cli, UnknownCommandIsAUsageErrorWithASuggestion) {
  auto result = run_command(cli("inspct x"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("error: unknown command 'inspct'"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("hint: did you mean 'inspect'?"), std::string::npos) << result.output;
}

TEST(Cli, MissingArgumentIsAUsageError) {
  auto result = run_command(cli("convert_weight"));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_EQ(result.output.rfind("error: ", 0), 0u) << result.output;
  EXPECT_NE(result.output.find("hint: "), std::string::npos) << result.output;
}

TEST(Cli, UnknownQuantizationIsAnErrorNamingTheSupportedOnes) {
  testing::ScratchDir dir;
  auto result = run_command(cli("convert_weight " + shell_quote(dir.path().string()) +
                                " --quantization q5f16_9 -o " + shell_quote((dir / "out").string())));
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("q5f16_9"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("q4f16_1"), std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(Cli, InspectNamesEveryMissingShardOfRealMlcMetadata) {
  AAE_REQUIRE_TESTDATA(testdata);
  for (const char* name : {"qwen2.5-0.5b-med-q4f16_1-MLC", "ReaderLM-v2-q4f16_1-MLC"}) {
    const fs::path dir = testdata / "mlc-real" / name;
    auto result = run_command(cli("inspect " + shell_quote(dir.string())));
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find("qwen2"), std::string::npos);
    EXPECT_NE(result.output.find("q4f16_1"), std::string::npos);
    EXPECT_NE(result.output.find("params_shard_0.bin: missing"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("params_shard_7.bin: missing"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("tokenizer.json"), std::string::npos) << result.output;
  }
  // stdout alone: the JSON report; the error still goes to stderr.
  auto json = run_command("(" + cli("inspect --json " +
                          shell_quote((testdata / "mlc-real/qwen2.5-0.5b-med-q4f16_1-MLC").string())) +
                          " 2>/dev/null)");
  EXPECT_EQ(json.exit_code, 1);
  const auto report = nlohmann::json::parse(json.output);
  EXPECT_EQ(report["tensors"], 267);
  EXPECT_EQ(report["parameters"], 494032768);  // Qwen2.5-0.5B, tied
  EXPECT_EQ(report["stored_bytes"], 277996288);
  EXPECT_EQ(report["shards"].size(), 8u);
  EXPECT_EQ(report["ok"], false);
}

// stories260K, a real tiny Llama, from llama.cpp's GGUF: q0f32 keeps every float bit for bit,
// q4f16_1 verifies, and gen_config's tokenizer.json decodes the reference generation exactly.
class Stories260K : public ::testing::Test {
 protected:
  void SetUp() override {
    testdata_ = testing::testdata_dir();
    if (testdata_.empty()) GTEST_SKIP() << "shared testdata not found (set AAE_TESTDATA_DIR)";
    gguf_ = testdata_ / "gguf" / "stories260K.gguf";
  }
  fs::path testdata_, gguf_;
  testing::ScratchDir out_;
};

TEST_F(Stories260K, Q0f32IsLosslessAndQ4f16_1Verifies) {
  for (const char* quantization : {"q0f32", "q4f16_1"}) {
    const fs::path model = out_ / quantization;
    auto converted = run_command(cli("convert_weight " + shell_quote(gguf_.string()) +
                                     " --quantization " + quantization + " -o " + shell_quote(model.string())));
    ASSERT_EQ(converted.exit_code, 0) << converted.output;
    auto configured = run_command(cli("gen_config " + shell_quote(gguf_.string()) + " --quantization " +
                                      quantization + " --conv-template llama-2 -o " + shell_quote(model.string())));
    ASSERT_EQ(configured.exit_code, 0) << configured.output;
    auto inspected = run_command(cli("inspect --verify " + shell_quote(model.string())));
    ASSERT_EQ(inspected.exit_code, 0) << inspected.output;
    EXPECT_TRUE(fs::exists(model / "tokenizer.json"));
  }
  // Lossless: the converted embedding equals GGUF's token_embd.weight bit for bit.
  auto gguf = GgufFile::open(gguf_);
  ASSERT_TRUE(gguf.ok()) << gguf.error().to_string();
  auto original = gguf->read_f32("token_embd.weight");
  ASSERT_TRUE(original.ok());
  auto weights = ModelWeights::open((out_ / "q0f32").string());
  ASSERT_TRUE(weights.ok()) << weights.error().to_string();
  auto converted = weights->read_f32("model.embed_tokens.weight");
  ASSERT_TRUE(converted.ok()) << converted.error().to_string();
  ASSERT_EQ(converted->size(), original->size());
  EXPECT_EQ(std::memcmp(converted->data(), original->data(), original->size() * 4), 0);
}

TEST_F(Stories260K, GenConfigTokenizerDecodesTheReferenceGeneration) {
  const fs::path model = out_ / "tok";
  auto configured = run_command(cli("gen_config " + shell_quote(gguf_.string()) +
                                    " --quantization q4f16_1 --conv-template llama-2 -o " +
                                    shell_quote(model.string())));
  ASSERT_EQ(configured.exit_code, 0) << configured.output;
  auto decoder = TokenizerDecoder::from_file((model / "tokenizer.json").string());
  ASSERT_TRUE(decoder.ok()) << decoder.error().to_string();
  std::ifstream expected_json(testdata_ / "expected" / "stories260K_greedy_bos_200.json");
  const auto expected = nlohmann::json::parse(expected_json);
  auto text = decoder->decode(expected["ids"].get<std::vector<int64_t>>(), false);
  ASSERT_TRUE(text.ok()) << text.error().to_string();
  EXPECT_EQ(*text, testing::read_file(testdata_ / "expected" / "stories260K_bos_200_expected_stdout.txt"));
}

TEST_F(Stories260K, TruncatedShardFailsVerificationNamingTheFile) {
  const fs::path model = out_ / "q4";
  ASSERT_EQ(run_command(cli("convert_weight " + shell_quote(gguf_.string()) +
                            " --quantization q4f16_1 -o " + shell_quote(model.string()))).exit_code, 0);
  fs::resize_file(model / "params_shard_0.bin", fs::file_size(model / "params_shard_0.bin") - 1);
  auto result = run_command(cli("inspect --verify " + shell_quote(model.string())));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("params_shard_0.bin"), std::string::npos) << result.output;
}

TEST_F(Stories260K, FlippedByteFailsOnlyTheMd5Check) {
  const fs::path model = out_ / "q4";
  ASSERT_EQ(run_command(cli("convert_weight " + shell_quote(gguf_.string()) +
                            " --quantization q4f16_1 -o " + shell_quote(model.string()))).exit_code, 0);
  {
    std::fstream shard(model / "params_shard_0.bin", std::ios::in | std::ios::out | std::ios::binary);
    shard.seekp(100);
    shard.put('\x5a');
  }
  EXPECT_EQ(run_command(cli("inspect " + shell_quote(model.string()))).exit_code, 0);
  auto verified = run_command(cli("inspect --verify " + shell_quote(model.string())));
  EXPECT_EQ(verified.exit_code, 1);
  EXPECT_NE(verified.output.find("md5"), std::string::npos) << verified.output;
}

TEST_F(Stories260K, CompilesAHostModelLibraryNamedByMlcScheme) {
  const fs::path model = out_ / "q0f32";
  ASSERT_EQ(run_command(cli("convert_weight " + shell_quote(gguf_.string()) +
                            " --quantization q0f32 -o " + shell_quote(model.string()))).exit_code, 0);
  ASSERT_EQ(run_command(cli("gen_config " + shell_quote(gguf_.string()) +
                            " --quantization q0f32 --conv-template llama-2 -o " +
                            shell_quote(model.string()))).exit_code, 0);
  const fs::path lib = out_ / "stories.so";
  auto compiled = run_command(cli("compile " + shell_quote(model.string()) + " --device linux -o " +
                                  shell_quote(lib.string())));
  ASSERT_EQ(compiled.exit_code, 0) << compiled.output;
  EXPECT_NE(compiled.output.find("model_lib llama_q0f32_"), std::string::npos) << compiled.output;
  EXPECT_TRUE(fs::exists(lib));
  // The same model with another context window is another library, with another name.
  auto other = run_command(cli("compile " + shell_quote(model.string()) +
                               " --device linux --overrides context_window_size=256 -o " +
                               shell_quote((out_ / "other.so").string())));
  ASSERT_EQ(other.exit_code, 0) << other.output;
  const auto name_of = [](const std::string& output) {
    const auto at = output.find("model_lib ");
    return output.substr(at, output.find('\n', at) - at);
  };
  EXPECT_NE(name_of(compiled.output), name_of(other.output));
}

TEST(Cli, CorruptSafetensorsLeavesNoOutputDirectory) {
  testing::ScratchDir dir;
  const fs::path hf = dir / "hf";
  fs::create_directories(hf);
  testing::write_file(hf / "config.json",
                      R"({"model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
                          "num_attention_heads": 4, "num_hidden_layers": 1, "rms_norm_eps": 1e-5,
                          "vocab_size": 32, "max_position_embeddings": 128})");
  // Header length far past the end of the file.
  testing::write_file(hf / "model.safetensors", std::string("\xff\xff\xff\xff\xff\xff\xff\x7f{}", 10));
  auto result = run_command(cli("convert_weight " + shell_quote(hf.string()) +
                                " --quantization q4f16_1 -o " + shell_quote((dir / "out").string())));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("model.safetensors"), std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(dir / "out"));
}

}  // namespace
}  // namespace aae
