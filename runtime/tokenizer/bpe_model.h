// The BPE model of a Hugging Face tokenizer.json ("model": {"type": "BPE", ...}), encoding one
// pre-tokenized piece at a time exactly as the Rust `tokenizers` library does.
//
// Read fields: vocab {"token": id}, merges (either "a b" strings or [a, b] pairs; the merged
// token a+b must be in the vocab), unk_token, fuse_unk, byte_fallback, ignore_merges,
// continuing_subword_prefix, end_of_word_suffix. dropout must be null/absent (dropout makes
// encoding random, which this runtime does not support).
//
// Encoding one piece:
//   1. ignore_merges: a piece that is itself a vocab token is emitted as that token;
//   2. the piece is split into code points; every code point but the first gets the
//      continuing_subword_prefix, the last gets the end_of_word_suffix;
//   3. a code point that is not in the vocab becomes its UTF-8 bytes as "<0xHH>" tokens when
//      byte_fallback is set and all of them exist, else the unk token (consecutive unknowns
//      become ONE unk when fuse_unk), else it is dropped (no unk_token configured);
//   4. merges are applied lowest rank first (ties: leftmost) until none applies.
// A long piece of a SentencePiece-style vocab (no pre-tokenizer) is split into word chunks
// first when that cannot change the result (see split_at_metaspace_).
// Results are memoized per piece in a bounded, mutex-protected cache: encode is thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "runtime/base/json.h"
#include "runtime/base/status.h"

namespace aae::tokenizer {

struct BpeOptions {
  std::optional<std::string> unk_token;
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
  std::string continuing_subword_prefix;
  std::string end_of_word_suffix;
};

class BpeModel {
 public:
  // `model` is the tokenizer.json "model" object; `path` names it in errors ("model").
  static Result<BpeModel> from_json(const json::Value& model, const std::string& path);
  // From an explicit vocab and merge list (vocab.json + merges.txt). Merges are in rank order.
  static Result<BpeModel> from_parts(std::unordered_map<std::string, int32_t> vocab,
                                     const std::vector<std::pair<std::string, std::string>>& merges,
                                     BpeOptions options);

  // Appends the ids of one piece to `out`.
  void encode_piece(std::string_view piece, std::vector<int32_t>& out) const;

  std::optional<int32_t> token_to_id(std::string_view token) const;
  // One more than the largest vocab id.
  int32_t vocab_size() const { return vocab_size_; }

 private:
  struct Merge {
    int32_t rank;
    int32_t new_id;
  };
  struct Cache;

  BpeModel() = default;
  void encode_chunk(std::string_view chunk, std::vector<int32_t>& out) const;
  void encode_uncached(std::string_view piece, std::vector<int32_t>& out) const;

  std::unordered_map<std::string, int32_t> vocab_;
  std::unordered_map<uint64_t, Merge> merges_;  // key: (left id << 32) | right id
  BpeOptions options_;
  std::optional<int32_t> unk_id_;
  int32_t byte_ids_[256];  // "<0xHH>" ids, -1 when absent (byte_fallback only)
  // Vocab id of each single ASCII character, -1 when absent; only used without a subword
  // prefix/suffix (a fast path for the initial split).
  int32_t ascii_ids_[128];
  int32_t vocab_size_ = 0;
  // True when no vocab token has a U+2581 '▁' after another character that is not '▁'
  // (SentencePiece vocabularies): then no merge can span a point where '▁' follows another
  // character, so a long piece is encoded in independent (cached) chunks split before such
  // '▁' runs, with the same result as encoding it whole.
  bool split_at_metaspace_ = false;
  std::shared_ptr<Cache> cache_;  // shared by copies; guarded by its own mutex
};

}  // namespace aae::tokenizer
