// The "decoder" section of a Hugging Face tokenizer.json, applied exactly as the Rust
// `tokenizers` library applies it.
//
// A HF decoder works on the list of token strings (one per id, in order). Every decoder type
// has a "decode chain" step that maps a token list to a new token list; decoding runs that
// step and then concatenates the resulting list with no separator. A Sequence runs its
// children's chain steps one after another and concatenates only at the very end, so a step
// that works per token (Strip, Replace, Metaspace) sees whatever list the previous step left:
// after a Fuse it sees the whole text as one token.
//
// The chain step of each supported type:
//   ByteLevel     all tokens -> ONE token: each token's code points are mapped back through
//                 GPT-2's byte-level alphabet to bytes (a token with any code point outside the
//                 alphabet contributes its own UTF-8 bytes instead); the bytes of all tokens
//                 are concatenated and decoded as lossy UTF-8 (one U+FFFD per maximal
//                 ill-formed subsequence).
//   ByteFallback  each token that is exactly six bytes "<0xHH>" (HH: hex, either case) is a
//                 raw byte; a run of consecutive byte tokens becomes one token holding the
//                 run's text when the run is valid UTF-8, otherwise one "U+FFFD" token per byte
//                 of the run. Other tokens pass through unchanged.
//   Fuse          all tokens -> one token (their concatenation).
//   Strip         per token: removes up to `start` leading and then up to `stop` trailing
//                 copies of the code point `content`.
//   Replace       per token: every non-overlapping occurrence (left to right) of the literal
//                 pattern {"String": ...} becomes `content`. ({"Regex": ...} is rejected.)
//   Metaspace     per token: each `replacement` code point becomes ' ', except in the FIRST
//                 token of the list, where every replacement code point is dropped when the
//                 prepend scheme is "always" or "first" (HF drops all of them there, not just
//                 the leading one). Scheme "never" (or legacy add_prefix_space false) keeps
//                 them as spaces.
//   WordPiece     per token: tokens after the first lose one leading `prefix` ("##") when
//                 they start with it, else get a ' ' prepended; then, with `cleanup` (default
//                 true), the English cleanup rewrites " ." -> ".", " ?" -> "?", " !" -> "!",
//                 " ," -> ",", " ' " -> "'", " n't" -> "n't", " 'm" -> "'m",
//                 " do not" -> " don't", " 's" -> "'s", " 've" -> "'ve", " 're" -> "'re"
//                 (in that order, each replacing all occurrences).
//   BPEDecoder    per token: every `suffix` ("</w>") becomes ' ', or "" in the last token.
//   Sequence      the children's chain steps in order.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "runtime/base/json.h"
#include "runtime/base/status.h"

namespace aae::tokenizer {

enum class DecoderType {
  kByteLevel, kByteFallback, kFuse, kStrip, kReplace, kMetaspace, kWordPiece, kBpe, kSequence,
};

// "ByteLevel", "ByteFallback", ...: the tokenizer.json spelling.
const char* decoder_type_name(DecoderType type);

class Decoder {
 public:
  // Parses one decoder object. `path` is its JSON path for error messages ("decoder",
  // "decoder.decoders[2]"). Unknown types, missing or mistyped fields give errors.
  static Result<Decoder> from_json(const json::Value& value, const std::string& path);

  DecoderType type() const { return type_; }
  // For a Sequence: its steps in order (empty otherwise).
  const std::vector<Decoder>& children() const { return children_; }

  // The chain step described above: token list in, token list out.
  std::vector<std::string> decode_chain(std::vector<std::string> tokens) const;
  // decode_chain, then concatenation.
  std::string decode(std::vector<std::string> tokens) const;

 private:
  explicit Decoder(DecoderType type) : type_(type) {}

  DecoderType type_;
  std::string content_;      // Strip: the code point (UTF-8); Replace: the replacement text
  std::string pattern_;      // Replace: the literal pattern
  size_t start_ = 0;         // Strip
  size_t stop_ = 0;          // Strip
  char32_t replacement_ = 0; // Metaspace
  bool strip_first_ = true;  // Metaspace: prepend scheme is not "never"
  std::string prefix_;       // WordPiece
  bool cleanup_ = true;      // WordPiece
  std::string suffix_;       // BPEDecoder
  std::vector<Decoder> children_;  // Sequence
};

// The WordPiece decoder's English cleanup (see above), on one string.
std::string wordpiece_cleanup(std::string text);

}  // namespace aae::tokenizer
