// The WordPiece model of a Hugging Face tokenizer.json ("model": {"type": "WordPiece", ...}),
// as BERT uses it, encoding one pre-tokenized word at a time like the Rust `tokenizers` library.
//
// Read fields: vocab {"token": id}, unk_token (default "[UNK]"), continuing_subword_prefix
// (default "##"), max_input_chars_per_word (default 100).
//
// Encoding one word:
//   1. a word of more than max_input_chars_per_word code points is the unk token;
//   2. else greedy longest match first: from the current position take the longest prefix of
//      the rest that is a vocab token (written with continuing_subword_prefix when it does not
//      start the word), shortening one code point at a time;
//   3. when no prefix at some position is a token, the WHOLE word becomes the unk token.
// Where HF fails with "missing unk token" (the unk token is not in the vocab and a word needs
// it), this model drops the word instead: encode_piece has no error path.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/json.h"
#include "runtime/base/status.h"
#include "runtime/tokenizer/model.h"
#include "runtime/tokenizer/token_table.h"

namespace aae::tokenizer {

struct WordPieceOptions {
  std::string unk_token = "[UNK]";
  std::string continuing_subword_prefix = "##";
  size_t max_input_chars_per_word = 100;
};

class WordPieceModel : public Model {
 public:
  // `model` is the tokenizer.json "model" object; `path` names it in errors ("model").
  static Result<WordPieceModel> from_json(const json::Value& model, const std::string& path);
  // From a vocab (ids 0..2^31-1; need not be frozen).
  static Result<WordPieceModel> from_parts(TokenTable vocab, WordPieceOptions options);

  void encode_piece(std::string_view piece, std::vector<int32_t>& out) const override;
  std::optional<int32_t> token_to_id(std::string_view token) const override;
  int32_t vocab_size() const override { return vocab_size_; }
  const std::shared_ptr<const TokenTable>& vocab() const override { return vocab_; }

 private:
  WordPieceModel() = default;

  std::shared_ptr<const TokenTable> vocab_;  // frozen
  WordPieceOptions options_;
  int32_t unk_id_ = -1;  // -1: the unk token is not in the vocab
  int32_t vocab_size_ = 0;
};

}  // namespace aae::tokenizer
