// Internal to convert/model: how one architecture is described, and the helpers every
// architecture file shares. Users include convert/model/model.h instead.
//
// MLC builds a config dataclass from config.json (keys naming a field become that field, every
// other key lands in `kwargs`), runs its __post_init__ derivations, applies gen_config overrides
// by dumping the fields (kwargs dropped), replacing the overridden ones and building the
// dataclass again (so __post_init__ runs a second time with empty kwargs). make_model_definition
// replays exactly that with the pieces below.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "convert/model/model.h"
#include "runtime/base/status.h"

namespace aae::model_detail {

// JSON type a dataclass field must have in config.json.
enum class FieldKind {
  kInt,           // integer
  kNumber,        // integer or float, kept as written (e.g. rope_theta 1000000.0 stays a float)
  kBool,
  kString,
  kObjectOrNull,  // e.g. rope_scaling
  kAny,
};

struct FieldSpec {
  std::string_view name;
  FieldKind kind;
  bool required;                 // no default in the dataclass: config.json must have it
  nlohmann::ordered_json value;  // the default when not required
};

// The dataclass state: `fields` in dataclass order, `kwargs` every other config.json key.
struct ArchConfig {
  nlohmann::ordered_json fields;
  nlohmann::json kwargs;
};

struct Architecture {
  std::string_view model_type;
  std::vector<FieldSpec> fields;
  // __post_init__: derives and validates `config.fields`, consuming `config.kwargs` entries.
  Status (*post_init)(ArchConfig& config);
  // The model's construction checks and its parameters (any order; the caller sorts them).
  Result<std::vector<ParamPlan>> (*plan)(const nlohmann::ordered_json& fields);
};

// Registered architectures (one function per architecture file).
const Architecture& llama_architecture();
const Architecture& mistral_architecture();
const Architecture& qwen2_architecture();
const Architecture& qwen3_architecture();
const Architecture& gemma_architecture();
const Architecture& gemma2_architecture();
const Architecture& phi3_architecture();
const Architecture& phi_architecture();
const Architecture& gpt_neox_architecture();

// ---- helpers shared by the architecture files -------------------------------------------

// "config.json: <what>" with a hint; `field` is quoted in the message when non-empty.
Error config_error(std::string_view model_type, std::string_view field, std::string_view problem,
                   std::string hint = {});

// The integer value of a field already type-checked as kInt (or derived as an integer).
// Errors when the value is not an integer (e.g. a float max_position_embeddings).
Result<int64_t> int_field(const nlohmann::ordered_json& fields, std::string_view name,
                          std::string_view model_type);

// MLC's context-window fallback: when fields.context_window_size == 0, take
// max_position_embeddings, else max_sequence_length, from kwargs (removing it); neither is an
// error naming both.
Status take_context_window(ArchConfig& config, std::string_view model_type);

// If prefill_chunk_size is 0 or larger than the context window, set it to min(ctx, cap).
Status default_prefill_chunk(ArchConfig& config, std::string_view model_type, int64_t cap);

// Checks `hidden_act` against MLC's activation table (silu, swish, gelu, gelu_new, relu).
Status check_activation(const nlohmann::ordered_json& fields, std::string_view model_type);

// Checks a > 0 for each named field.
Status check_positive(const nlohmann::ordered_json& fields, std::string_view model_type,
                      std::initializer_list<std::string_view> names);

// Head geometry and tensor-parallel divisibility shared by every decoder here.
struct DecoderShape {
  int64_t hidden = 0, intermediate = 0, layers = 0, heads = 0, kv_heads = 0, head_dim = 0;
  int64_t vocab = 0;
};
Result<DecoderShape> read_decoder_shape(const nlohmann::ordered_json& fields,
                                        std::string_view model_type);

// The qwen2/qwen3 parameter list (mlc-model-params.md §2.3, §2.4): fused "self_attn.c_attn",
// gate_up_proj, lm_head only when untied. Defined in qwen2.cc, shared with qwen3.cc.
struct QwenPlanOptions {
  bool c_attn_bias = true;   // model.layers.{i}.self_attn.c_attn.bias [QKV]
  bool o_proj_bias = false;  // model.layers.{i}.self_attn.o_proj.bias [H]
  bool qk_norm = false;      // model.layers.{i}.self_attn.{q,k}_norm.weight [D]
};
Result<std::vector<ParamPlan>> plan_qwen_like(const nlohmann::ordered_json& fields,
                                              std::string_view model_type,
                                              const QwenPlanOptions& options);

// "model.layers.<i>.<suffix>"
std::string layer_name(int64_t layer, std::string_view suffix);

}  // namespace aae::model_detail
