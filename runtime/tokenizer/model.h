// The model stage of a tokenizer (tokenizer.json "model"): turns one pre-tokenized piece into
// ids. Implementations: BpeModel (bpe_model.h), WordPieceModel (wordpiece_model.h).
// Implementations are immutable after loading and thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "runtime/tokenizer/token_table.h"

namespace aae::tokenizer {

class Model {
 public:
  virtual ~Model() = default;
  // Appends the ids of one piece to `out`.
  virtual void encode_piece(std::string_view piece, std::vector<int32_t>& out) const = 0;
  virtual std::optional<int32_t> token_to_id(std::string_view token) const = 0;
  // One more than the largest vocab id.
  virtual int32_t vocab_size() const = 0;
  // The vocab (token <-> id), frozen; shared with the decoder.
  virtual const std::shared_ptr<const TokenTable>& vocab() const = 0;
};

}  // namespace aae::tokenizer
