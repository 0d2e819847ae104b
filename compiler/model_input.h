// What a model library is compiled from: a model directory's chat config plus compile-time
// overrides, resolved the way MLC LLM's JIT resolves them (mlc-package-reference.md §1.5, §3):
// model_config updated with every other top-level chat-config field, then with the overrides,
// then rebuilt through the architecture's dataclass (unknown keys dropped).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "convert/model/model.h"
#include "runtime/base/status.h"
#include "runtime/format/quantization.h"

namespace aae {

// MLC's ModelConfigOverride, fields in its dataclass order (which is the order of the
// overrides string). Unset fields leave the chat config's value.
struct ModelLibOverrides {
  std::optional<int64_t> context_window_size;
  std::optional<int64_t> sliding_window_size;
  std::optional<int64_t> prefill_chunk_size;
  std::optional<int64_t> attention_sink_size;
  std::optional<int64_t> max_batch_size;
  std::optional<int64_t> tensor_parallel_shards;
  std::optional<int64_t> pipeline_parallel_stages;
  std::optional<bool> disaggregation;
};

// Parses "k=v;k=v" (the --overrides syntax; spaces around parts ignored, empty text = none).
// Errors name the unknown key or the bad value and list the accepted keys.
Result<ModelLibOverrides> parse_model_lib_overrides(std::string_view text);

// MLC's overrides string for the hash: "k=v;..." in field order, Python spelling of values
// (True/False), skipping -1 for context_window_size, sliding_window_size, attention_sink_size.
std::string overrides_hash_string(const ModelLibOverrides& overrides);

struct ModelInput {
  std::string chat_config_path;        // the file read
  std::string model_type;
  std::string quantization_name;
  const QuantizationSpec* quantization = nullptr;  // static table entry, never null when ok
  ModelDefinition definition;          // after overrides; params sorted by name
  ModelLibOverrides overrides;
};

// Builds the input from a parsed chat config (sphere-aae-chat-config.json or
// mlc-chat-config.json text, already parsed); `label` names it in errors.
Result<ModelInput> make_model_input(const nlohmann::json& chat_config, const std::string& label,
                                    const ModelLibOverrides& overrides);

// Reads <model_dir>/sphere-aae-chat-config.json, else mlc-chat-config.json, then as above.
Result<ModelInput> load_model_input(const std::string& model_dir,
                                    const ModelLibOverrides& overrides);

}  // namespace aae
