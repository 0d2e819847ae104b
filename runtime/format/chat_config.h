// The chat config of a model directory: sphere-aae-chat-config.json when present (AAE's own
// name), else MLC's mlc-chat-config.json. Field meanings and defaults follow MLC's
// MLCChatConfig (mlc-package-reference.md §4.1).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/json.h"
#include "runtime/base/status.h"

namespace aae {

inline constexpr std::string_view kAaeChatConfigFile = "sphere-aae-chat-config.json";
inline constexpr std::string_view kMlcChatConfigFile = "mlc-chat-config.json";

struct TokenizerInfo {
  std::string token_postproc_method = "byte_fallback";  // or "byte_level"
  bool prepend_space_in_encode = false;
  bool strip_space_in_decode = false;
};

struct ChatConfig {
  std::string file_name;  // which file was read (kAaeChatConfigFile or kMlcChatConfigFile)
  std::string version;    // default "0.1.0"

  // Required.
  std::string model_type;    // e.g. "qwen2"
  std::string quantization;  // one of quantization_names()
  json::Value model_config;  // architecture object, kept as JSON for the model readers
  int64_t vocab_size = 0;

  // Absent -> the same key in model_config -> the fallback noted.
  int64_t context_window_size = -1;  // -1: no limit declared
  int64_t sliding_window_size = -1;  // -1: disabled
  int64_t prefill_chunk_size = -1;   // fallback: context_window_size
  int64_t attention_sink_size = -1;
  int64_t tensor_parallel_shards = 1;
  int64_t pipeline_parallel_stages = 1;
  std::optional<int64_t> active_vocab_size;  // tokenizer size when it differs from vocab_size

  // Sampling defaults.
  double temperature = 1.0;
  double presence_penalty = 0.0;
  double frequency_penalty = 0.0;
  double repetition_penalty = 1.0;
  double top_p = 1.0;

  std::vector<std::string> tokenizer_files;
  TokenizerInfo tokenizer_info;
  json::Value
      conv_template;  // an object (or a template name string in old configs); null if absent

  int64_t pad_token_id = 0;
  int64_t bos_token_id = 1;
  std::vector<int64_t> eos_token_ids = {2};  // "eos_token_id" is an int or a list in JSON
};

// Parses the text of a chat config; errors are prefixed with `file_label`, whose last path
// component becomes ChatConfig::file_name.
Result<ChatConfig> parse_chat_config(std::string_view text, const std::string& file_label);

// Reads <model_dir>/sphere-aae-chat-config.json, else <model_dir>/mlc-chat-config.json.
Result<ChatConfig> read_chat_config(const std::string& model_dir);

}  // namespace aae
