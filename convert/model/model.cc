// The architecture registry and the generic driver that replays MLC's config handling:
// config.json -> dataclass fields + kwargs -> __post_init__ -> overrides -> __post_init__ again.
#include "convert/model/model.h"

#include <algorithm>

#include <fmt/format.h>

#include "convert/model/architecture.h"

namespace aae {
namespace {

using model_detail::Architecture;
using model_detail::ArchConfig;
using model_detail::FieldKind;
using model_detail::FieldSpec;
using model_detail::config_error;

// Adding an architecture: a new <arch>.cc defining <arch>_architecture(), plus one line here.
const std::vector<const Architecture*>& registry() {
  static const std::vector<const Architecture*> table = {
      &model_detail::llama_architecture(),
      &model_detail::mistral_architecture(),
      &model_detail::qwen2_architecture(),
      &model_detail::qwen3_architecture(),
      &model_detail::gemma_architecture(),
      &model_detail::gemma2_architecture(),
      &model_detail::phi3_architecture(),
      &model_detail::phi_architecture(),
      &model_detail::gpt_neox_architecture(),
  };
  return table;
}

bool has_kind(const nlohmann::json& value, FieldKind kind) {
  switch (kind) {
    case FieldKind::kInt: return value.is_number_integer();
    case FieldKind::kNumber: return value.is_number();
    case FieldKind::kBool: return value.is_boolean();
    case FieldKind::kString: return value.is_string();
    case FieldKind::kObjectOrNull: return value.is_object() || value.is_null();
    case FieldKind::kAny: return true;
  }
  return false;
}

const char* kind_name(FieldKind kind) {
  switch (kind) {
    case FieldKind::kInt: return "an integer";
    case FieldKind::kNumber: return "a number";
    case FieldKind::kBool: return "true or false";
    case FieldKind::kString: return "a string";
    case FieldKind::kObjectOrNull: return "an object or null";
    case FieldKind::kAny: return "any value";
  }
  return "?";
}

// MLC's ConfigBase.from_dict: dataclass fields from matching keys, everything else to kwargs.
// A JSON null for an optional field means "use the default" (MLC would keep None and fail
// later); a missing or null required field is an error naming it.
Result<ArchConfig> read_fields(const Architecture& arch, const nlohmann::json& hf) {
  ArchConfig config;
  config.fields = nlohmann::ordered_json::object();
  config.kwargs = nlohmann::json::object();
  for (const FieldSpec& spec : arch.fields) {
    const std::string name(spec.name);
    auto it = hf.find(name);
    const bool present = it != hf.end() && !(it->is_null() && spec.kind != FieldKind::kObjectOrNull);
    if (!present) {
      if (spec.required) {
        return config_error(arch.model_type, name, "is required but missing",
                            fmt::format("a {} config.json must set \"{}\"; check that the source "
                                        "is the model's original Hugging Face config",
                                        arch.model_type, name));
      }
      config.fields[name] = spec.value;
      continue;
    }
    if (!has_kind(*it, spec.kind)) {
      return config_error(arch.model_type, name,
                          fmt::format("must be {}, found {}", kind_name(spec.kind), it->dump()));
    }
    config.fields[name] = *it;
  }
  for (auto it = hf.begin(); it != hf.end(); ++it) {
    if (it.key() == "kwargs") continue;
    if (!config.fields.contains(it.key())) config.kwargs[it.key()] = it.value();
  }
  if (auto it = hf.find("kwargs"); it != hf.end() && it->is_object()) {
    for (auto kv = it->begin(); kv != it->end(); ++kv) config.kwargs[kv.key()] = kv.value();
  }
  return config;
}

// ModelConfigOverride.apply: only fields the dataclass has are overridden (MLC warns and
// ignores the others, e.g. --sliding-window-size for llama).
void apply_overrides(ArchConfig& config, const ConfigOverrides& overrides) {
  auto set = [&](const char* name, const std::optional<int64_t>& value) {
    if (value && config.fields.contains(name)) config.fields[name] = *value;
  };
  set("context_window_size", overrides.context_window_size);
  set("sliding_window_size", overrides.sliding_window_size);
  set("prefill_chunk_size", overrides.prefill_chunk_size);
  set("attention_sink_size", overrides.attention_sink_size);
  set("max_batch_size", overrides.max_batch_size);
  set("tensor_parallel_shards", overrides.tensor_parallel_shards);
  config.kwargs = nlohmann::json::object();  // asdict() drops kwargs before the rebuild
}

int64_t int_or(const nlohmann::ordered_json& fields, const char* name, int64_t fallback) {
  auto it = fields.find(name);
  return it != fields.end() && it->is_number_integer() ? it->get<int64_t>() : fallback;
}

// Values MLC never checks but that would make a model directory unusable.
Status check_final_values(const ModelDefinition& def, const nlohmann::ordered_json& fields) {
  const std::string_view type = def.model_type;
  if (def.context_window_size == 0 || def.context_window_size < -1) {
    return config_error(type, "context_window_size",
                        fmt::format("must be positive (or -1 with a sliding window), found {}",
                                    def.context_window_size));
  }
  if (def.prefill_chunk_size <= 0) {
    return config_error(type, "prefill_chunk_size",
                        fmt::format("must be positive, found {}", def.prefill_chunk_size));
  }
  if (def.sliding_window_size == 0 || def.sliding_window_size < -1) {
    return config_error(type, "sliding_window_size",
                        fmt::format("must be positive or -1 (disabled), found {}",
                                    def.sliding_window_size));
  }
  if (int_or(fields, "max_batch_size", 1) <= 0) {
    return config_error(type, "max_batch_size", "must be positive");
  }
  return ok_status();
}

}  // namespace

std::vector<std::string> supported_model_types() {
  std::vector<std::string> names;
  for (const Architecture* arch : registry()) names.emplace_back(arch->model_type);
  return names;
}

Result<ModelDefinition> make_model_definition(const nlohmann::json& hf_config,
                                              const QuantizationSpec& quantization,
                                              const ConfigOverrides& overrides) {
  (void)quantization;  // names and shapes before quantization do not depend on it
  if (!hf_config.is_object()) {
    return Error("config.json: expected a JSON object at the top level");
  }
  auto type_it = hf_config.find("model_type");
  if (type_it == hf_config.end() || !type_it->is_string()) {
    return Error("config.json: \"model_type\" is missing or not a string",
                 fmt::format("supported model types: {}",
                             fmt::join(supported_model_types(), ", ")));
  }
  const std::string model_type = type_it->get<std::string>();
  const Architecture* arch = nullptr;
  for (const Architecture* candidate : registry()) {
    if (candidate->model_type == model_type) arch = candidate;
  }
  if (arch == nullptr) {
    return Error(fmt::format("config.json: model_type \"{}\" is not supported", model_type),
                 fmt::format("supported model types: {}",
                             fmt::join(supported_model_types(), ", ")));
  }

  AAE_ASSIGN_OR_RETURN(ArchConfig config, read_fields(*arch, hf_config));
  // MLC derives before it applies overrides, so a config.json without any context length fails
  // even with --context-window-size. Let the override stand in for max_position_embeddings
  // then (the result equals MLC's for a config.json that has it).
  if (overrides.context_window_size && !config.kwargs.contains("max_position_embeddings") &&
      !config.kwargs.contains("max_sequence_length")) {
    config.kwargs["max_position_embeddings"] = *overrides.context_window_size;
  }
  AAE_TRY(arch->post_init(config));
  apply_overrides(config, overrides);
  AAE_TRY(arch->post_init(config));

  ModelDefinition def;
  def.model_type = model_type;
  const auto& fields = config.fields;
  AAE_ASSIGN_OR_RETURN(def.vocab_size, model_detail::int_field(fields, "vocab_size", model_type));
  AAE_ASSIGN_OR_RETURN(def.prefill_chunk_size,
                       model_detail::int_field(fields, "prefill_chunk_size", model_type));
  AAE_ASSIGN_OR_RETURN(def.tensor_parallel_shards,
                       model_detail::int_field(fields, "tensor_parallel_shards", model_type));
  def.context_window_size = int_or(fields, "context_window_size", -1);
  def.sliding_window_size = int_or(fields, "sliding_window_size", -1);
  def.attention_sink_size = int_or(fields, "attention_sink_size", -1);
  def.pipeline_parallel_stages = int_or(fields, "pipeline_parallel_stages", 1);
  AAE_TRY(check_final_values(def, fields));

  AAE_ASSIGN_OR_RETURN(def.params, arch->plan(fields));
  std::sort(def.params.begin(), def.params.end(),
            [](const ParamPlan& a, const ParamPlan& b) { return a.name < b.name; });
  def.model_config = std::move(config.fields);
  return def;
}

}  // namespace aae
