#include "convert/gen_config.h"

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

namespace aae {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;
using testing::ScratchDir;

// A tiny qwen2 model directory: H=64, 2 layers, 4 heads, 2 KV heads, vocab 300.
Json tiny_qwen2_config() {
  return Json::parse(R"({
    "architectures": ["Qwen2ForCausalLM"], "bos_token_id": 5, "eos_token_id": 6,
    "hidden_act": "silu", "hidden_size": 64, "intermediate_size": 128,
    "max_position_embeddings": 4096, "model_type": "qwen2", "num_attention_heads": 4,
    "num_hidden_layers": 2, "num_key_value_heads": 2, "rms_norm_eps": 1e-06,
    "rope_theta": 10000.0, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
    "vocab_size": 300})");
}

// A byte-level BPE tokenizer.json: 4 vocabulary tokens plus 2 added ones (one also in vocab).
const char* kByteLevelTokenizer = R"({
  "version": "1.0", "added_tokens": [
    {"id": 3, "content": "d", "special": false},
    {"id": 5, "content": "<|im_start|>", "special": true}],
  "normalizer": null, "pre_tokenizer": {"type": "ByteLevel"},
  "decoder": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true},
  "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "c": 2, "d": 3}, "merges": []}})";

void write_json(const fs::path& path, const Json& value) {
  testing::write_file(path, value.dump(2));
}

// Writes config.json, generation_config.json, tokenizer.json, vocab.json and merges.txt.
void write_hf_dir(const fs::path& dir) {
  fs::create_directories(dir);
  write_json(dir / "config.json", tiny_qwen2_config());
  testing::write_file(dir / "generation_config.json",
                      R"({"bos_token_id": 5, "eos_token_id": [6, 7], "pad_token_id": 7,
                          "temperature": 0.7, "top_p": 0.8, "repetition_penalty": 1.05,
                          "top_k": 20, "do_sample": true})");
  testing::write_file(dir / "tokenizer.json", kByteLevelTokenizer);
  testing::write_file(dir / "vocab.json", R"({"a": 0, "b": 1, "c": 2, "d": 3})");
  testing::write_file(dir / "merges.txt", "#version: 0.2\n");
}

GenConfigOptions options_for(const fs::path& source, const fs::path& output) {
  GenConfigOptions options;
  options.source = source;
  options.quantization = "q4f16_1";
  options.conv_template = "chatml";
  options.output = output;
  return options;
}

OrderedJson read_ordered(const fs::path& path) {
  return OrderedJson::parse(testing::read_file(path));
}

std::vector<std::string> keys_of(const OrderedJson& object) {
  std::vector<std::string> keys;
  for (auto it = object.begin(); it != object.end(); ++it) keys.push_back(it.key());
  return keys;
}

