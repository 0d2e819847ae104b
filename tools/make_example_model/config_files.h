// config.json and generation_config.json of an example model, with the keys real Hugging Face
// configs of each model_type carry (sorted, as transformers writes them).
#pragma once

#include <cstdint>
#include <string>

#include "tools/make_example_model/model_spec.h"
#include "tools/make_example_model/tokenizer_files.h"

namespace aae::example {

// bos is "<|endoftext|>"; eos is "<|im_end|>" for qwen (chat-style), "<|endoftext|>" otherwise;
// gemma: bos "<bos>", eos and end_of_text "<eos>", end_of_turn "<end_of_turn>".
struct SpecialIds {
  int64_t bos = 0;
  int64_t eos = 0;
  int64_t end_of_text = 0;
  int64_t end_of_turn = -1;  // gemma: "<end_of_turn>", a second stop id; -1 otherwise
};
SpecialIds special_ids(const ExampleTokenizer& tokenizer);

// Precondition: spec.vocab_size is final (the tokenizer's size).
std::string config_json(const ModelSpec& spec, const SpecialIds& ids);
std::string generation_config_json(const ModelSpec& spec, const SpecialIds& ids);

}  // namespace aae::example
