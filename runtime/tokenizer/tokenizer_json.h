// Decoding token ids to text with a Hugging Face tokenizer.json (encoding is separate).
//
// What is read:
//   model.vocab    BPE / WordPiece / WordLevel: an object {"token": id, ...};
//                  Unigram: an array [[piece, score], ...] whose index is the id.
//                  (A model without "type" is accepted; its vocab's shape decides.)
//   added_tokens   [{"id", "content", "special", ...}, ...]; an added token's content wins over
//                  the model's token for the same id, and "special": true marks the tokens that
//                  skip_special_tokens drops.
//   decoder        see runtime/tokenizer/decoders.h; null or absent is allowed.
//
// decode() follows the Rust `tokenizers` library's Tokenizer::decode:
//   1. each id becomes its token string (added tokens first, then the model vocab); ids with no
//      token (negative, unknown) are skipped silently, as HF does;
//   2. with skip_special_tokens, tokens whose string is the content of a special added token
//      are dropped;
//   3. the decoder turns the token list into text; WITHOUT a decoder HF joins the tokens with
//      a single space ' ' (not with nothing), and so does this class.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "runtime/base/json.h"
#include "runtime/base/status.h"
#include "runtime/tokenizer/decoders.h"
#include "runtime/tokenizer/token_table.h"

namespace aae {

class TokenizerDecoder {
 public:
  static Result<TokenizerDecoder> from_json_text(std::string_view text);
  // Errors name the file.
  static Result<TokenizerDecoder> from_file(const std::string& path);
  // `root` is the whole tokenizer.json document.
  static Result<TokenizerDecoder> from_json(const json::Value& root);
  // As from_json, but the model's id -> token table is `model_vocab` (a frozen table shared
  // with the encoding model) and root["model"] is not read.
  static Result<TokenizerDecoder> from_json(const json::Value& root,
                                            std::shared_ptr<const tokenizer::TokenTable> model_vocab);

  // One more than the largest id of the model vocab and the added tokens (0 when empty): the
  // number of rows an embedding table must have to cover every id.
  int64_t vocab_size() const { return vocab_size_; }
  // The token string of `id` (added tokens first); nullopt for an id with no token. The view
  // stays valid while this object lives.
  std::optional<std::string_view> id_to_token(int64_t id) const;
  // True when `id`'s token is the content of a special added token.
  bool is_special(int64_t id) const;
  // The decoder pipeline; nullptr when tokenizer.json has none.
  const tokenizer::Decoder* decoder() const { return decoder_ ? &*decoder_ : nullptr; }

  Result<std::string> decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const;

 private:
  TokenizerDecoder() = default;

  static Result<TokenizerDecoder> build(const json::Value& root,
                                        std::shared_ptr<const tokenizer::TokenTable> model_vocab);

  std::shared_ptr<const tokenizer::TokenTable> model_tokens_;  // model.vocab; frozen
  std::unordered_map<int64_t, std::string> added_tokens_;  // added_tokens, id -> content
  std::unordered_set<std::string> special_contents_;       // contents of special added tokens
  int64_t vocab_size_ = 0;
  std::optional<tokenizer::Decoder> decoder_;
};

}  // namespace aae
