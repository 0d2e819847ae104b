// A vocabulary of (token string, id) pairs with fast lookups both ways, built for loading large
// vocabularies (150k+ tokens) quickly: all token bytes live in one arena, token -> id is an
// open-addressing hash table of 8-byte slots (hash tag + entry index, so most probes never touch
// the token bytes), and id -> token is a dense array when the ids are dense.
//
// Duplicates follow what the tokenizer loaders did with hash maps: a repeated token keeps its
// first id for token -> id but its later ids still map back to it; an id given to several
// tokens maps back to its first token (and every one of those tokens maps to the id).
//
// Build with insert() then freeze(); lookups are valid only after freeze(). After freeze() the
// table is immutable and safe to share between threads; string_views it returns stay valid
// while it lives.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aae::tokenizer {

class TokenTable {
 public:
  // `expected_tokens` / `expected_bytes` only reserve memory.
  void reserve(size_t expected_tokens, size_t expected_bytes);
  // Returns false when `token` is already present: then only id -> token learns the pair.
  bool insert(std::string_view token, int64_t id);
  // Builds the id -> token index. Call once, after the last insert().
  void freeze();

  // -1 when absent.
  int64_t find(std::string_view token) const;
  std::optional<std::string_view> token(int64_t id) const;

  size_t size() const { return entries_.size(); }
  // One more than the largest id (0 when empty).
  int64_t id_end() const { return id_end_; }
  // Entries in insertion order.
  std::string_view token_at(size_t index) const {
    return std::string_view(arena_).substr(entries_[index].offset, entries_[index].length);
  }
  int64_t id_at(size_t index) const { return entries_[index].id; }

 private:
  struct Entry {
    uint32_t offset;  // into arena_
    uint32_t length;
    int64_t id;
  };
  struct Slot {
    uint32_t tag;    // the token's hash, with the top bit set so 0 means "empty"
    uint32_t entry;  // index into entries_
  };
  void grow_index();

  std::string arena_;
  std::vector<Entry> entries_;
  std::vector<Slot> slots_;  // size is a power of two, at most half full
  // id -> entry index + 1 (0: no token). Dense when the ids allow it, else sorted pairs.
  std::vector<uint32_t> dense_ids_;
  std::vector<std::pair<int64_t, uint32_t>> sparse_ids_;
  int64_t id_end_ = 0;
};

}  // namespace aae::tokenizer
