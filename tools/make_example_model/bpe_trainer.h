// A small, deterministic byte-level BPE trainer (the GPT-2 / Qwen scheme): the base alphabet is
// all 256 bytes, text is pre-split like GPT-2's regex, and the most frequent adjacent pair is
// merged until the vocabulary reaches its target size.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aae::example {

struct BpeModel {
  // Raw byte strings; the id of a token is its index. Ids 0..255 are the single bytes, in byte
  // order; later ids are merge results, in the order they were learned.
  std::vector<std::string> tokens;
  // Pairs of token ids, in priority order. A merge whose result already exists (the same string
  // reached by another split) adds no token, so merges.size() >= tokens.size() - 256.
  std::vector<std::pair<int, int>> merges;
};

// The built-in English training text (a few paragraphs, ASCII).
std::string_view training_corpus();

// GPT-2's reversible map from bytes to printable code points (as UTF-8): printable Latin-1
// bytes map to themselves, the other 68 bytes to U+0100 upwards in byte order; e.g. ' ' -> "Ġ".
const std::string& byte_to_unicode(unsigned char byte);
// A raw byte string written with byte_to_unicode, as tokens appear in tokenizer.json.
std::string to_byte_level(std::string_view bytes);

// Splits text as GPT-2's pre-tokenizer regex does:
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// with ASCII letters (and bytes >= 0x80) as \p{L} and ASCII digits as \p{N}; exact for ASCII.
std::vector<std::string_view> pretokenize(std::string_view text);

// Trains on `corpus` until there are `target_tokens` tokens (>= 256) or no pair is left to merge.
// Ties in pair frequency are broken by the smaller (left, right) token strings, so the result
// depends only on the corpus and the target.
BpeModel train_bpe(std::string_view corpus, size_t target_tokens);

}  // namespace aae::example
