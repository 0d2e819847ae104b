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
//
// Loading speed (a 151k-token vocab with 151k merges): the vocab is a TokenTable (one arena,
// flat hash index, shared with the decoder) and the merges a flat open-addressing table keyed
// by the packed id pair, so building costs three flat-table lookups per merge.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/base/json.h"
#include "runtime/base/status.h"
#include "runtime/tokenizer/model.h"
#include "runtime/tokenizer/token_table.h"

namespace aae::tokenizer {

struct BpeOptions {
  std::optional<std::string> unk_token;
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
  std::string continuing_subword_prefix;
  std::string end_of_word_suffix;
};

class BpeModel : public Model {
 public:
  // `model` is the tokenizer.json "model" object; `path` names it in errors ("model").
  static Result<BpeModel> from_json(const json::Value& model, const std::string& path);
  // From a vocab (ids must be 0..2^31-1; need not be frozen) and a merge list in rank order.
  static Result<BpeModel> from_parts(
      TokenTable vocab, const std::vector<std::pair<std::string_view, std::string_view>>& merges,
      BpeOptions options);
  // GPT-2 style files: `vocab_json` is vocab.json's text ({"token": id}), `merges_txt`
  // merges.txt's ("left right" per line; a first line "#version..." and empty lines are
  // skipped). Errors name `vocab_name` / `merges_name`.
  static Result<BpeModel> from_vocab_merges(std::string_view vocab_json,
                                            const std::string& vocab_name,
                                            std::string_view merges_txt,
                                            const std::string& merges_name, BpeOptions options);

  // Appends the ids of one piece to `out`.
  void encode_piece(std::string_view piece, std::vector<int32_t>& out) const override;

  std::optional<int32_t> token_to_id(std::string_view token) const override;
  // One more than the largest vocab id.
  int32_t vocab_size() const override { return vocab_size_; }
  const std::shared_ptr<const TokenTable>& vocab() const override { return vocab_; }

 private:
  struct Merge {
    int32_t rank;
    int32_t new_id;
  };
  // Open addressing with linear probing; key (left id << 32) | right id, ~0 marks an empty slot
  // (ids are below 2^31, so no real key is ~0).
  class MergeTable {
   public:
    void reserve(size_t merges);
    // Keeps the first merge of a repeated pair (its lower rank), as HF does.
    void insert(uint64_t key, Merge merge);
    const Merge* find(uint64_t key) const;

   private:
    struct Slot {
      uint64_t key;
      Merge merge;
    };
    std::vector<Slot> slots_;  // power-of-two size, at most half full
    size_t size_ = 0;
  };
  struct Cache;

  BpeModel() = default;
  void encode_chunk(std::string_view chunk, std::vector<int32_t>& out) const;
  void encode_uncached(std::string_view piece, std::vector<int32_t>& out) const;

  std::shared_ptr<const TokenTable> vocab_;  // frozen
  MergeTable merges_;
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