TEST(GenConfig, WritesChatConfigFromHfDirectory) {
  ScratchDir scratch;
  write_hf_dir(scratch / "hf");
  const fs::path out = scratch / "out";
  ASSERT_TRUE(gen_config(options_for(scratch / "hf", out)).ok());

  const OrderedJson chat = read_ordered(out / "sphere-aae-chat-config.json");
  EXPECT_EQ(keys_of(chat),
            (std::vector<std::string>{
                "version", "model_type", "quantization", "model_config", "vocab_size",
                "context_window_size", "sliding_window_size", "prefill_chunk_size",
                "attention_sink_size", "tensor_parallel_shards", "pipeline_parallel_stages",
                "active_vocab_size", "temperature", "presence_penalty", "frequency_penalty",
                "repetition_penalty", "top_p", "tokenizer_files", "tokenizer_info",
                "conv_template", "pad_token_id", "bos_token_id", "eos_token_id"}));
  EXPECT_EQ(chat["version"], "0.1.0");
  EXPECT_EQ(chat["model_type"], "qwen2");
  EXPECT_EQ(chat["quantization"], "q4f16_1");
  EXPECT_EQ(chat["model_config"]["head_dim"], 16);
  EXPECT_EQ(chat["model_config"]["max_batch_size"], 128);  // gen_config's default
  EXPECT_EQ(chat["model_config"]["dtype"], "float32");     // no "dtype" in config.json
  EXPECT_EQ(chat["vocab_size"], 300);
  EXPECT_EQ(chat["context_window_size"], 4096);
  EXPECT_EQ(chat["sliding_window_size"], -1);
  EXPECT_EQ(chat["prefill_chunk_size"], 4096);
  EXPECT_EQ(chat["attention_sink_size"], -1);
  EXPECT_EQ(chat["active_vocab_size"], 5);  // a b c d <|im_start|>
  EXPECT_EQ(chat["temperature"], 0.7);
  EXPECT_EQ(chat["presence_penalty"], 0.0);
  EXPECT_EQ(chat["frequency_penalty"], 0.0);
  EXPECT_EQ(chat["repetition_penalty"], 1.05);
  EXPECT_EQ(chat["top_p"], 0.8);
  EXPECT_EQ(chat["tokenizer_files"],
            OrderedJson::array({"tokenizer.json", "vocab.json", "merges.txt"}));
  EXPECT_EQ(chat["tokenizer_info"].dump(),
            R"({"token_postproc_method":"byte_level","prepend_space_in_encode":false,)"
            R"("strip_space_in_decode":false})");
  EXPECT_EQ(chat["conv_template"]["name"], "chatml");
  EXPECT_EQ(chat["pad_token_id"], 7);
  EXPECT_EQ(chat["bos_token_id"], 5);
  EXPECT_EQ(chat["eos_token_id"], OrderedJson::array({6, 7}));

  for (const char* name : {"tokenizer.json", "vocab.json", "merges.txt"}) {
    EXPECT_EQ(testing::read_file(out / name), testing::read_file(scratch / "hf" / name)) << name;
  }
  EXPECT_FALSE(fs::exists(out / "mlc-chat-config.json"));
  EXPECT_FALSE(fs::exists(out / "config.json"));
}

TEST(GenConfig, MlcCompatWritesIdenticalFiles) {
  ScratchDir scratch;
  write_hf_dir(scratch / "hf");
  GenConfigOptions options = options_for(scratch / "hf", scratch / "out");
  options.mlc_compat = true;
  ASSERT_TRUE(gen_config(options).ok());
  const std::string ours = testing::read_file(scratch / "out" / "sphere-aae-chat-config.json");
  EXPECT_FALSE(ours.empty());
  EXPECT_EQ(ours, testing::read_file(scratch / "out" / "mlc-chat-config.json"));
}

TEST(GenConfig, OverridesAndConfigJsonFallbacks) {
  ScratchDir scratch;
  write_hf_dir(scratch / "hf");
  fs::remove(scratch / "hf" / "generation_config.json");
  fs::remove(scratch / "hf" / "tokenizer.json");
  testing::write_file(scratch / "hf" / "tokenizer.model", "spm");
  GenConfigOptions options = options_for(scratch / "hf", scratch / "out");
  options.overrides.context_window_size = 1024;
  options.overrides.prefill_chunk_size = 512;
  options.overrides.max_batch_size = 4;
  ASSERT_TRUE(gen_config(options).ok());
  const OrderedJson chat = read_ordered(scratch / "out" / "sphere-aae-chat-config.json");
  EXPECT_EQ(chat["context_window_size"], 1024);
  EXPECT_EQ(chat["prefill_chunk_size"], 512);
  EXPECT_EQ(chat["model_config"]["max_batch_size"], 4);
  EXPECT_EQ(chat["bos_token_id"], 5);  // from config.json
  EXPECT_EQ(chat["eos_token_id"], 6);
  EXPECT_EQ(chat["pad_token_id"], 0);  // MLC's system default
  EXPECT_EQ(chat["temperature"], 1.0);
  EXPECT_EQ(chat["top_p"], 1.0);
  EXPECT_EQ(chat["active_vocab_size"], 300);  // no tokenizer.json: the model's vocab_size
  EXPECT_EQ(chat["tokenizer_files"],
            OrderedJson::array({"tokenizer.model", "vocab.json", "merges.txt"}));
  EXPECT_EQ(chat["tokenizer_info"]["token_postproc_method"], "byte_fallback");
  EXPECT_EQ(testing::read_file(scratch / "out" / "tokenizer.model"), "spm");
}

