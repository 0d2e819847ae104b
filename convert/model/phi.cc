// phi (Phi-1, Phi-1.5, Phi-2 in the Hugging Face transformers layout, model_type "phi"): MLC's
// Phi1Config and its phi1_huggingface loader (python/mlc_llm/model/phi). Every dataclass field has
// a default. MLC renames the modules (transformer.embd, transformer.h.{i}.ln / mixer.Wqkv /
// mixer.out_proj / mlp.fc1 / mlp.fc2, lm_head.ln / lm_head.linear), fuses q/k/v weights and
// biases into Wqkv, and keeps every bias. hidden_act is ignored: MLC's model always uses the
// tanh GeLU (Phi-2's "gelu_new").
#include <fmt/format.h>

#include "convert/model/architecture.h"

namespace aae::model_detail {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kPhi = "phi";

Status phi_post_init(ArchConfig& config) {
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
  AAE_TRY(take_context_window(config, kPhi));
  AAE_TRY(default_prefill_chunk(config, kPhi, 8192));
  AAE_TRY(check_positive(fields, kPhi, {"hidden_size", "num_attention_heads"}));
  const int64_t hidden = fields["hidden_size"].get<int64_t>();
  const int64_t heads = fields["num_attention_heads"].get<int64_t>();
  if (fields["num_key_value_heads"] == 0) fields["num_key_value_heads"] = heads;
  if (fields["intermediate_size"] == 0) fields["intermediate_size"] = 4 * hidden;
  if (fields["head_dim"] == 0) fields["head_dim"] = hidden / heads;
  if (fields["head_dim"].get<int64_t>() * heads != hidden) {
    return config_error(kPhi, "head_dim",
                        fmt::format("({}) times num_attention_heads ({}) must equal hidden_size "
                                    "({})",
                                    fields["head_dim"].get<int64_t>(), heads, hidden));
  }
  const double partial = fields["partial_rotary_factor"].get<double>();
  if (!(partial > 0 && partial <= 1)) {
    return config_error(kPhi, "partial_rotary_factor",
                        fmt::format("must be in (0, 1], found {}", partial));
  }
  return ok_status();
}

Result<std::vector<ParamPlan>> phi_plan(const Json& fields) {
  AAE_ASSIGN_OR_RETURN(DecoderShape s, read_decoder_shape(fields, kPhi));
  const int64_t qkv_rows = (s.heads + 2 * s.kv_heads) * s.head_dim;
  std::vector<ParamPlan> params;
  params.push_back({"transformer.embd.weight", {s.vocab, s.hidden}, TensorRole::kEmbedding,
                    {"model.embed_tokens.weight"}});
  for (int64_t i = 0; i < s.layers; ++i) {
    auto mlc = [i](std::string_view suffix) { return fmt::format("transformer.h.{}.{}", i, suffix); };
    auto hf = [i](std::string_view suffix) { return layer_name(i, suffix); };
    for (const char* part : {"weight", "bias"}) {
      params.push_back({mlc(fmt::format("ln.{}", part)), {s.hidden}, TensorRole::kOther,
                        {hf(fmt::format("input_layernorm.{}", part))}});
    }
    params.push_back({mlc("mixer.Wqkv.weight"), {qkv_rows, s.hidden}, TensorRole::kLinear,
                      {hf("self_attn.q_proj.weight"), hf("self_attn.k_proj.weight"),
                       hf("self_attn.v_proj.weight")}});
    params.push_back({mlc("mixer.Wqkv.bias"), {qkv_rows}, TensorRole::kOther,
                      {hf("self_attn.q_proj.bias"), hf("self_attn.k_proj.bias"),
                       hf("self_attn.v_proj.bias")}});
    params.push_back({mlc("mixer.out_proj.weight"), {s.hidden, s.heads * s.head_dim},
                      TensorRole::kLinear, {hf("self_attn.dense.weight")}});
    params.push_back({mlc("mixer.out_proj.bias"), {s.hidden}, TensorRole::kOther,
                      {hf("self_attn.dense.bias")}});
    params.push_back({mlc("mlp.fc1.weight"), {s.intermediate, s.hidden}, TensorRole::kLinear,
                      {hf("mlp.fc1.weight")}});
    params.push_back({mlc("mlp.fc1.bias"), {s.intermediate}, TensorRole::kOther,
                      {hf("mlp.fc1.bias")}});
    params.push_back({mlc("mlp.fc2.weight"), {s.hidden, s.intermediate}, TensorRole::kLinear,
                      {hf("mlp.fc2.weight")}});
    params.push_back({mlc("mlp.fc2.bias"), {s.hidden}, TensorRole::kOther, {hf("mlp.fc2.bias")}});
  }
  params.push_back({"lm_head.ln.weight", {s.hidden}, TensorRole::kOther,
                    {"model.final_layernorm.weight"}});
  params.push_back({"lm_head.ln.bias", {s.hidden}, TensorRole::kOther,
                    {"model.final_layernorm.bias"}});
  params.push_back({"lm_head.linear.weight", {s.vocab, s.hidden}, TensorRole::kLmHead,
                    {"lm_head.weight"}});
  params.push_back({"lm_head.linear.bias", {s.vocab}, TensorRole::kOther, {"lm_head.bias"}});
  return params;
}

}  // namespace

const Architecture& phi_architecture() {
  static const Architecture arch = {
      kPhi,
      {
          {"vocab_size", FieldKind::kInt, false, 51200},
          {"hidden_size", FieldKind::kInt, false, 2048},
          {"intermediate_size", FieldKind::kInt, false, 8192},
          {"num_hidden_layers", FieldKind::kInt, false, 24},
          {"num_attention_heads", FieldKind::kInt, false, 32},
          {"layer_norm_eps", FieldKind::kNumber, false, 1e-5},
          {"position_embedding_base", FieldKind::kNumber, false, 0},
          {"partial_rotary_factor", FieldKind::kNumber, false, 0.5},
          {"num_key_value_heads", FieldKind::kInt, false, 0},
          {"context_window_size", FieldKind::kInt, false, 0},
          {"prefill_chunk_size", FieldKind::kInt, false, 0},
          {"head_dim", FieldKind::kInt, false, 0},
          {"tensor_parallel_shards", FieldKind::kInt, false, 1},
          {"max_batch_size", FieldKind::kInt, false, 1},
      },
      &phi_post_init,
      &phi_plan,
  };
  return arch;
}

}  // namespace aae::model_detail
