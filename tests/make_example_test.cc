// End-to-end tests of sphere_aae_make_example: runs the built binary and reads what it wrote
// with nlohmann-json and by hand, independently of the maker's own code.
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

namespace {
namespace fs = std::filesystem;
using nlohmann::json;

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs the maker with `args` (already shell-quoted where needed), from `cwd` if given.
RunResult run_maker(const std::string& args, const std::string& cwd = "") {
  const std::string command = (cwd.empty() ? "" : "cd '" + cwd + "' && ") + "'" + AAE_MAKE_EXAMPLE_PATH + "' " +
                              args + " 2>&1";
  RunResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return result;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string quoted(const fs::path& path) { return "'" + path.string() + "'"; }

// Makes a tiny model of `arch` in `dir`; fails the test (not just returns) if the tool fails.
void make_tiny(const std::string& arch, const fs::path& dir, const std::string& extra = "") {
  const RunResult result = run_maker("--arch " + arch + " --preset tiny -o " + quoted(dir) + " " + extra);
  ASSERT_EQ(result.exit_code, 0) << result.output;
}

json read_json(const fs::path& path) { return json::parse(aae::testing::read_file(path)); }

struct Safetensors {
  json header;
  std::string data;
};

Safetensors read_safetensors(const fs::path& path) {
  const std::string bytes = aae::testing::read_file(path);
  Safetensors out;
  if (bytes.size() < 8) {
    ADD_FAILURE() << path << " is shorter than 8 bytes";
    return out;
  }
  uint64_t length = 0;
  for (int i = 0; i < 8; ++i) length |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[i])) << (8 * i);
  EXPECT_EQ(length % 8, 0u) << path;
  out.header = json::parse(bytes.substr(8, length));
  out.data = bytes.substr(8 + length);
  return out;
}

// The tensor table a tiny model of `arch` must have: name -> shape.
std::map<std::string, std::vector<int64_t>> expected_tiny_tensors(const std::string& arch, int64_t vocab) {
  const bool qwen = arch == "qwen2" || arch == "qwen3";
  std::map<std::string, std::vector<int64_t>> out;
  out["model.embed_tokens.weight"] = {vocab, 64};
  out["model.norm.weight"] = {64};
  if (!qwen) out["lm_head.weight"] = {vocab, 64};
  for (int layer = 0; layer < 2; ++layer) {
    const std::string p = "model.layers." + std::to_string(layer) + ".";
    out[p + "input_layernorm.weight"] = {64};
    out[p + "post_attention_layernorm.weight"] = {64};
    out[p + "self_attn.q_proj.weight"] = {64, 64};  // 4 heads x 16
    out[p + "self_attn.k_proj.weight"] = {32, 64};  // 2 KV heads x 16
    out[p + "self_attn.v_proj.weight"] = {32, 64};
    out[p + "self_attn.o_proj.weight"] = {64, 64};
    out[p + "mlp.gate_proj.weight"] = {176, 64};
    out[p + "mlp.up_proj.weight"] = {176, 64};
    out[p + "mlp.down_proj.weight"] = {64, 176};
    if (arch == "qwen2") {
      out[p + "self_attn.q_proj.bias"] = {64};
      out[p + "self_attn.k_proj.bias"] = {32};
      out[p + "self_attn.v_proj.bias"] = {32};
    }
    if (arch == "qwen3") {
      out[p + "self_attn.q_norm.weight"] = {16};
      out[p + "self_attn.k_norm.weight"] = {16};
    }
  }
  return out;
}

std::vector<float> f32_values(const Safetensors& file, const std::string& name) {
  const json& info = file.header.at(name);
  EXPECT_EQ(info["dtype"], "F32");
  const uint64_t begin = info["data_offsets"][0], end = info["data_offsets"][1];
  std::vector<float> out((end - begin) / 4);
  std::memcpy(out.data(), file.data.data() + begin, end - begin);
  return out;
}

void mean_and_std(const std::vector<float>& values, double& mean, double& std_dev) {
  double sum = 0, sum_sq = 0;
  for (float v : values) sum += v;
  mean = sum / values.size();
  for (float v : values) sum_sq += (v - mean) * (v - mean);
  std_dev = std::sqrt(sum_sq / values.size());
}

class MakeExampleArch : public ::testing::TestWithParam<std::string> {};