// Rebuilds the Hugging Face directory behind testdata/mlc-real/qwen2.5-0.5b-med and checks that
// gen_config writes the very bytes MLC LLM wrote.
TEST(GenConfig, ReproducesRealMlcChatConfigBytes) {
  AAE_REQUIRE_TESTDATA(testdata);
  const fs::path real = testdata / "mlc-real/qwen2.5-0.5b-med-q4f16_1-MLC";
  ScratchDir scratch;
  const fs::path hf = scratch / "hf";
  fs::create_directories(hf);
  write_json(hf / "config.json", Json::parse(R"({
    "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
    "dtype": "float16", "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 896,
    "initializer_range": 0.02, "intermediate_size": 4864, "max_position_embeddings": 32768,
    "max_window_layers": 21, "model_type": "qwen2", "num_attention_heads": 14,
    "num_hidden_layers": 24, "num_key_value_heads": 2, "rms_norm_eps": 1e-06,
    "rope_theta": 1000000.0, "sliding_window": 32768, "tie_word_embeddings": true,
    "use_cache": true, "use_sliding_window": false, "vocab_size": 151936})"));
  write_json(hf / "generation_config.json", Json::parse(R"({
    "bos_token_id": 151643, "do_sample": true, "eos_token_id": [151645, 151643],
    "pad_token_id": 151643, "repetition_penalty": 1.1, "temperature": 0.7, "top_k": 20,
    "top_p": 0.8})"));
  for (const char* name : {"vocab.json", "merges.txt", "added_tokens.json",
                           "tokenizer_config.json"}) {
    fs::copy_file(real / name, hf / name);
  }
  // tokenizer.json is not in testdata: rebuild its vocabulary and added tokens.
  Json tokenizer = Json::parse(R"({"version": "1.0", "normalizer": {"type": "NFC"},
      "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "ByteLevel"}]},
      "decoder": {"type": "ByteLevel"}, "model": {"type": "BPE", "merges": []}})");
  tokenizer["model"]["vocab"] = Json::parse(testing::read_file(real / "vocab.json"));
  tokenizer["added_tokens"] = Json::array();
  const Json added = Json::parse(testing::read_file(real / "added_tokens.json"));
  for (auto it = added.begin(); it != added.end(); ++it) {
    tokenizer["added_tokens"].push_back(
        {{"id", it.value()}, {"content", it.key()}, {"special", true}});
  }
  write_json(hf / "tokenizer.json", tokenizer);

  GenConfigOptions options = options_for(hf, scratch / "out");
  options.overrides.context_window_size = 2048;
  options.overrides.prefill_chunk_size = 2048;
  options.mlc_compat = true;
  auto status = gen_config(options);
  ASSERT_TRUE(status.ok()) << status.error().to_string();
  EXPECT_EQ(testing::read_file(scratch / "out" / "mlc-chat-config.json"),
            testing::read_file(real / "mlc-chat-config.json"));
}

void expect_failure_without_output(const GenConfigOptions& options, const std::string& needle) {
  auto status = gen_config(options);
  ASSERT_FALSE(status.ok());
  const std::string text = status.error().to_string() + " | " + status.error().hint();
  EXPECT_NE(text.find(needle), std::string::npos) << text;
  EXPECT_FALSE(fs::exists(options.output)) << "partial output left behind";
}

TEST(GenConfig, MissingConfigJsonIsAnError) {
  ScratchDir scratch;
  write_hf_dir(scratch / "hf");
  fs::remove(scratch / "hf" / "config.json");
  expect_failure_without_output(options_for(scratch / "hf", scratch / "out"), "config.json");
}

TEST(GenConfig, MissingRequiredFieldIsAnError) {
  ScratchDir scratch;
  write_hf_dir(scratch / "hf");
  Json config = tiny_qwen2_config();
  config.erase("num_key_value_heads");
  write_json(scratch / "hf" / "config.json", config);
  expect_failure_without_output(options_for(scratch / "hf", scratch / "out"),
                                "num_key_value_heads");
}

TEST(GenConfig, UnknownModelTypeIsAnError) {
  ScratchDir scratch;
  write_hf_dir(scratch / "hf");
  Json config = tiny_qwen2_config();
  config["model_type"] = "falcon";
  write_json(scratch / "hf" / "config.json", config);
  expect_failure_without_output(options_for(scratch / "hf", scratch / "out"), "qwen3");
}

