// gemma (GemmaConfig) and gemma2 (Gemma2Config): mlc-model-params.md §1.5, §1.6, §2.5, §2.6,
// §3.2. Llama's parameter names with no lm_head (always tied) and head_dim from config.json;
// every RMSNorm weight gets +1 at conversion (ParamPlan::add_one). gemma2 adds the
// pre/post feed-forward norms and caps the context window at sliding_window.
#include <algorithm>

#include <fmt/format.h>

#include "convert/model/architecture.h"

namespace aae::model_detail {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kGemma = "gemma";
constexpr std::string_view kGemma2 = "gemma2";

// GemmaConfig.__post_init__: the activation (either GeLU spelling; the model always runs
// tanh-approximate GeLU), no attention bias, the RoPE base, the context window, the prefill
// chunk and the head geometry.
Status gemma_post_init_for(ArchConfig& config, std::string_view model_type) {
  Json& fields = config.fields;
  if (fields["hidden_activation"].is_null()) {
    auto act = config.kwargs.find("hidden_act");
    if (act != config.kwargs.end()) {
      fields["hidden_activation"] = *act;
      config.kwargs.erase(act);
    }
  }
  const Json& act = fields["hidden_activation"];
  if (!act.is_string() || (act != "gelu" && act != "gelu_pytorch_tanh")) {
    return config_error(model_type, "hidden_activation",
                        fmt::format("must be \"gelu\" or \"gelu_pytorch_tanh\", found {}",
                                    act.dump()),
                        "gemma models use GeLU; set hidden_activation (or hidden_act)");
  }
  if (fields["attention_bias"].get<bool>()) {
    return config_error(model_type, "attention_bias", "must be false for gemma models");
  }
  const Json& base = fields["position_embedding_base"];
  if (base.is_number() && base.get<double>() == 0.0) {
    auto theta = config.kwargs.find("rope_theta");
    if (theta == config.kwargs.end()) {
      fields["position_embedding_base"] = 10000;
    } else {
      if (!theta->is_number() || theta->get<double>() <= 0) {
        return config_error(model_type, "rope_theta",
                            fmt::format("must be a positive number, found {}", theta->dump()));
      }
      fields["position_embedding_base"] = *theta;
      config.kwargs.erase(theta);
    }
  }
  AAE_TRY(take_context_window(config, model_type));
  // Only an unset chunk is derived (min(ctx, 8192)); a chunk above the context window is kept,
  // as MLC keeps gemma2's 8192 over its 4096 window (the compiler clamps it).
  AAE_ASSIGN_OR_RETURN(int64_t context, int_field(fields, "context_window_size", model_type));
  AAE_ASSIGN_OR_RETURN(int64_t prefill, int_field(fields, "prefill_chunk_size", model_type));
  if (prefill == 0) fields["prefill_chunk_size"] = std::min<int64_t>(context, 8192);
  AAE_TRY(check_positive(fields, model_type,
                         {"hidden_size", "num_attention_heads", "num_key_value_heads",
                          "head_dim"}));
  const int64_t hidden = fields["hidden_size"].get<int64_t>();
  const int64_t heads = fields["num_attention_heads"].get<int64_t>();
  if (hidden % heads != 0) {
    return config_error(model_type, "hidden_size",
                        fmt::format("({}) must be a multiple of num_attention_heads ({})", hidden,
                                    heads),
                        "MLC's gemma model asserts this even though head_dim is separate");
  }
  return ok_status();
}

Status gemma_post_init(ArchConfig& config) { return gemma_post_init_for(config, kGemma); }

// Gemma2Config.__post_init__: gemma's derivations, then the context window becomes
// sliding_window (MLC runs every layer with global attention and caps the context instead of
// alternating local and global layers). prefill_chunk_size is not clamped again here; the
// compiler clamps it to the context window.
Status gemma2_post_init(ArchConfig& config) {
  AAE_TRY(gemma_post_init_for(config, kGemma2));
  const Json& window = config.fields["sliding_window"];
  if (window.is_null()) return ok_status();
  if (!window.is_number_integer() || window.get<int64_t>() <= 0) {
    return config_error(kGemma2, "sliding_window",
                        fmt::format("must be a positive integer or null, found {}",
                                    window.dump()));
  }
  config.fields["context_window_size"] = window;
  return ok_status();
}

ParamPlan norm_plan(std::string name, int64_t size) {
  ParamPlan plan{name, {size}, TensorRole::kOther, {name}};
  plan.add_one = true;  // HF Gemma's RMSNorm multiplies by (1 + w); MLC stores 1 + w
  return plan;
}

Result<std::vector<ParamPlan>> plan_gemma_like(const Json& fields, std::string_view model_type,
                                               bool feedforward_norms) {
  AAE_ASSIGN_OR_RETURN(DecoderShape s, read_decoder_shape(fields, model_type));
  const int64_t qkv_rows = (s.heads + 2 * s.kv_heads) * s.head_dim;
  std::vector<ParamPlan> params;
  params.push_back({"model.embed_tokens.weight", {s.vocab, s.hidden}, TensorRole::kEmbedding,
                    {"model.embed_tokens.weight"}});
  for (int64_t i = 0; i < s.layers; ++i) {
    auto name = [i](std::string_view suffix) { return layer_name(i, suffix); };
    params.push_back(norm_plan(name("input_layernorm.weight"), s.hidden));
    params.push_back({name("self_attn.qkv_proj.weight"), {qkv_rows, s.hidden},
                      TensorRole::kLinear,
                      {name("self_attn.q_proj.weight"), name("self_attn.k_proj.weight"),
                       name("self_attn.v_proj.weight")}});
    params.push_back({name("self_attn.o_proj.weight"), {s.hidden, s.heads * s.head_dim},
                      TensorRole::kLinear, {name("self_attn.o_proj.weight")}});
    params.push_back(norm_plan(name("post_attention_layernorm.weight"), s.hidden));
    if (feedforward_norms) {
      params.push_back(norm_plan(name("pre_feedforward_layernorm.weight"), s.hidden));
      params.push_back(norm_plan(name("post_feedforward_layernorm.weight"), s.hidden));
    }
    params.push_back({name("mlp.gate_up_proj.weight"), {2 * s.intermediate, s.hidden},
                      TensorRole::kLinear,
                      {name("mlp.gate_proj.weight"), name("mlp.up_proj.weight")}});
    params.push_back({name("mlp.down_proj.weight"), {s.hidden, s.intermediate},
                      TensorRole::kLinear, {name("mlp.down_proj.weight")}});
  }
  params.push_back(norm_plan("model.norm.weight", s.hidden));
  return params;
}

Result<std::vector<ParamPlan>> gemma_plan(const Json& fields) {
  return plan_gemma_like(fields, kGemma, false);
}

Result<std::vector<ParamPlan>> gemma2_plan(const Json& fields) {
  return plan_gemma_like(fields, kGemma2, true);
}

std::vector<FieldSpec> gemma_fields() {
  return {
      {"hidden_size", FieldKind::kInt, true, nullptr},
      {"intermediate_size", FieldKind::kInt, true, nullptr},
      {"attention_bias", FieldKind::kBool, true, nullptr},
      {"num_attention_heads", FieldKind::kInt, true, nullptr},
      {"num_key_value_heads", FieldKind::kInt, true, nullptr},
      {"head_dim", FieldKind::kInt, true, nullptr},
      {"num_hidden_layers", FieldKind::kInt, true, nullptr},
      {"rms_norm_eps", FieldKind::kNumber, true, nullptr},
      {"vocab_size", FieldKind::kInt, true, nullptr},
      {"hidden_activation", FieldKind::kAny, false, nullptr},
      {"position_embedding_base", FieldKind::kNumber, false, 0},
      {"context_window_size", FieldKind::kInt, false, 0},
      {"prefill_chunk_size", FieldKind::kInt, false, 0},
      {"tensor_parallel_shards", FieldKind::kInt, false, 1},
      {"max_batch_size", FieldKind::kInt, false, 1},
  };
}

}  // namespace

const Architecture& gemma_architecture() {
  static const Architecture arch = {kGemma, gemma_fields(), &gemma_post_init, &gemma_plan};
  return arch;
}

const Architecture& gemma2_architecture() {
  static const Architecture arch = [] {
    std::vector<FieldSpec> fields = gemma_fields();
    // Read and kept in model_config; MLC uses only final_logit_softcapping (§4.4, §4.6).
    fields.push_back({"attn_logit_softcapping", FieldKind::kAny, false, nullptr});
    fields.push_back({"final_logit_softcapping", FieldKind::kAny, false, nullptr});
    fields.push_back({"query_pre_attn_scalar", FieldKind::kAny, false, nullptr});
    fields.push_back({"sliding_window", FieldKind::kAny, false, nullptr});
    return Architecture{kGemma2, std::move(fields), &gemma2_post_init, &gemma2_plan};
  }();
  return arch;
}

}  // namespace aae::model_detail
