// A Hugging Face tokenizer.json built from the tokenizer.* metadata of a GGUF file.
//
// Read keys: tokenizer.ggml.model, .tokens, .scores (llama), .token_type (optional; all
// "normal" when absent), .merges (gpt2), .pre (gpt2), .bos_token_id / .eos_token_id /
// .unknown_token_id, .add_bos_token / .add_eos_token, .add_space_prefix (llama).
// GGUF token types: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
//
// tokenizer.ggml.model == "llama" (SentencePiece BPE with byte fallback), laid out like the
// tokenizer.json that Hugging Face's LlamaTokenizerFast conversion writes:
//   normalizer     Sequence[Prepend "▁", Replace " " -> "▁"]   (Prepend omitted when
//                  add_space_prefix is false)
//   pre_tokenizer  null
//   model          BPE, byte_fallback true, fuse_unk true, unk_token = the unknown token,
//                  vocab = every token with its id (a repeated token keeps its first id),
//                  merges = derive_spm_merges()
//   decoder        Sequence[Replace "▁" -> " ", ByteFallback, Fuse, Strip(" ", 1, 0)]
//                  (Strip omitted when add_space_prefix is false)
//   post_processor TemplateProcessing adding BOS (add_bos_token, default true) and EOS
//                  (add_eos_token, default false); null when neither is added
//   added_tokens   unknown and control tokens (special: true) and user-defined ones
//                  (special: false), all with normalized: false
//
// tokenizer.ggml.model == "gpt2" (byte-level BPE): tokens and merges are already in the GPT-2
// byte-level alphabet and are copied as they are. pre_tokenizer from tokenizer.ggml.pre (see
// gpt2_pre_tokenizer() in the .cc for the names it knows; unknown names fall back to
// ByteLevel with use_regex true), decoder ByteLevel, added_tokens for unknown/control
// (special) and user-defined tokens, post_processor TemplateProcessing when BOS/EOS are added
// (add_bos_token / add_eos_token, default false), else ByteLevel.
//
// Merges are written as "left right" strings, or as [left, right] pairs for every merge when
// some part contains a space (both forms are valid tokenizer.json).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "convert/source/gguf.h"
#include "runtime/base/status.h"

namespace aae {

// GGUF tokenizer.ggml.token_type values.
enum class GgufTokenType : int64_t {
  kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6,
};

Result<nlohmann::ordered_json> gguf_tokenizer_json(const GgufFile& gguf);

// BPE merges that make a BPE model reproduce a SentencePiece BPE vocabulary (the same rule as
// Hugging Face's SentencePieceExtractor): for every normal token t of two or more code points
// and every split t = a + b (at a code point boundary) where a and b are both tokens of the
// vocabulary, the merge (a, b). Ordered by the score of t, highest first; ties by the id of t,
// then of a, then of b. `types` may be empty (all normal); otherwise all three vectors have
// the same length (precondition).
std::vector<std::pair<std::string, std::string>> derive_spm_merges(
    const std::vector<std::string>& tokens, const std::vector<double>& scores,
    const std::vector<int64_t>& types);

}  // namespace aae
