#include "compiler/model_input.h"

#include <charconv>
#include <filesystem>

#include <fmt/format.h>

#include "runtime/base/file_util.h"
#include "runtime/format/chat_config.h"

namespace aae {
namespace {

constexpr const char* kOverrideKeys =
    "context_window_size, sliding_window_size, prefill_chunk_size, attention_sink_size, "
    "max_batch_size, tensor_parallel_shards, pipeline_parallel_stages, disaggregation";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Result<int64_t> parse_int(std::string_view key, std::string_view value) {
  int64_t out = 0;
  const char* end = value.data() + value.size();
  auto res = std::from_chars(value.data(), end, out);
  if (value.empty() || res.ec != std::errc() || res.ptr != end) {
    return Error(fmt::format("overrides: \"{}\" must be an integer, found \"{}\"", key, value));
  }
  return out;
}

// Applies each set override as a key of the dict, as MLC's jit does before from_dict.
void apply_to(nlohmann::json& config, const ModelLibOverrides& o) {
  auto set = [&](const char* key, const auto& value) {
    if (value) config[key] = *value;
  };
  set("context_window_size", o.context_window_size);
  set("sliding_window_size", o.sliding_window_size);
  set("prefill_chunk_size", o.prefill_chunk_size);
  set("attention_sink_size", o.attention_sink_size);
  set("max_batch_size", o.max_batch_size);
  set("tensor_parallel_shards", o.tensor_parallel_shards);
  set("pipeline_parallel_stages", o.pipeline_parallel_stages);
  set("disaggregation", o.disaggregation);
}

}  // namespace

Result<ModelLibOverrides> parse_model_lib_overrides(std::string_view text) {
  ModelLibOverrides o;
  while (!text.empty()) {
    const size_t semi = text.find(';');
    std::string_view part = trim(text.substr(0, semi));
    text = semi == std::string_view::npos ? std::string_view() : text.substr(semi + 1);
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      return Error(fmt::format("overrides: \"{}\" is not of the form key=value", part),
                   "write e.g. --overrides \"context_window_size=2048;prefill_chunk_size=128\"");
    }
    const std::string_view key = trim(part.substr(0, eq));
    const std::string_view value = trim(part.substr(eq + 1));
    std::optional<int64_t>* slot = nullptr;
    if (key == "context_window_size") slot = &o.context_window_size;
    if (key == "sliding_window_size") slot = &o.sliding_window_size;
    if (key == "prefill_chunk_size") slot = &o.prefill_chunk_size;
    if (key == "attention_sink_size") slot = &o.attention_sink_size;
    if (key == "max_batch_size") slot = &o.max_batch_size;
    if (key == "tensor_parallel_shards") slot = &o.tensor_parallel_shards;
    if (key == "pipeline_parallel_stages") slot = &o.pipeline_parallel_stages;
    if (slot != nullptr) {
      AAE_ASSIGN_OR_RETURN(*slot, parse_int(key, value));
    } else if (key == "disaggregation") {
      if (value == "1" || value == "true" || value == "True") {
        o.disaggregation = true;
      } else if (value == "0" || value == "false" || value == "False") {
        o.disaggregation = false;
      } else {
        return Error(fmt::format("overrides: \"disaggregation\" must be true or false, found "
                                 "\"{}\"", value));
      }
    } else {
      return Error(fmt::format("overrides: unknown key \"{}\"", key),
                   fmt::format("accepted keys: {}", kOverrideKeys));
    }
  }
  return o;
}

std::string overrides_hash_string(const ModelLibOverrides& o) {
  std::vector<std::string> parts;
  auto add = [&](const char* key, const std::optional<int64_t>& v, bool skip_minus_one) {
    if (v && !(skip_minus_one && *v == -1)) parts.push_back(fmt::format("{}={}", key, *v));
  };
  add("context_window_size", o.context_window_size, true);
  add("sliding_window_size", o.sliding_window_size, true);
  add("prefill_chunk_size", o.prefill_chunk_size, false);
  add("attention_sink_size", o.attention_sink_size, true);
  add("max_batch_size", o.max_batch_size, false);
  add("tensor_parallel_shards", o.tensor_parallel_shards, false);
  add("pipeline_parallel_stages", o.pipeline_parallel_stages, false);
  if (o.disaggregation) {
    parts.push_back(fmt::format("disaggregation={}", *o.disaggregation ? "True" : "False"));
  }
  return fmt::format("{}", fmt::join(parts, ";"));
}

Result<ModelInput> make_model_input(const nlohmann::json& chat_config, const std::string& label,
                                    const ModelLibOverrides& overrides) {
  if (!chat_config.is_object()) return Error(label + ": expected a JSON object");
  auto string_field = [&](const char* key) -> Result<std::string> {
    auto it = chat_config.find(key);
    if (it == chat_config.end() || !it->is_string()) {
      return Error(fmt::format("{}: \"{}\" is missing or not a string", label, key));
    }
    return it->get<std::string>();
  };
  ModelInput in;
  in.chat_config_path = label;
  in.overrides = overrides;
  AAE_ASSIGN_OR_RETURN(in.model_type, string_field("model_type"));
  AAE_ASSIGN_OR_RETURN(in.quantization_name, string_field("quantization"));
  in.quantization = find_quantization(in.quantization_name);
  if (in.quantization == nullptr) {
    return Error(fmt::format("{}: quantization \"{}\" is not supported", label,
                             in.quantization_name),
                 fmt::format("supported: {}", fmt::join(quantization_names(), ", ")));
  }
  auto mc = chat_config.find("model_config");
  if (mc == chat_config.end() || !mc->is_object()) {
    return Error(fmt::format("{}: \"model_config\" is missing or not an object", label));
  }
  // MLC: model_config.update(chat config minus model_type/quantization/model_config), then the
  // overrides; the architecture then keeps only its own fields.
  nlohmann::json merged = *mc;
  for (auto it = chat_config.begin(); it != chat_config.end(); ++it) {
    if (it.key() == "model_config" || it.key() == "model_type" || it.key() == "quantization") {
      continue;
    }
    merged[it.key()] = it.value();
  }
  apply_to(merged, overrides);
  merged["model_type"] = in.model_type;
  auto def = make_model_definition(merged, *in.quantization);
  if (!def.ok()) {
    return std::move(def).error().context(
        fmt::format("{}: cannot rebuild the model definition from model_config", label));
  }
  in.definition = std::move(def).value();
  return in;
}

Result<ModelInput> load_model_input(const std::string& model_dir,
                                    const ModelLibOverrides& overrides) {
  namespace fs = std::filesystem;
  std::string path = (fs::path(model_dir) / std::string(kAaeChatConfigFile)).string();
  if (!fs::exists(path)) path = (fs::path(model_dir) / std::string(kMlcChatConfigFile)).string();
  if (!fs::exists(path)) {
    return Error(fmt::format("{}: no {} or {}", model_dir, kAaeChatConfigFile, kMlcChatConfigFile),
                 "pass a converted model directory (sphere_aae gen_config writes the chat config)");
  }
  AAE_ASSIGN_OR_RETURN(std::string text, read_file(path));
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Error(path + ": not valid JSON");
  return make_model_input(parsed, path, overrides);
}

}  // namespace aae