TEST_P(MakeExampleArch, WritesConfigWithTheKeysOfTheRealModelType) {
  const std::string arch = GetParam();
  aae::testing::ScratchDir scratch;
  make_tiny(arch, scratch / "model");
  const json config = read_json(scratch / "model" / "config.json");

  std::set<std::string> expected_keys = {
      "architectures",     "model_type",          "hidden_size",        "intermediate_size",
      "num_attention_heads", "num_key_value_heads", "num_hidden_layers",  "rms_norm_eps",
      "rope_theta",        "max_position_embeddings", "vocab_size",     "tie_word_embeddings",
      "hidden_act",        "torch_dtype",         "bos_token_id",       "eos_token_id"};
  if (arch == "mistral") expected_keys.insert("sliding_window");
  if (arch == "qwen3") expected_keys.insert({"head_dim", "attention_bias"});
  std::set<std::string> keys;
  for (const auto& item : config.items()) keys.insert(item.key());
  EXPECT_EQ(keys, expected_keys);

  const std::map<std::string, std::string> class_names = {{"llama", "LlamaForCausalLM"},
                                                           {"mistral", "MistralForCausalLM"},
                                                           {"qwen2", "Qwen2ForCausalLM"},
                                                           {"qwen3", "Qwen3ForCausalLM"}};
  EXPECT_EQ(config["architectures"], json::array({class_names.at(arch)}));
  EXPECT_EQ(config["model_type"], arch);
  EXPECT_EQ(config["hidden_size"], 64);
  EXPECT_EQ(config["intermediate_size"], 176);
  EXPECT_EQ(config["num_attention_heads"], 4);
  EXPECT_EQ(config["num_key_value_heads"], 2);
  EXPECT_EQ(config["num_hidden_layers"], 2);
  EXPECT_EQ(config["max_position_embeddings"], 512);
  EXPECT_EQ(config["hidden_act"], "silu");
  EXPECT_EQ(config["torch_dtype"], "bfloat16");
  EXPECT_EQ(config["tie_word_embeddings"], arch == "qwen2" || arch == "qwen3");
  if (arch == "mistral") {
    EXPECT_TRUE(config["sliding_window"].is_null());
  }
  if (arch == "qwen3") {
    EXPECT_EQ(config["head_dim"], 16);
    EXPECT_EQ(config["attention_bias"], false);
  }
  const json generation = read_json(scratch / "model" / "generation_config.json");
  EXPECT_TRUE(generation.contains("temperature"));
  EXPECT_TRUE(generation.contains("top_p"));
  EXPECT_EQ(generation["bos_token_id"], config["bos_token_id"]);
}

TEST_P(MakeExampleArch, WritesHfTensorNamesShapesAndContiguousData) {
  const std::string arch = GetParam();
  aae::testing::ScratchDir scratch;
  make_tiny(arch, scratch / "model");
  const int64_t vocab = read_json(scratch / "model" / "config.json")["vocab_size"];
  EXPECT_FALSE(fs::exists(scratch / "model" / "model.safetensors.index.json"));
  const Safetensors file = read_safetensors(scratch / "model" / "model.safetensors");

  const auto expected = expected_tiny_tensors(arch, vocab);
  std::map<std::string, std::vector<int64_t>> found;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& item : file.header.items()) {
    if (item.key() == "__metadata__") continue;
    EXPECT_EQ(item.value()["dtype"], "BF16") << item.key();
    found[item.key()] = item.value()["shape"].get<std::vector<int64_t>>();
    ranges.emplace_back(item.value()["data_offsets"][0], item.value()["data_offsets"][1]);
    uint64_t elements = 1;
    for (int64_t d : found[item.key()]) elements *= d;
    EXPECT_EQ(ranges.back().second - ranges.back().first, elements * 2) << item.key();
  }
  EXPECT_EQ(found, expected);
  std::sort(ranges.begin(), ranges.end());
  uint64_t next = 0;
  for (const auto& [begin, end] : ranges) {
    EXPECT_EQ(begin, next);
    next = end;
  }
  EXPECT_EQ(next, file.data.size());
}