TEST(GenConfig, UnknownTemplateIsAnError) {
  ScratchDir scratch;
  write_hf_dir(scratch / "hf");
  GenConfigOptions options = options_for(scratch / "hf", scratch / "out");
  options.conv_template = "chatmll";
  expect_failure_without_output(options, "did you mean chatml");
}

TEST(GenConfig, UnknownQuantizationIsAnError) {
  ScratchDir scratch;
  write_hf_dir(scratch / "hf");
  GenConfigOptions options = options_for(scratch / "hf", scratch / "out");
  options.quantization = "q4f16_9";
  expect_failure_without_output(options, "q4f16_1");
}

TEST(GenConfig, InvalidJsonAndBadValuesAreErrors) {
  ScratchDir scratch;
  write_hf_dir(scratch / "hf");
  testing::write_file(scratch / "hf" / "generation_config.json", "{\"temperature\": ");
  expect_failure_without_output(options_for(scratch / "hf", scratch / "out"),
                                "generation_config.json");
  testing::write_file(scratch / "hf" / "generation_config.json", R"({"temperature": "hot"})");
  expect_failure_without_output(options_for(scratch / "hf", scratch / "out"), "temperature");
}

TEST(GenConfig, DuplicatedAddedTokenIsAnError) {
  ScratchDir scratch;
  write_hf_dir(scratch / "hf");
  Json tokenizer = Json::parse(kByteLevelTokenizer);
  tokenizer["added_tokens"].push_back({{"id", 9}, {"content", "<|im_start|>"}});
  write_json(scratch / "hf" / "tokenizer.json", tokenizer);
  expect_failure_without_output(options_for(scratch / "hf", scratch / "out"), "<|im_start|>");
}

TEST(GenConfig, TokenizerOnlyNeedsGguf) {
  ScratchDir scratch;
  write_hf_dir(scratch / "hf");
  GenConfigOptions options = options_for(scratch / "hf", scratch / "out");
  options.tokenizer_only = true;
  expect_failure_without_output(options, "--tokenizer-only");
}

TEST(GenConfig, WritesChatConfigFromLlamaGguf) {
  AAE_REQUIRE_TESTDATA(testdata);
  ScratchDir scratch;
  GenConfigOptions options = options_for(testdata / "gguf/stories260K.gguf", scratch / "out");
  options.conv_template = "llama-2";
  auto status = gen_config(options);
  ASSERT_TRUE(status.ok()) << status.error().to_string();
  const OrderedJson chat = read_ordered(scratch / "out" / "sphere-aae-chat-config.json");
  EXPECT_EQ(chat["model_type"], "llama");
  EXPECT_EQ(chat["vocab_size"], 512);
  EXPECT_EQ(chat["model_config"]["hidden_size"], 64);
  EXPECT_EQ(chat["model_config"]["num_key_value_heads"], 4);
  EXPECT_EQ(chat["context_window_size"], 512);
  EXPECT_EQ(chat["tokenizer_files"], OrderedJson::array({"tokenizer.json"}));
  EXPECT_EQ(chat["tokenizer_info"]["token_postproc_method"], "byte_fallback");
  EXPECT_EQ(chat["bos_token_id"], 1);
  EXPECT_EQ(chat["eos_token_id"], 2);
  const Json tokenizer = Json::parse(testing::read_file(scratch / "out" / "tokenizer.json"));
  EXPECT_EQ(tokenizer["model"]["type"], "BPE");
}

TEST(GenConfig, TokenizerOnlyFromVocabularyGguf) {
  AAE_REQUIRE_TESTDATA(testdata);
  ScratchDir scratch;
  GenConfigOptions options;
  options.source = testdata / "llamacpp-vocab/ggml-vocab-gpt-2.gguf";
  options.output = scratch / "out";
  options.tokenizer_only = true;
  auto status = gen_config(options);
  ASSERT_TRUE(status.ok()) << status.error().to_string();
  std::vector<std::string> written;
  for (const auto& entry : fs::directory_iterator(scratch / "out")) {
    written.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(written, (std::vector<std::string>{"tokenizer.json"}));
  const Json tokenizer = Json::parse(testing::read_file(scratch / "out" / "tokenizer.json"));
  EXPECT_EQ(tokenizer["decoder"]["type"], "ByteLevel");
}

}  // namespace
}  // namespace aae
