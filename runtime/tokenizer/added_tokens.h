// Added tokens of a Hugging Face tokenizer.json ("added_tokens": [{id, content, special,
// single_word, lstrip, rstrip, normalized}]): the input is split on them BEFORE the model sees
// it, as tokenizers' AddedVocabulary does:
//   - tokens with normalized=false match the raw input; the text between those matches is
//     normalized and then split again on the normalized=true tokens (whose contents are
//     normalized with the same normalizer before matching);
//   - matching is leftmost-longest and non-overlapping; a match that violates single_word
//     (a word character [letter, number, '_'] right before or after it) is skipped, and the
//     scan continues after it;
//   - lstrip / rstrip make the token swallow the whitespace (White_Space) on its left / right.
// Special tokens are matched whether or not special tokens are being added to the output.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/json.h"
#include "runtime/base/status.h"

namespace aae::tokenizer {

class Normalizer;

struct AddedToken {
  int32_t id = 0;
  std::string content;
  bool special = false;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
};

// A piece of split text: either an added token (id >= 0) or plain text to tokenize (id < 0).
struct AddedSplit {
  std::string_view text;  // points into the text given to split()
  int32_t id = -1;
  size_t offset = 0;  // byte offset of `text` in that text
};

class AddedTokenMatcher {
 public:
  AddedTokenMatcher() = default;
  // Builds a matcher over `tokens` (ones with an empty content are ignored).
  explicit AddedTokenMatcher(const std::vector<const AddedToken*>& tokens,
                             const std::vector<std::string>& patterns);

  bool empty() const { return nodes_.size() <= 1; }
  // Splits `text` into plain pieces and added-token pieces, in order; empty plain pieces are
  // dropped.
  std::vector<AddedSplit> split(std::string_view text) const;

 private:
  struct Node {
    std::vector<std::pair<unsigned char, int32_t>> edges;  // sorted by byte
    int32_t token = -1;  // index into tokens_ when a pattern ends here
  };
  int32_t child(int32_t node, unsigned char byte) const;

  std::vector<Node> nodes_{Node{}};
  std::vector<AddedToken> tokens_;
  bool first_byte_[256] = {};
};

class AddedVocabulary {
 public:
  // `list` is the "added_tokens" array (null allowed); `normalizer` (may be null) is applied to
  // the contents of normalized tokens. Errors name "added_tokens[i]".
  static Result<AddedVocabulary> from_json(const json::Value* list, const Normalizer* normalizer);
  static AddedVocabulary from_tokens(std::vector<AddedToken> tokens, const Normalizer* normalizer);

  const std::vector<AddedToken>& tokens() const { return tokens_; }
  const AddedTokenMatcher& raw_matcher() const { return raw_; }              // normalized=false
  const AddedTokenMatcher& normalized_matcher() const { return normalized_; }  // normalized=true

 private:
  std::vector<AddedToken> tokens_;
  AddedTokenMatcher raw_;
  AddedTokenMatcher normalized_;
};

}  // namespace aae::tokenizer