TEST_P(MakeExampleArch, TokenizerJsonIsAConsistentByteLevelBpe) {
  const std::string arch = GetParam();
  aae::testing::ScratchDir scratch;
  make_tiny(arch, scratch / "model");
  const json config = read_json(scratch / "model" / "config.json");
  const json tokenizer = read_json(scratch / "model" / "tokenizer.json");

  EXPECT_EQ(tokenizer["version"], "1.0");
  EXPECT_TRUE(tokenizer["truncation"].is_null());
  EXPECT_TRUE(tokenizer["padding"].is_null());
  EXPECT_TRUE(tokenizer["normalizer"].is_null());
  EXPECT_EQ(tokenizer["pre_tokenizer"]["type"], "ByteLevel");
  EXPECT_EQ(tokenizer["pre_tokenizer"]["add_prefix_space"], false);
  EXPECT_EQ(tokenizer["pre_tokenizer"]["use_regex"], true);
  EXPECT_EQ(tokenizer["decoder"]["type"], "ByteLevel");
  const json& model = tokenizer["model"];
  EXPECT_EQ(model["type"], "BPE");
  EXPECT_EQ(model["byte_fallback"], false);
  EXPECT_TRUE(model["unk_token"].is_null());

  // Ids 0..N-1 each used exactly once across the BPE vocab and the added tokens.
  std::map<int64_t, std::string> by_id;
  for (const auto& item : model["vocab"].items()) EXPECT_TRUE(by_id.emplace(item.value(), item.key()).second);
  std::map<std::string, int64_t> specials;
  for (const auto& added : tokenizer["added_tokens"]) {
    EXPECT_EQ(added["special"], true);
    EXPECT_TRUE(by_id.emplace(added["id"], added["content"]).second) << added.dump();
    specials[added["content"]] = added["id"];
  }
  const int64_t vocab_size = config["vocab_size"];
  ASSERT_EQ(static_cast<int64_t>(by_id.size()), vocab_size);
  EXPECT_EQ(by_id.begin()->first, 0);
  EXPECT_EQ(by_id.rbegin()->first, vocab_size - 1);
  EXPECT_GE(vocab_size, 300);
  EXPECT_LE(vocab_size, 500);
  // Every byte is a token ("Ġ" is the space), so any text can be encoded.
  EXPECT_TRUE(model["vocab"].contains("\xc4\xa0"));

  ASSERT_GT(model["merges"].size(), 50u);
  for (const auto& merge : model["merges"]) {
    const std::string text = merge;
    const size_t space = text.find(' ');
    ASSERT_NE(space, std::string::npos) << text;
    const std::string left = text.substr(0, space), right = text.substr(space + 1);
    EXPECT_TRUE(model["vocab"].contains(left)) << text;
    EXPECT_TRUE(model["vocab"].contains(right)) << text;
    EXPECT_TRUE(model["vocab"].contains(left + right)) << text;
  }

  // Special tokens take the last ids; config ids refer to them.
  ASSERT_EQ(specials.count("<|endoftext|>"), 1u);
  EXPECT_EQ(config["bos_token_id"], specials["<|endoftext|>"]);
  const bool qwen = arch == "qwen2" || arch == "qwen3";
  EXPECT_EQ(specials.size(), qwen ? 3u : 1u);
  EXPECT_EQ(config["eos_token_id"], qwen ? specials["<|im_end|>"] : specials["<|endoftext|>"]);
  for (const auto& [content, id] : specials) EXPECT_GE(id, vocab_size - static_cast<int64_t>(specials.size()));

  const json tokenizer_config = read_json(scratch / "model" / "tokenizer_config.json");
  EXPECT_EQ(tokenizer_config["added_tokens_decoder"].size(), specials.size());
  EXPECT_EQ(tokenizer_config["eos_token"], qwen ? "<|im_end|>" : "<|endoftext|>");
}

INSTANTIATE_TEST_SUITE_P(AllArchitectures, MakeExampleArch, ::testing::Values("llama", "mistral", "qwen2", "qwen3"),
                         [](const auto& info) { return info.param; });

