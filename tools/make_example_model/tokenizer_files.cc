#include "tools/make_example_model/tokenizer_files.h"

#include <nlohmann/json.hpp>

namespace aae::example {
namespace {

// A plain ChatML template (the format Qwen chat models use), written for this tool.
constexpr const char* kChatMlTemplate =
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

// Gemma's turn format (user / model turns closed by <end_of_turn>), written for this tool.
constexpr const char* kGemmaTemplate =
    "{{ bos_token }}{% for message in messages %}"
    "{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
    "{{ '<start_of_turn>' + role + '\\n' + message['content'] + '<end_of_turn>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{% endif %}";

nlohmann::ordered_json byte_level(bool add_prefix_space, bool trim_offsets) {
  return {{"type", "ByteLevel"}, {"add_prefix_space", add_prefix_space}, {"trim_offsets", trim_offsets},
          {"use_regex", true}};
}

}  // namespace

int64_t ExampleTokenizer::special_id(std::string_view content) const {
  const int64_t first = size() - static_cast<int64_t>(specials.size());
  for (size_t i = 0; i < specials.size(); ++i)
    if (specials[i] == content) return first + static_cast<int64_t>(i);
  return -1;
}

Result<ExampleTokenizer> build_tokenizer(const ModelSpec& spec) {
  ExampleTokenizer tokenizer;
  tokenizer.bpe = train_bpe(training_corpus(), kTrainedVocabSize);
  tokenizer.specials = special_tokens(spec.arch);
  if (spec.vocab_size != 0) {
    const int64_t unpadded = tokenizer.size();
    if (spec.vocab_size < unpadded) {
      return Error("preset '" + spec.preset + "' has vocab_size " + std::to_string(spec.vocab_size) +
                   " but the example tokenizer needs at least " + std::to_string(unpadded) + " tokens");
    }
    tokenizer.reserved_count = spec.vocab_size - unpadded;
  }
  return tokenizer;
}

std::string tokenizer_json(const ExampleTokenizer& tokenizer) {
  nlohmann::ordered_json added = nlohmann::ordered_json::array();
  for (const auto& content : tokenizer.specials) {
    added.push_back({{"id", tokenizer.special_id(content)},
                     {"content", content},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  }
  // Vocabulary in id order, as Hugging Face writes it.
  nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
  const auto& tokens = tokenizer.bpe.tokens;
  for (size_t id = 0; id < tokens.size(); ++id) vocab[to_byte_level(tokens[id])] = id;
  for (int64_t r = 0; r < tokenizer.reserved_count; ++r)
    vocab["<|reserved_" + std::to_string(r) + "|>"] = static_cast<int64_t>(tokens.size()) + r;
  nlohmann::ordered_json merges = nlohmann::ordered_json::array();
  for (const auto& [left, right] : tokenizer.bpe.merges)
    merges.push_back(to_byte_level(tokens[left]) + " " + to_byte_level(tokens[right]));

  nlohmann::ordered_json model = {{"type", "BPE"},
                                  {"dropout", nullptr},
                                  {"unk_token", nullptr},
                                  {"continuing_subword_prefix", nullptr},
                                  {"end_of_word_suffix", nullptr},
                                  {"fuse_unk", false},
                                  {"byte_fallback", false},
                                  {"ignore_merges", false},
                                  {"vocab", std::move(vocab)},
                                  {"merges", std::move(merges)}};
  nlohmann::ordered_json root = {{"version", "1.0"},
                                 {"truncation", nullptr},
                                 {"padding", nullptr},
                                 {"added_tokens", std::move(added)},
                                 {"normalizer", nullptr},
                                 {"pre_tokenizer", byte_level(false, true)},
                                 {"post_processor", byte_level(false, false)},
                                 {"decoder", byte_level(true, true)},
                                 {"model", std::move(model)}};
  return root.dump(2) + "\n";
}

std::string tokenizer_config_json(const ExampleTokenizer& tokenizer, const ModelSpec& spec) {
  // Sorted keys, like transformers' save_pretrained.
  nlohmann::json config;
  nlohmann::json decoder = nlohmann::json::object();
  for (const auto& content : tokenizer.specials) {
    decoder[std::to_string(tokenizer.special_id(content))] = {
        {"content", content}, {"lstrip", false}, {"normalized", false},
        {"rstrip", false},    {"single_word", false}, {"special", true}};
  }
  config["added_tokens_decoder"] = std::move(decoder);
  config["add_prefix_space"] = false;
  config["clean_up_tokenization_spaces"] = false;
  config["model_max_length"] = spec.context_length;
  config["unk_token"] = nullptr;
  if (spec.is_gemma()) {
    config["additional_special_tokens"] = {"<start_of_turn>", "<end_of_turn>"};
    config["add_bos_token"] = false;  // the conversation template supplies the prefix
    config["add_eos_token"] = false;
    config["bos_token"] = "<bos>";
    config["chat_template"] = kGemmaTemplate;
    config["eos_token"] = "<eos>";
    config["pad_token"] = nullptr;
    config["tokenizer_class"] = "PreTrainedTokenizerFast";
  } else if (spec.is_qwen()) {
    config["additional_special_tokens"] = {"<|im_start|>", "<|im_end|>"};
    config["bos_token"] = nullptr;
    config["chat_template"] = kChatMlTemplate;
    config["eos_token"] = "<|im_end|>";
    config["errors"] = "replace";
    config["pad_token"] = "<|endoftext|>";
    config["split_special_tokens"] = false;
    config["tokenizer_class"] = "Qwen2Tokenizer";
  } else {
    config["add_bos_token"] = false;
    config["add_eos_token"] = false;
    config["bos_token"] = "<|endoftext|>";
    config["eos_token"] = "<|endoftext|>";
    config["pad_token"] = nullptr;
    config["tokenizer_class"] = "PreTrainedTokenizerFast";
  }
  return config.dump(2) + "\n";
}

}  // namespace aae::example
