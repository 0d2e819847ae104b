// Value checks shared by the package-config checker: how a JSON value is described in
// messages, and the "overrides" object of a model_list entry.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "compiler/model_input.h"
#include "package/diagnostics.h"

namespace aae {

// "string \"abc\"", "integer 5", "number 2.5", "boolean true", "null", "array", "object":
// the type and, for scalars, the value (long strings shortened) — for "found ..." messages.
std::string describe_json(const nlohmann::ordered_json& value);

// The known key `key` was probably meant to be: the closest by edit distance (<= 2), else the
// only known key that starts with `key` ("context_window" -> "context_window_size"), else "".
std::string suggest_key(const std::string& key, const std::vector<std::string>& known);

// The keys "overrides" accepts. Applied: context_window_size, sliding_window_size,
// prefill_chunk_size, attention_sink_size, max_batch_size. Accepted from MLC with a note that
// they do not apply to AAE: tensor_parallel_shards, pipeline_parallel_stages, disaggregation,
// opt. Unknown keys are warnings with a suggestion.
const std::vector<std::string>& applied_override_keys();
const std::vector<std::string>& mlc_only_override_keys();

// Checks `value` (the "overrides" of an entry, at `json_path`) and fills the applied fields of
// `overrides`. Window sizes (context, sliding, attention sink) take an integer > 0 or -1 (MLC's
// "none"); prefill_chunk_size and max_batch_size an integer > 0. Returns false when it reported
// an error.
bool check_overrides(const nlohmann::ordered_json& value, const std::string& json_path,
                     ModelLibOverrides* overrides, Diagnostics* diagnostics);

}  // namespace aae
