// phi3 (Phi3Config): mlc-model-params.md §1.7, §2.7. Hugging Face Phi-3 already ships fused
// qkv_proj and gate_up_proj, so conversion is a 1:1 copy under MLC's renamed modules
// (transformer.embd, transformer.h.{i}.ln / mixer / mlp, transformer.norm). The RoPE base is
// stored as position_embedding_base; a longrope ("su") rope_scaling is kept and extended with
// the two context lengths the RoPE kernel needs.
#include <fmt/format.h>

#include "convert/model/architecture.h"

namespace aae::model_detail {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kPhi3 = "phi3";

// MLC's rope_scaling handling: a dict without "type" is dropped; "su" is the old name of
// "longrope"; anything else is refused. The dict then carries rope_type and both context
// lengths (idempotent, so the second __post_init__ after overrides changes nothing).
Status normalize_rope_scaling(Json& fields) {
  Json& scaling = fields["rope_scaling"];
  if (scaling.is_null()) return ok_status();
  auto type = scaling.find("type");
  if (type == scaling.end()) {
    scaling = nullptr;
    return ok_status();
  }
  if (*type == "su") *type = "longrope";
  if (*type != "longrope") {
    return config_error(kPhi3, "rope_scaling",
                        fmt::format("has type {}; only \"longrope\" (or \"su\") is supported for "
                                    "phi3", type->dump()));
  }
  scaling["rope_type"] = *type;
  scaling["max_position_embeddings"] = fields["max_position_embeddings"];
  scaling["original_max_position_embeddings"] = fields["original_max_position_embeddings"];
  return ok_status();
}

Status phi3_post_init(ArchConfig& config) {
  Json& fields = config.fields;
  if (fields["position_embedding_base"] == 0) {
    auto theta = config.kwargs.find("rope_theta");
    if (theta != config.kwargs.end() && theta->is_number()) {
      fields["position_embedding_base"] = *theta;
      config.kwargs.erase(theta);
    } else {
      fields["position_embedding_base"] = 10000;
    }
  }
  AAE_TRY(normalize_rope_scaling(fields));
  AAE_ASSIGN_OR_RETURN(int64_t max_positions,
                       int_field(fields, "max_position_embeddings", kPhi3));
  if (fields["context_window_size"] == 0) fields["context_window_size"] = max_positions;
  AAE_TRY(default_prefill_chunk(config, kPhi3, 8192));
  AAE_TRY(check_positive(fields, kPhi3, {"hidden_size", "num_attention_heads"}));
  const int64_t hidden = fields["hidden_size"].get<int64_t>();
  const int64_t heads = fields["num_attention_heads"].get<int64_t>();
  if (fields["num_key_value_heads"] == 0) fields["num_key_value_heads"] = heads;
  if (fields["head_dim"] == 0) fields["head_dim"] = hidden / heads;
  if (fields["head_dim"].get<int64_t>() * heads != hidden) {
    return config_error(kPhi3, "head_dim",
                        fmt::format("({}) times num_attention_heads ({}) must equal hidden_size "
                                    "({})",
                                    fields["head_dim"].get<int64_t>(), heads, hidden));
  }
  return ok_status();
}

// MLC builds rope_ext_factors = long_factor + short_factor when the model is constructed, so a
// longrope dict without both lists fails there; here it fails with the field named.
Status check_longrope_factors(const Json& fields, int64_t head_dim) {
  const Json& scaling = fields.at("rope_scaling");
  if (scaling.is_null()) return ok_status();
  const double partial = fields.at("partial_rotary_factor").get<double>();
  const int64_t rotary_half = static_cast<int64_t>(static_cast<double>(head_dim) * partial) / 2;
  for (const char* key : {"long_factor", "short_factor"}) {
    auto it = scaling.find(key);
    if (it == scaling.end() || !it->is_array()) {
      return config_error(kPhi3, fmt::format("rope_scaling.{}", key),
                          "is missing or not a list", "a longrope rope_scaling lists one factor "
                          "per rotary frequency (head_dim * partial_rotary_factor / 2)");
    }
    for (const auto& v : *it) {
      if (!v.is_number() || v.get<double>() <= 0) {
        return config_error(kPhi3, fmt::format("rope_scaling.{}", key),
                            fmt::format("holds {}; factors must be positive numbers", v.dump()));
      }
    }
    if (static_cast<int64_t>(it->size()) < rotary_half) {
      return config_error(kPhi3, fmt::format("rope_scaling.{}", key),
                          fmt::format("has {} factors, expected {} (head_dim * "
                                      "partial_rotary_factor / 2)",
                                      it->size(), rotary_half));
    }
  }
  return ok_status();
}

Result<std::vector<ParamPlan>> phi3_plan(const Json& fields) {
  AAE_ASSIGN_OR_RETURN(DecoderShape s, read_decoder_shape(fields, kPhi3));
  AAE_TRY(check_longrope_factors(fields, s.head_dim));
  const int64_t qkv_rows = (s.heads + 2 * s.kv_heads) * s.head_dim;
  std::vector<ParamPlan> params;
  params.push_back({"transformer.embd.weight", {s.vocab, s.hidden}, TensorRole::kEmbedding,
                    {"model.embed_tokens.weight"}});
  for (int64_t i = 0; i < s.layers; ++i) {
    auto mlc = [i](std::string_view suffix) { return fmt::format("transformer.h.{}.{}", i, suffix); };
    auto hf = [i](std::string_view suffix) { return layer_name(i, suffix); };
    params.push_back({mlc("ln.weight"), {s.hidden}, TensorRole::kOther,
                      {hf("input_layernorm.weight")}});
    params.push_back({mlc("mixer.qkv_proj.weight"), {qkv_rows, s.hidden}, TensorRole::kLinear,
                      {hf("self_attn.qkv_proj.weight")}});
    params.push_back({mlc("mixer.out_proj.weight"), {s.hidden, s.heads * s.head_dim},
                      TensorRole::kLinear, {hf("self_attn.o_proj.weight")}});
    params.push_back({mlc("post_attention_layernorm.weight"), {s.hidden}, TensorRole::kOther,
                      {hf("post_attention_layernorm.weight")}});
    params.push_back({mlc("mlp.gate_up_proj.weight"), {2 * s.intermediate, s.hidden},
                      TensorRole::kLinear, {hf("mlp.gate_up_proj.weight")}});
    params.push_back({mlc("mlp.down_proj.weight"), {s.hidden, s.intermediate},
                      TensorRole::kLinear, {hf("mlp.down_proj.weight")}});
  }
  params.push_back({"transformer.norm.weight", {s.hidden}, TensorRole::kOther,
                    {"model.norm.weight"}});
  if (!fields.at("tie_word_embeddings").get<bool>()) {
    params.push_back({"lm_head.weight", {s.vocab, s.hidden}, TensorRole::kLmHead,
                      {"lm_head.weight"}});
  }
  return params;
}

}  // namespace

