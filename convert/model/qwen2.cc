// qwen2 (QWen2Config): mlc-model-params.md §1.3, §2.3. The fused attention projection is named
// "c_attn" and carries a bias; rope_theta is used as written in config.json.
#include <fmt/format.h>

#include "convert/model/architecture.h"

namespace aae::model_detail {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kQwen2 = "qwen2";

Status qwen2_post_init(ArchConfig& config) {
  AAE_TRY(check_activation(config.fields, kQwen2));
  AAE_TRY(take_context_window(config, kQwen2));
  AAE_TRY(check_positive(config.fields, kQwen2, {"hidden_size", "num_attention_heads"}));
  Json& fields = config.fields;
  const int64_t hidden = fields["hidden_size"].get<int64_t>();
  const int64_t heads = fields["num_attention_heads"].get<int64_t>();
  if (fields["head_dim"].get<int64_t>() == 0) fields["head_dim"] = hidden / heads;
  if (fields["head_dim"].get<int64_t>() * heads != hidden) {
    return config_error(kQwen2, "head_dim",
                        fmt::format("({}) times num_attention_heads ({}) must equal hidden_size "
                                    "({})",
                                    fields["head_dim"].get<int64_t>(), heads, hidden));
  }
  return default_prefill_chunk(config, kQwen2, 8192);
}

Result<std::vector<ParamPlan>> qwen2_plan(const Json& fields) {
  return plan_qwen_like(fields, kQwen2, QwenPlanOptions{});
}

}  // namespace

Result<std::vector<ParamPlan>> plan_qwen_like(const Json& fields, std::string_view model_type,
                                              const QwenPlanOptions& options) {
  AAE_ASSIGN_OR_RETURN(DecoderShape s, read_decoder_shape(fields, model_type));
  const int64_t qkv_rows = (s.heads + 2 * s.kv_heads) * s.head_dim;
  std::vector<ParamPlan> params;
  params.push_back({"model.embed_tokens.weight", {s.vocab, s.hidden}, TensorRole::kEmbedding,
                    {"model.embed_tokens.weight"}});
  for (int64_t i = 0; i < s.layers; ++i) {
    auto name = [i](std::string_view suffix) { return layer_name(i, suffix); };
    params.push_back({name("input_layernorm.weight"), {s.hidden}, TensorRole::kOther,
                      {name("input_layernorm.weight")}});
    params.push_back({name("self_attn.c_attn.weight"), {qkv_rows, s.hidden}, TensorRole::kLinear,
                      {name("self_attn.q_proj.weight"), name("self_attn.k_proj.weight"),
                       name("self_attn.v_proj.weight")}});
    if (options.c_attn_bias) {
      params.push_back({name("self_attn.c_attn.bias"), {qkv_rows}, TensorRole::kOther,
                        {name("self_attn.q_proj.bias"), name("self_attn.k_proj.bias"),
                         name("self_attn.v_proj.bias")}});
    }
    params.push_back({name("self_attn.o_proj.weight"), {s.hidden, s.heads * s.head_dim},
                      TensorRole::kLinear, {name("self_attn.o_proj.weight")}});
    if (options.o_proj_bias) {
      params.push_back({name("self_attn.o_proj.bias"), {s.hidden}, TensorRole::kOther,
                        {name("self_attn.o_proj.bias")}});
    }
    if (options.qk_norm) {
      params.push_back({name("self_attn.q_norm.weight"), {s.head_dim}, TensorRole::kOther,
                        {name("self_attn.q_norm.weight")}});
      params.push_back({name("self_attn.k_norm.weight"), {s.head_dim}, TensorRole::kOther,
                        {name("self_attn.k_norm.weight")}});
    }
    params.push_back({name("post_attention_layernorm.weight"), {s.hidden}, TensorRole::kOther,
                      {name("post_attention_layernorm.weight")}});
    params.push_back({name("mlp.gate_up_proj.weight"), {2 * s.intermediate, s.hidden},
                      TensorRole::kLinear,
                      {name("mlp.gate_proj.weight"), name("mlp.up_proj.weight")}});
    params.push_back({name("mlp.down_proj.weight"), {s.hidden, s.intermediate}, TensorRole::kLinear,
                      {name("mlp.down_proj.weight")}});
  }
  params.push_back({"model.norm.weight", {s.hidden}, TensorRole::kOther, {"model.norm.weight"}});
  if (!fields.at("tie_word_embeddings").get<bool>()) {
    params.push_back({"lm_head.weight", {s.vocab, s.hidden}, TensorRole::kLmHead,
                      {"lm_head.weight"}});
  }
  return params;
}

const Architecture& qwen2_architecture() {
  static const Architecture arch = {
      kQwen2,
      {
          {"hidden_act", FieldKind::kString, true, nullptr},
          {"hidden_size", FieldKind::kInt, true, nullptr},
          {"intermediate_size", FieldKind::kInt, true, nullptr},
          {"num_attention_heads", FieldKind::kInt, true, nullptr},
          {"num_hidden_layers", FieldKind::kInt, true, nullptr},
          {"num_key_value_heads", FieldKind::kInt, true, nullptr},
          {"rms_norm_eps", FieldKind::kNumber, true, nullptr},
          {"rope_theta", FieldKind::kNumber, true, nullptr},
          {"vocab_size", FieldKind::kInt, true, nullptr},
          {"tie_word_embeddings", FieldKind::kBool, false, false},
          {"context_window_size", FieldKind::kInt, false, 0},
          {"prefill_chunk_size", FieldKind::kInt, false, 0},
          {"tensor_parallel_shards", FieldKind::kInt, false, 1},
          {"head_dim", FieldKind::kInt, false, 0},
          {"dtype", FieldKind::kString, false, "float32"},
          {"max_batch_size", FieldKind::kInt, false, 1},
      },
      &qwen2_post_init,
      &qwen2_plan,
  };
  return arch;
}

}  // namespace aae::model_detail
