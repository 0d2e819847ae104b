// What gen_config derives from a Hugging Face tokenizer.json: MLC's tokenizer_info
// (mlc-model-params.md §6), the tokenizer's size (MLC's active_vocab_size = len(hf_tokenizer)),
// and MLC's refusal of duplicated added tokens.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/base/status.h"
#include "runtime/format/chat_config.h"

namespace aae {

// token_postproc_method from "decoder" (ByteLevel -> byte_level, ByteFallback -> byte_fallback,
// the last match inside a Sequence wins, default byte_fallback); prepend_space_in_encode when
// the normalizer (or a Sequence entry) is Prepend "▁"; strip_space_in_decode when the decoder
// (or a Sequence entry) is Strip(" ", 1, 0). Malformed parts count as "not matched".
TokenizerInfo detect_tokenizer_info(const nlohmann::json& tokenizer_json);

// {"token_postproc_method": ..., "prepend_space_in_encode": ..., "strip_space_in_decode": ...}
nlohmann::ordered_json tokenizer_info_json(const TokenizerInfo& info);

// The number of distinct token strings in model.vocab (an object, or a Unigram [[piece, score]]
// list) together with added_tokens[].content; nullopt when model.vocab has another layout.
std::optional<int64_t> tokenizer_size(const nlohmann::json& tokenizer_json);

// An error naming `file_label` and the token when two added_tokens share their content (such a
// tokenizer.json decodes wrongly in Hugging Face tokenizers; MLC refuses it too).
Status check_added_tokens_unique(const nlohmann::json& tokenizer_json,
                                 const std::string& file_label);

}  // namespace aae
