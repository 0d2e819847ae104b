// Incremental detokenization for generation: feed ids one at a time, get text as soon as it is
// stable, never half a UTF-8 character.
//
// How: the decoder keeps a small window of recent ids split at `read_`: ids [0, read_) were
// already turned into text (their text is `prefix_text_`), ids [read_, end) are pending. On each
// push it decodes the whole window and emits what lies beyond prefix_text_, unless that ends in
// U+FFFD (a byte-level character still incomplete), in which case it waits. With a ByteFallback
// decoder it also waits while the newest id is a "<0xHH>" byte token: HF decodes a whole run of
// byte tokens at once (valid UTF-8 -> text, else one U+FFFD per byte), so a run's text is final
// only when the run ends. The
// window keeps at least one already-emitted id in front, so decoder steps that treat the first
// token specially (Strip, Metaspace) act the same in the window as in a full decode; then the
// window moves on. The concatenation of all push() outputs and finish() equals
// tokenizer.decode(all ids) for the tokenizers tested (SentencePiece-style byte fallback and
// byte-level BPE).
//
// Holds a reference to the tokenizer: it must outlive this object.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/tokenizer/tokenizer.h"

namespace aae {

class StreamingDecoder {
 public:
  explicit StreamingDecoder(const Tokenizer& tokenizer, bool skip_special_tokens = false)
      : tokenizer_(&tokenizer), skip_special_tokens_(skip_special_tokens),
        byte_fallback_(has_byte_fallback(tokenizer)) {}

  // The new stable text after `id` (often empty while a character is incomplete).
  std::string push(int32_t id);
  // Everything still held back (an incomplete character becomes U+FFFD, as decode() gives);
  // then the decoder starts over.
  std::string finish();

 private:
  std::string decode_window() const;
  static bool has_byte_fallback(const Tokenizer& tokenizer);
  bool is_byte_token(int32_t id) const;

  const Tokenizer* tokenizer_;
  bool skip_special_tokens_;
  bool byte_fallback_;  // the decoder has a ByteFallback step
  std::vector<int32_t> window_;  // ids from the prefix start on
  size_t read_ = 0;              // window_[0, read_) is already emitted
  std::string prefix_text_;      // decode(window_[0, read_))
};

}  // namespace aae