const Architecture& phi3_architecture() {
  static const Architecture arch = {
      kPhi3,
      {
          {"model_type", FieldKind::kString, true, nullptr},
          {"hidden_size", FieldKind::kInt, true, nullptr},
          {"vocab_size", FieldKind::kInt, true, nullptr},
          {"num_hidden_layers", FieldKind::kInt, true, nullptr},
          {"num_attention_heads", FieldKind::kInt, true, nullptr},
          {"intermediate_size", FieldKind::kInt, true, nullptr},
          {"rms_norm_eps", FieldKind::kNumber, true, nullptr},
          {"num_key_value_heads", FieldKind::kInt, true, nullptr},
          {"max_position_embeddings", FieldKind::kInt, true, nullptr},
          {"position_embedding_base", FieldKind::kNumber, false, 0},
          {"rope_scaling", FieldKind::kObjectOrNull, false, nullptr},
          {"original_max_position_embeddings", FieldKind::kInt, false, 0},
          {"context_window_size", FieldKind::kInt, false, 0},
          {"prefill_chunk_size", FieldKind::kInt, false, 0},
          {"head_dim", FieldKind::kInt, false, 0},
          {"tensor_parallel_shards", FieldKind::kInt, false, 1},
          {"max_batch_size", FieldKind::kInt, false, 1},
          {"tie_word_embeddings", FieldKind::kBool, false, false},
          {"partial_rotary_factor", FieldKind::kNumber, false, 1.0},
      },
      &phi3_post_init,
      &phi3_plan,
  };
  return arch;
}

}  // namespace aae::model_detail
