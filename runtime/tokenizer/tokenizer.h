// A Hugging Face `tokenizers`-compatible tokenizer: encode text to ids and decode ids to text,
// giving the same ids as HF's Tokenizer::encode.
//
// encode(text, add_special_tokens) runs HF's pipeline:
//   1. split on added tokens (runtime/tokenizer/added_tokens.h): non-normalized ones on the raw
//      text, then normalized ones on the normalized text between them;
//   2. normalizer (runtime/tokenizer/normalizers.h) on every plain piece;
//   3. pre-tokenizer (runtime/tokenizer/pre_tokenizers.h); a piece that does not start the
//      input is passed as not the "first section" (Metaspace prepend_scheme "first");
//   4. model: BPE (runtime/tokenizer/bpe_model.h) or WordPiece (wordpiece_model.h);
//   5. with add_special_tokens, the post-processor: TemplateProcessing ("single" template),
//      RobertaProcessing / BertProcessing (cls + ids + sep), ByteLevel (ids unchanged),
//      Sequence of those. Special tokens written in the text are matched either way.
// Input must be valid UTF-8: ill-formed input gives an error (HF's encode takes a Rust &str,
// which cannot hold ill-formed UTF-8, so there is no HF behaviour to match).
//
// The object is immutable after loading; encode/decode are safe to call from several threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/json.h"
#include "runtime/base/status.h"
#include "runtime/tokenizer/added_tokens.h"
#include "runtime/tokenizer/bpe_model.h"
#include "runtime/tokenizer/model.h"
#include "runtime/tokenizer/normalizers.h"
#include "runtime/tokenizer/pre_tokenizers.h"
#include "runtime/tokenizer/tokenizer_json.h"
#include "runtime/tokenizer/wordpiece_model.h"

namespace aae {

class Tokenizer {
 public:
  static Result<Tokenizer> from_json_text(std::string_view text);
  // `root` is a whole tokenizer.json document.
  static Result<Tokenizer> from_json(const json::Value& root);
  // DIR/tokenizer.json, else DIR/vocab.json + DIR/merges.txt as a GPT-2 style byte-level BPE
  // (ByteLevel pre-tokenizer with the GPT-2 pattern, ByteLevel decoder) with the added tokens
  // of DIR/added_tokens.json ({content: id}) and DIR/tokenizer_config.json's
  // "added_tokens_decoder" ({"id": {content, special, lstrip, rstrip, single_word,
  // normalized}}), when present.
  static Result<Tokenizer> from_dir(const std::string& dir);

  Result<std::vector<int32_t>> encode(std::string_view text, bool add_special_tokens) const;
  Result<std::string> decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const;

  // One more than the largest id of the model and the added tokens.
  int32_t vocab_size() const;
  // Added tokens first, then the model vocab.
  std::optional<int32_t> token_to_id(std::string_view token) const;
  const TokenizerDecoder& decoder() const { return *decoder_; }

 private:
  struct PostStep {
    enum class Kind { kTemplate, kWrap } kind = Kind::kTemplate;
    std::vector<int32_t> prefix;  // ids before the sequence
    std::vector<int32_t> suffix;  // ids after it
  };
  Tokenizer() = default;
  // Everything but the model from `root` (a tokenizer.json document; "model" is not read).
  static Result<Tokenizer> assemble(const json::Value& root,
                                    std::shared_ptr<const tokenizer::Model> model);
  void encode_plain(std::string_view normalized_piece, bool first_section,
                    std::vector<int32_t>& out) const;

  std::shared_ptr<const tokenizer::Model> model_;
  std::optional<tokenizer::Normalizer> normalizer_;
  std::optional<tokenizer::PreTokenizer> pre_tokenizer_;
  std::shared_ptr<const tokenizer::AddedVocabulary> added_;
  std::vector<PostStep> post_;  // applied in order when add_special_tokens
  std::shared_ptr<const TokenizerDecoder> decoder_;
};

}  // namespace aae
