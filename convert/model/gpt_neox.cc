// gpt_neox (Pythia, RedPajama-INCITE, model_type "gpt_neox"): MLC's GPTNeoXConfig and its
// huggingface loader (python/mlc_llm/model/gpt_neox). MLC keeps Hugging Face's parameter names;
// the loader reorders attention.query_key_value (weight and bias) from per-head [q, k, v] rows to
// all q, all k, all v (ParamPlan::deinterleave_qkv_heads). There is no num_key_value_heads:
// every head has its own K and V. The two MLP linears are MLC out_dtype=ffn_out_dtype linears,
// whose biases MLC keeps in that dtype (float32 unless overridden) in every model; embed_out,
// though declared float32, follows the model dtype (and is quantized in the group codes) like
// any other linear weight (docs/architectures.md).
#include <fmt/format.h>

#include "convert/model/architecture.h"

namespace aae::model_detail {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kNeox = "gpt_neox";

Status neox_post_init(ArchConfig& config) {
  Json& fields = config.fields;
  AAE_TRY(take_context_window(config, kNeox));
  if (fields["position_embedding_base"] == 0) {
    // MLC reads rope_theta only; an older config's rotary_emb_base stays in kwargs (unused).
    auto theta = config.kwargs.find("rope_theta");
    if (theta != config.kwargs.end() && theta->is_number()) {
      fields["position_embedding_base"] = *theta;
      config.kwargs.erase(theta);
    } else {
      fields["position_embedding_base"] = 10000;
    }
  }
  AAE_TRY(check_positive(fields, kNeox, {"hidden_size", "num_attention_heads"}));
  const int64_t hidden = fields["hidden_size"].get<int64_t>();
  const int64_t heads = fields["num_attention_heads"].get<int64_t>();
  if (fields["head_dim"] == 0) fields["head_dim"] = hidden / heads;
  if (fields["head_dim"].get<int64_t>() * heads != hidden) {
    return config_error(kNeox, "head_dim",
                        fmt::format("({}) times num_attention_heads ({}) must equal hidden_size "
                                    "({})",
                                    fields["head_dim"].get<int64_t>(), heads, hidden));
  }
  AAE_TRY(default_prefill_chunk(config, kNeox, 8192));
  const double rotary = fields["rotary_pct"].get<double>();
  if (!(rotary > 0 && rotary <= 1)) {
    return config_error(kNeox, "rotary_pct", fmt::format("must be in (0, 1], found {}", rotary));
  }
  const Json& ffn_dtype = fields["ffn_out_dtype"];
  const std::optional<DType> parsed =
      ffn_dtype.is_string() ? parse_dtype(ffn_dtype.get<std::string>()) : std::nullopt;
  if (!parsed || (*parsed != DType::kFloat32 && *parsed != DType::kFloat16 &&
                  *parsed != DType::kBFloat16)) {
    return config_error(kNeox, "ffn_out_dtype",
                        fmt::format("must be \"float32\", \"float16\" or \"bfloat16\", found "
                                    "{}", ffn_dtype.dump()));
  }
  return ok_status();
}

Result<std::vector<ParamPlan>> neox_plan(const Json& fields) {
  Json shaped = fields;  // read_decoder_shape wants a KV head count: one per head here
  shaped["num_key_value_heads"] = fields["num_attention_heads"];
  AAE_ASSIGN_OR_RETURN(DecoderShape s, read_decoder_shape(shaped, kNeox));
  const int64_t qkv_rows = 3 * s.heads * s.head_dim;
  // Checked in neox_post_init. MLC's MLP linears output ffn_out_dtype and keep their biases in it.
  const std::optional<DType> ffn_dtype = parse_dtype(fields["ffn_out_dtype"].get<std::string>());
  std::vector<ParamPlan> params;
  auto add = [&params](std::string name, std::vector<int64_t> shape, TensorRole role) {
    std::string source = name;
    params.push_back({std::move(name), std::move(shape), role, {std::move(source)}});
  };
  add("gpt_neox.embed_in.weight", {s.vocab, s.hidden}, TensorRole::kEmbedding);
  for (int64_t i = 0; i < s.layers; ++i) {
    const std::string p = fmt::format("gpt_neox.layers.{}.", i);
    for (const char* norm : {"input_layernorm", "post_attention_layernorm"}) {
      add(p + norm + ".weight", {s.hidden}, TensorRole::kOther);
      add(p + norm + ".bias", {s.hidden}, TensorRole::kOther);
    }
    add(p + "attention.query_key_value.weight", {qkv_rows, s.hidden}, TensorRole::kLinear);
    params.back().deinterleave_qkv_heads = s.heads;
    add(p + "attention.query_key_value.bias", {qkv_rows}, TensorRole::kOther);
    params.back().deinterleave_qkv_heads = s.heads;
    add(p + "attention.dense.weight", {s.hidden, s.heads * s.head_dim}, TensorRole::kLinear);
    add(p + "attention.dense.bias", {s.hidden}, TensorRole::kOther);
    add(p + "mlp.dense_h_to_4h.weight", {s.intermediate, s.hidden}, TensorRole::kLinear);
    add(p + "mlp.dense_h_to_4h.bias", {s.intermediate}, TensorRole::kOther);
    params.back().stored_dtype = ffn_dtype;
    add(p + "mlp.dense_4h_to_h.weight", {s.hidden, s.intermediate}, TensorRole::kLinear);
    add(p + "mlp.dense_4h_to_h.bias", {s.hidden}, TensorRole::kOther);
    params.back().stored_dtype = ffn_dtype;
  }
  add("gpt_neox.final_layer_norm.weight", {s.hidden}, TensorRole::kOther);
  add("gpt_neox.final_layer_norm.bias", {s.hidden}, TensorRole::kOther);
  add("embed_out.weight", {s.vocab, s.hidden}, TensorRole::kLmHead);
  return params;
}

}  // namespace

const Architecture& gpt_neox_architecture() {
  static const Architecture arch = {
      kNeox,
      {
          {"use_parallel_residual", FieldKind::kBool, true, nullptr},
          {"hidden_size", FieldKind::kInt, true, nullptr},
          {"intermediate_size", FieldKind::kInt, true, nullptr},
          {"num_attention_heads", FieldKind::kInt, true, nullptr},
          {"num_hidden_layers", FieldKind::kInt, true, nullptr},
          {"layer_norm_eps", FieldKind::kNumber, true, nullptr},
          {"vocab_size", FieldKind::kInt, true, nullptr},
          {"rotary_pct", FieldKind::kNumber, true, nullptr},
          {"position_embedding_base", FieldKind::kNumber, false, 0},
          {"context_window_size", FieldKind::kInt, false, 0},
          {"head_dim", FieldKind::kInt, false, 0},
          {"prefill_chunk_size", FieldKind::kInt, false, 0},
          {"tensor_parallel_shards", FieldKind::kInt, false, 1},
          {"ffn_out_dtype", FieldKind::kString, false, "float32"},
          {"max_batch_size", FieldKind::kInt, false, 1},
      },
      &neox_post_init,
      &neox_plan,
  };
  return arch;
}

}  // namespace aae::model_detail
