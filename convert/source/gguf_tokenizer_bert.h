// tokenizer.json for a GGUF with tokenizer.ggml.model == "bert" (WordPiece, as llama.cpp's
// converter writes BERT vocabularies).
//
// llama.cpp stores WordPiece tokens in a SentencePiece-like form: a word-initial token "hello"
// is written "▁hello", a continuation "##lo" is written "lo", and bracketed tokens ("[CLS]",
// "[unused0]") are kept. This restores the WordPiece form ("▁x" -> "x", "[...]" kept, anything
// else -> "##" + token) and writes the layout of Hugging Face's BERT tokenizer.json:
//   normalizer     BertNormalizer {clean_text, handle_chinese_chars, strip_accents: null,
//                  lowercase: true}  (llama.cpp's WordPiece tokenizer always lowercases)
//   pre_tokenizer  BertPreTokenizer
//   model          WordPiece, unk_token = the unknown token (tokenizer.ggml.unknown_token_id,
//                  else "[UNK]"), continuing_subword_prefix "##", max_input_chars_per_word 100
//   post_processor TemplateProcessing "[CLS] $A [SEP]" (pair "[CLS] $A [SEP] $B:1 [SEP]:1")
//                  from tokenizer.ggml.cls_token_id / seperator_token_id (sic); null without them
//   decoder        WordPiece {prefix "##", cleanup true}
//   added_tokens   unknown and control tokens (special: true), user-defined ones (special:
//                  false), all normalized: false
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "convert/source/gguf.h"
#include "runtime/base/status.h"

namespace aae {

Result<nlohmann::ordered_json> bert_tokenizer_json(const GgufFile& gguf);

// One token of llama.cpp's BERT vocabulary in WordPiece form (see the file comment).
std::string wordpiece_token_from_gguf(const std::string& token);

}  // namespace aae