TEST(MakeExample, SameSeedGivesIdenticalFilesAndAnotherSeedDifferentWeights) {
  aae::testing::ScratchDir scratch;
  make_tiny("qwen2", scratch / "a", "--seed 7");
  make_tiny("qwen2", scratch / "b", "--seed 7");
  make_tiny("qwen2", scratch / "c", "--seed 8");
  for (const char* name : {"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                           "model.safetensors"}) {
    EXPECT_EQ(aae::testing::read_file(scratch / "a" / name), aae::testing::read_file(scratch / "b" / name)) << name;
  }
  EXPECT_NE(aae::testing::read_file(scratch / "a" / "model.safetensors"),
            aae::testing::read_file(scratch / "c" / "model.safetensors"));
  EXPECT_EQ(aae::testing::read_file(scratch / "a" / "tokenizer.json"),
            aae::testing::read_file(scratch / "c" / "tokenizer.json"));
}

TEST(MakeExample, Float32WeightsAreScaledLikeARealInit) {
  aae::testing::ScratchDir scratch;
  make_tiny("llama", scratch / "model", "--dtype float32");
  EXPECT_EQ(read_json(scratch / "model" / "config.json")["torch_dtype"], "float32");
  const Safetensors file = read_safetensors(scratch / "model" / "model.safetensors");
  double mean, std_dev;
  mean_and_std(f32_values(file, "model.layers.0.mlp.up_proj.weight"), mean, std_dev);
  EXPECT_NEAR(mean, 0.0, 0.002);
  EXPECT_NEAR(std_dev, 0.02, 0.002);
  const std::vector<float> norm = f32_values(file, "model.layers.1.input_layernorm.weight");
  mean_and_std(norm, mean, std_dev);
  EXPECT_NEAR(mean, 1.0, 0.03);
  EXPECT_GT(std_dev, 0.0);  // not all ones: a converter that skips the scale must show it
  // Tensors get their own streams: equal shapes, different values.
  EXPECT_NE(f32_values(file, "model.layers.0.self_attn.q_proj.weight"),
            f32_values(file, "model.layers.0.self_attn.o_proj.weight"));
}

TEST(MakeExample, ShardsWithAnIndexWhenMaxShardSizeIsSmall) {
  aae::testing::ScratchDir scratch;
  make_tiny("qwen3", scratch / "model", "--dtype float32 --max-shard-size 64KiB");
  EXPECT_FALSE(fs::exists(scratch / "model" / "model.safetensors"));
  const json index = read_json(scratch / "model" / "model.safetensors.index.json");
  const int64_t vocab = read_json(scratch / "model" / "config.json")["vocab_size"];
  const auto expected = expected_tiny_tensors("qwen3", vocab);
  ASSERT_EQ(index["weight_map"].size(), expected.size());

  std::set<std::string> files;
  for (const auto& item : index["weight_map"].items()) files.insert(item.value().get<std::string>());
  ASSERT_GE(files.size(), 3u);
  const std::string last = "model-0000" + std::to_string(files.size()) + "-of-0000" + std::to_string(files.size()) + ".safetensors";
  EXPECT_EQ(*files.rbegin(), last);

  uint64_t total = 0;
  for (const auto& file_name : files) {
    const Safetensors shard = read_safetensors(scratch / "model" / file_name);
    total += shard.data.size();
    for (const auto& item : shard.header.items()) {
      if (item.key() == "__metadata__") continue;
      EXPECT_EQ(index["weight_map"][item.key()], file_name) << item.key();
      EXPECT_EQ(item.value()["shape"].get<std::vector<int64_t>>(), expected.at(item.key()));
    }
  }
  EXPECT_EQ(index["metadata"]["total_size"], total);
}

TEST(MakeExample, RefusesToOverwriteANonEmptyDirectoryUnlessForced) {
  aae::testing::ScratchDir scratch;
  const fs::path dir = scratch / "model";
  fs::create_directories(dir);
  aae::testing::write_file(dir / "keep.txt", "mine");

  const RunResult refused = run_maker("--arch llama --preset tiny -o " + quoted(dir));
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("error:"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("hint:"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("--force"), std::string::npos) << refused.output;
  EXPECT_EQ(aae::testing::read_file(dir / "keep.txt"), "mine");
  EXPECT_FALSE(fs::exists(dir / "config.json"));

  const RunResult forced = run_maker("--arch llama --preset tiny --force -o " + quoted(dir));
  EXPECT_EQ(forced.exit_code, 0) << forced.output;
  EXPECT_FALSE(fs::exists(dir / "keep.txt"));
  EXPECT_TRUE(fs::exists(dir / "model.safetensors"));
  // Nothing left behind: no staging or moved-aside directories beside the model.
  std::vector<std::string> entries;
  for (const auto& entry : fs::directory_iterator(scratch.path())) entries.push_back(entry.path().filename().string());
  EXPECT_EQ(entries, std::vector<std::string>{"model"});
}

TEST(MakeExample, ForceNeverReplacesTheCurrentDirectoryOrItsParents) {
  aae::testing::ScratchDir scratch;
  fs::create_directories(scratch / "work" / "sub");
  aae::testing::write_file(scratch / "work" / "notes.txt", "keep");
  const RunResult result = run_maker("--arch llama --preset tiny --force -o ..", (scratch / "work" / "sub").string());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("current directory"), std::string::npos) << result.output;
  EXPECT_EQ(aae::testing::read_file(scratch / "work" / "notes.txt"), "keep");
  EXPECT_TRUE(fs::exists(scratch / "work" / "sub"));
}

TEST(MakeExample, AnEmptyExistingDirectoryIsFilledWithoutForce) {
  aae::testing::ScratchDir scratch;
  fs::create_directories(scratch / "model");
  make_tiny("mistral", scratch / "model");
  EXPECT_TRUE(fs::exists(scratch / "model" / "tokenizer.json"));
}

TEST(MakeExample, UsageErrorsExitWithCodeTwo) {
  aae::testing::ScratchDir scratch;
  const RunResult bad_arch = run_maker("--arch gpt5 --preset tiny -o " + quoted(scratch / "m"));
  EXPECT_EQ(bad_arch.exit_code, 2) << bad_arch.output;
  EXPECT_NE(bad_arch.output.find("error:"), std::string::npos);
  const RunResult no_output = run_maker("--arch llama --preset tiny");
  EXPECT_EQ(no_output.exit_code, 2) << no_output.output;
  const RunResult bad_size = run_maker("--arch llama --preset tiny --max-shard-size lots -o " + quoted(scratch / "m"));
  EXPECT_EQ(bad_size.exit_code, 2) << bad_size.output;
  EXPECT_FALSE(fs::exists(scratch / "m"));
}

// gemma/gemma2: Gemma's config keys, head_dim 2 * hidden / heads, tied (no lm_head), norms near
// 0 (HF scales by 1 + w), gemma2's feed-forward norms, and Gemma's special tokens.
class MakeExampleGemma : public ::testing::TestWithParam<std::string> {};

TEST_P(MakeExampleGemma, WritesGemmaConfigTensorsAndSpecialTokens) {
  const std::string arch = GetParam();
  const bool gemma2 = arch == "gemma2";
  aae::testing::ScratchDir scratch;
  make_tiny(arch, scratch / "model", "--dtype float32");
  const json config = read_json(scratch / "model" / "config.json");
  EXPECT_EQ(config["architectures"], json::array({gemma2 ? "Gemma2ForCausalLM" : "GemmaForCausalLM"}));
  EXPECT_EQ(config["hidden_act"], "gelu_pytorch_tanh");
  EXPECT_EQ(config["hidden_activation"], "gelu_pytorch_tanh");
  EXPECT_EQ(config["head_dim"], 32);
  EXPECT_EQ(config["attention_bias"], false);
  EXPECT_EQ(config["tie_word_embeddings"], true);
  EXPECT_EQ(config.contains("final_logit_softcapping"), gemma2);
  if (gemma2) {
    EXPECT_EQ(config["query_pre_attn_scalar"], 32);
    EXPECT_EQ(config["sliding_window"], 256);
  }

  const Safetensors file = read_safetensors(scratch / "model" / "model.safetensors");
  EXPECT_FALSE(file.header.contains("lm_head.weight"));
  EXPECT_EQ(file.header["model.layers.1.self_attn.q_proj.weight"]["shape"], json::array({128, 64}));
  EXPECT_EQ(file.header["model.layers.1.self_attn.o_proj.weight"]["shape"], json::array({64, 128}));
  EXPECT_EQ(file.header.contains("model.layers.1.pre_feedforward_layernorm.weight"), gemma2);
  EXPECT_EQ(file.header.contains("model.layers.1.post_feedforward_layernorm.weight"), gemma2);
  double mean, std_dev;
  mean_and_std(f32_values(file, "model.layers.1.input_layernorm.weight"), mean, std_dev);
  EXPECT_NEAR(mean, 0.0, 0.03);
  EXPECT_GT(std_dev, 0.0);

  const json tokenizer = read_json(scratch / "model" / "tokenizer.json");
  std::map<std::string, int64_t> specials;
  for (const auto& added : tokenizer["added_tokens"]) specials[added["content"]] = added["id"];
  ASSERT_EQ(specials.size(), 4u);
  EXPECT_EQ(config["bos_token_id"], specials["<bos>"]);
  EXPECT_EQ(config["eos_token_id"], specials["<eos>"]);
  const json generation = read_json(scratch / "model" / "generation_config.json");
  EXPECT_EQ(generation["eos_token_id"], json::array({specials["<eos>"], specials["<end_of_turn>"]}));
  const json tokenizer_config = read_json(scratch / "model" / "tokenizer_config.json");
  EXPECT_EQ(tokenizer_config["bos_token"], "<bos>");
  EXPECT_NE(tokenizer_config["chat_template"].get<std::string>().find("<start_of_turn>"),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Gemma, MakeExampleGemma, ::testing::Values("gemma", "gemma2"),
                         [](const auto& info) { return info.param; });

}  // namespace
