// The example tokenizer and its Hugging Face files (tokenizer.json, tokenizer_config.json).
//
// Id layout: [0, bpe) trained byte-level BPE tokens; [bpe, vocab - specials) padding entries
// "<|reserved_N|>" (big presets only, so the vocabulary matches the real model's size; they sit
// in model.vocab, where no merge produces them); then the special tokens, which are
// tokenizer.json added_tokens.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/status.h"
#include "tools/make_example_model/bpe_trainer.h"
#include "tools/make_example_model/model_spec.h"

namespace aae::example {

// Trained tokens (bytes + merges) before padding and special tokens.
inline constexpr size_t kTrainedVocabSize = 384;

struct ExampleTokenizer {
  BpeModel bpe;
  int64_t reserved_count = 0;
  std::vector<std::string> specials;

  int64_t size() const {
    return static_cast<int64_t>(bpe.tokens.size()) + reserved_count + static_cast<int64_t>(specials.size());
  }
  // Id of a special token; -1 if it is not one.
  int64_t special_id(std::string_view content) const;
};

// Trains the tokenizer for `spec`. With spec.vocab_size == 0 the vocabulary is exactly the
// trained tokens plus specials; otherwise it is padded to spec.vocab_size.
Result<ExampleTokenizer> build_tokenizer(const ModelSpec& spec);

// File contents (pretty-printed JSON, trailing newline).
std::string tokenizer_json(const ExampleTokenizer& tokenizer);
std::string tokenizer_config_json(const ExampleTokenizer& tokenizer, const ModelSpec& spec);

}  // namespace aae::example
