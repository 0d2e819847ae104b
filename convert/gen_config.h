// sphere_aae gen_config: writes a model directory's chat config and tokenizer files from a
// Hugging Face model directory (config.json, generation_config.json, tokenizer files) or from a
// llama GGUF file, the way MLC LLM's gen_config does (mlc-package-reference.md §4.1).
// docs/gen_config.md describes every field written.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "convert/model/model.h"
#include "runtime/base/status.h"

namespace aae {

struct GenConfigOptions {
  std::filesystem::path source;  // a Hugging Face model directory, or a .gguf file
  std::string quantization;      // e.g. "q4f16_1" (see quantization_names())
  std::string conv_template;     // e.g. "chatml" (see conv_template_names())
  std::filesystem::path output;  // created when missing
  ConfigOverrides overrides;     // max_batch_size defaults to 128, as in MLC's gen_config
  bool mlc_compat = false;       // also write an identical mlc-chat-config.json
  bool tokenizer_only = false;   // GGUF source only: write just <output>/tokenizer.json
};

// Everything is read and checked before the first file is written, so an error leaves the
// output directory untouched. Each file is written atomically.
//
// Writes <output>/sphere-aae-chat-config.json (and mlc-chat-config.json with mlc_compat) and
// copies the tokenizer files that exist among tokenizer.model, tokenizer.json, vocab.json,
// merges.txt, added_tokens.json, tokenizer_config.json (for a GGUF source: tokenizer.json
// built from its tokenizer metadata).
Status gen_config(const GenConfigOptions& options);

// The names gen_config copies, in MLC's order.
const std::vector<std::string>& tokenizer_file_names();

}  // namespace aae
