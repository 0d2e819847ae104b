#include "package/config_values.h"

#include <algorithm>
#include <cstdint>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "runtime/base/did_you_mean.h"

namespace aae {
namespace {

using Json = nlohmann::ordered_json;

// Reads an integer override; `allow_minus_one` for the window sizes, where MLC uses -1 for
// "not set". Reports and returns nullopt on a bad value.
std::optional<int64_t> integer_override(const Json& value, const std::string& path,
                                        bool allow_minus_one, Diagnostics* diagnostics) {
  const char* expected = allow_minus_one ? "an integer > 0, or -1 for none" : "an integer > 0";
  if (!value.is_number_integer()) {
    diagnostics->error(path, fmt::format("expected {}, found {}", expected, describe_json(value)));
    return std::nullopt;
  }
  if (value.is_number_unsigned()) {
    if (value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      diagnostics->error(path, fmt::format("expected {}, found {}", expected, value.dump()));
      return std::nullopt;
    }
    const auto v = static_cast<int64_t>(value.get<uint64_t>());
    if (v > 0) return v;
  } else {
    const auto v = value.get<int64_t>();
    if (v > 0 || (allow_minus_one && v == -1)) return v;
  }
  diagnostics->error(path, fmt::format("expected {}, found {}", expected, value.dump()));
  return std::nullopt;
}

}  // namespace

std::string describe_json(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "boolean " + value.dump();
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "integer " + value.dump();
    case Json::value_t::number_float: return "number " + value.dump();
    case Json::value_t::string: {
      std::string text = value.dump();
      if (text.size() > 60) text = text.substr(0, 56) + "...\"";
      return "string " + text;
    }
    case Json::value_t::array: return "an array";
    case Json::value_t::object: return "an object";
    default: return "an unsupported value";
  }
}

std::string suggest_key(const std::string& key, const std::vector<std::string>& known) {
  std::string guess = did_you_mean(key, known);
  if (!guess.empty() || key.size() < 4) return guess;
  for (const std::string& candidate : known) {
    if (candidate.rfind(key, 0) != 0) continue;
    if (!guess.empty()) return "";  // ambiguous
    guess = candidate;
  }
  return guess;
}

const std::vector<std::string>& applied_override_keys() {
  static const std::vector<std::string> keys = {"context_window_size", "sliding_window_size",
                                                "prefill_chunk_size", "attention_sink_size",
                                                "max_batch_size"};
  return keys;
}

const std::vector<std::string>& mlc_only_override_keys() {
  static const std::vector<std::string> keys = {"tensor_parallel_shards",
                                                "pipeline_parallel_stages", "disaggregation", "opt"};
  return keys;
}

bool check_overrides(const Json& value, const std::string& json_path, ModelLibOverrides* overrides,
                     Diagnostics* diagnostics) {
  if (!value.is_object()) {
    diagnostics->error(json_path, "expected an object such as {\"context_window_size\": 2048}, "
                                  "found " + describe_json(value));
    return false;
  }
  const size_t errors_before = diagnostics->count(Severity::kError);
  const auto& applied = applied_override_keys();
  const auto& mlc_only = mlc_only_override_keys();
  for (const auto& [key, item] : value.items()) {
    const std::string path = json_path_key(json_path, key);
    if (key == "context_window_size") {
      overrides->context_window_size = integer_override(item, path, true, diagnostics);
    } else if (key == "sliding_window_size") {
      overrides->sliding_window_size = integer_override(item, path, true, diagnostics);
    } else if (key == "attention_sink_size") {
      overrides->attention_sink_size = integer_override(item, path, true, diagnostics);
    } else if (key == "prefill_chunk_size") {
      overrides->prefill_chunk_size = integer_override(item, path, false, diagnostics);
    } else if (key == "max_batch_size") {
      overrides->max_batch_size = integer_override(item, path, false, diagnostics);
    } else if (std::find(mlc_only.begin(), mlc_only.end(), key) != mlc_only.end()) {
      diagnostics->note(path,
                        fmt::format("\"{}\" is an MLC setting that does not apply to AAE model "
                                    "libraries (single device, no optimisation levels); ignored",
                                    key));
    } else {
      std::vector<std::string> known = applied;
      known.insert(known.end(), mlc_only.begin(), mlc_only.end());
      const std::string guess = suggest_key(key, known);
      diagnostics->warning(path, fmt::format("unknown key \"{}\" in overrides is ignored", key),
                           guess.empty() ? fmt::format("known keys: {}", fmt::join(applied, ", "))
                                         : fmt::format("did you mean \"{}\"?", guess));
    }
  }
  const auto& context = overrides->context_window_size;
  const auto& prefill = overrides->prefill_chunk_size;
  if (context && prefill && *context > 0 && *prefill > *context) {
    diagnostics->warning(json_path_key(json_path, "prefill_chunk_size"),
                         fmt::format("prefill_chunk_size {} is larger than context_window_size "
                                     "{}; the library uses {}",
                                     *prefill, *context, *context));
  }
  return diagnostics->count(Severity::kError) == errors_before;
}

}  // namespace aae
