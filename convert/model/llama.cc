// llama (LlamaConfig) and mistral (MistralConfig): mlc-model-params.md §1.1, §1.2, §2.2.
// Both have the same parameter names; mistral has a sliding window, an attention sink and
// never ties the output projection to the embedding.
#include <algorithm>

#include <fmt/format.h>

#include "convert/model/architecture.h"

namespace aae::model_detail {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kLlama = "llama";
constexpr std::string_view kMistral = "mistral";

// position_embedding_base 0 means "rope_theta from config.json, else 10000".
Status derive_rope_base(ArchConfig& config, std::string_view model_type) {
  const Json& base = config.fields["position_embedding_base"];
  if (!(base.is_number() && base.get<double>() == 0.0)) return ok_status();
  auto it = config.kwargs.find("rope_theta");
  if (it == config.kwargs.end()) {
    config.fields["position_embedding_base"] = 10000;
    return ok_status();
  }
  if (!it->is_number() || it->get<double>() <= 0) {
    return config_error(model_type, "rope_theta",
                        fmt::format("must be a positive number, found {}", it->dump()));
  }
  config.fields["position_embedding_base"] = *it;
  config.kwargs.erase(it);
  return ok_status();
}

// num_key_value_heads 0 -> num_attention_heads; head_dim 0 -> hidden_size / num_attention_heads.
Status derive_heads(ArchConfig& config, std::string_view model_type) {
  AAE_TRY(check_positive(config.fields, model_type, {"hidden_size", "num_attention_heads"}));
  Json& fields = config.fields;
  if (fields["num_key_value_heads"].get<int64_t>() == 0) {
    fields["num_key_value_heads"] = fields["num_attention_heads"];
  }
  if (fields["head_dim"].get<int64_t>() == 0) {
    fields["head_dim"] = fields["hidden_size"].get<int64_t>() /
                         fields["num_attention_heads"].get<int64_t>();
  }
  AAE_TRY(check_positive(fields, model_type, {"num_key_value_heads", "head_dim"}));
  if (fields["num_attention_heads"].get<int64_t>() % fields["num_key_value_heads"].get<int64_t>()) {
    return config_error(model_type, "num_attention_heads",
                        fmt::format("({}) must be a multiple of num_key_value_heads ({})",
                                    fields["num_attention_heads"].get<int64_t>(),
                                    fields["num_key_value_heads"].get<int64_t>()));
  }
  return ok_status();
}

Status llama_post_init(ArchConfig& config) {
  AAE_TRY(derive_rope_base(config, kLlama));
  Json& scaling = config.fields["rope_scaling"];
  if (scaling.is_object()) {
    auto type = scaling.find("rope_type");
    if (type == scaling.end()) {
      scaling = nullptr;  // MLC silently drops rope_scaling without "rope_type" (e.g. "type")
    } else if (*type != "llama3") {
      return config_error(kLlama, "rope_scaling",
                          fmt::format("has rope_type {}; only \"llama3\" is supported",
                                      type->dump()),
                          "convert a model without rope_scaling, or one using llama3 scaling");
    }
  }
  AAE_TRY(take_context_window(config, kLlama));
  AAE_ASSIGN_OR_RETURN(int64_t layers, int_field(config.fields, "num_hidden_layers", kLlama));
  AAE_ASSIGN_OR_RETURN(int64_t stages, int_field(config.fields, "pipeline_parallel_stages", kLlama));
  if (stages <= 0 || stages > layers) {
    return config_error(kLlama, "pipeline_parallel_stages",
                        fmt::format("({}) must be between 1 and num_hidden_layers ({})", stages,
                                    layers));
  }
  AAE_TRY(derive_heads(config, kLlama));
  return default_prefill_chunk(config, kLlama, 8192);
}

Status mistral_post_init(ArchConfig& config) {
  AAE_TRY(derive_rope_base(config, kMistral));
  Json& fields = config.fields;
  if (fields["sliding_window_size"].get<int64_t>() == 0) {
    int64_t window = -1;
    if (auto it = config.kwargs.find("sliding_window"); it != config.kwargs.end()) {
      if (it->is_number_integer()) {
        window = it->get<int64_t>();
      } else if (!it->is_null()) {
        return config_error(kMistral, "sliding_window",
                            fmt::format("must be an integer or null, found {}", it->dump()));
      }
      config.kwargs.erase(it);
    }
    fields["sliding_window_size"] = window;
  }
  const int64_t window = fields["sliding_window_size"].get<int64_t>();
  if (fields["context_window_size"].get<int64_t>() == 0) {
    if (window == -1) {
      AAE_TRY(take_context_window(config, kMistral));
    } else {
      fields["context_window_size"] = -1;  // the sliding window bounds attention instead
    }
  }
  AAE_TRY(derive_heads(config, kMistral));
  if (fields["attention_sink_size"].get<int64_t>() < 0) {
    return config_error(kMistral, "attention_sink_size", "must not be negative");
  }
  if (fields["prefill_chunk_size"].get<int64_t>() == 0) {
    const int64_t context = fields["context_window_size"].get<int64_t>();
    int64_t prefill = 8192;
    if (window != -1) prefill = std::min(prefill, window);
    if (context != -1) prefill = std::min(prefill, context);
    fields["prefill_chunk_size"] = prefill;
  }
  return ok_status();
}

Result<std::vector<ParamPlan>> plan_llama_like(const Json& fields, std::string_view model_type,
                                               bool with_lm_head) {
  AAE_ASSIGN_OR_RETURN(DecoderShape s, read_decoder_shape(fields, model_type));
  if (s.hidden % s.heads != 0) {
    return config_error(model_type, "hidden_size",
                        fmt::format("({}) must be a multiple of num_attention_heads ({})", s.hidden,
                                    s.heads));
  }
  const int64_t qkv_rows = (s.heads + 2 * s.kv_heads) * s.head_dim;
  std::vector<ParamPlan> params;
  params.push_back({"model.embed_tokens.weight", {s.vocab, s.hidden}, TensorRole::kEmbedding,
                    {"model.embed_tokens.weight"}});
  for (int64_t i = 0; i < s.layers; ++i) {
    auto name = [i](std::string_view suffix) { return layer_name(i, suffix); };
    params.push_back({name("input_layernorm.weight"), {s.hidden}, TensorRole::kOther,
                      {name("input_layernorm.weight")}});
    params.push_back({name("self_attn.qkv_proj.weight"), {qkv_rows, s.hidden}, TensorRole::kLinear,
                      {name("self_attn.q_proj.weight"), name("self_attn.k_proj.weight"),
                       name("self_attn.v_proj.weight")}});
    params.push_back({name("self_attn.o_proj.weight"), {s.hidden, s.heads * s.head_dim},
                      TensorRole::kLinear, {name("self_attn.o_proj.weight")}});
    params.push_back({name("post_attention_layernorm.weight"), {s.hidden}, TensorRole::kOther,
                      {name("post_attention_layernorm.weight")}});
    params.push_back({name("mlp.gate_up_proj.weight"), {2 * s.intermediate, s.hidden},
                      TensorRole::kLinear,
                      {name("mlp.gate_proj.weight"), name("mlp.up_proj.weight")}});
    params.push_back({name("mlp.down_proj.weight"), {s.hidden, s.intermediate}, TensorRole::kLinear,
                      {name("mlp.down_proj.weight")}});
  }
  params.push_back({"model.norm.weight", {s.hidden}, TensorRole::kOther, {"model.norm.weight"}});
  if (with_lm_head) {
    params.push_back({"lm_head.weight", {s.vocab, s.hidden}, TensorRole::kLmHead,
                      {"lm_head.weight"}});
  }
  return params;
}

Result<std::vector<ParamPlan>> llama_plan(const Json& fields) {
  return plan_llama_like(fields, kLlama, !fields.at("tie_word_embeddings").get<bool>());
}

Result<std::vector<ParamPlan>> mistral_plan(const Json& fields) {
  return plan_llama_like(fields, kMistral, /*with_lm_head=*/true);
}

}  // namespace

const Architecture& llama_architecture() {
  static const Architecture arch = {
      kLlama,
      {
          {"hidden_size", FieldKind::kInt, true, nullptr},
          {"intermediate_size", FieldKind::kInt, true, nullptr},
          {"num_attention_heads", FieldKind::kInt, true, nullptr},
          {"num_hidden_layers", FieldKind::kInt, true, nullptr},
          {"rms_norm_eps", FieldKind::kNumber, true, nullptr},
          {"vocab_size", FieldKind::kInt, true, nullptr},
          {"tie_word_embeddings", FieldKind::kBool, false, false},
          {"position_embedding_base", FieldKind::kNumber, false, 0},
          {"rope_scaling", FieldKind::kObjectOrNull, false, nullptr},
          {"context_window_size", FieldKind::kInt, false, 0},
          {"prefill_chunk_size", FieldKind::kInt, false, 0},
          {"num_key_value_heads", FieldKind::kInt, false, 0},
          {"head_dim", FieldKind::kInt, false, 0},
          {"tensor_parallel_shards", FieldKind::kInt, false, 1},
          {"pipeline_parallel_stages", FieldKind::kInt, false, 1},
          {"max_batch_size", FieldKind::kInt, false, 1},
          {"disaggregation", FieldKind::kBool, false, false},
      },
      &llama_post_init,
      &llama_plan,
  };
  return arch;
}

const Architecture& mistral_architecture() {
  static const Architecture arch = {
      kMistral,
      {
          {"hidden_size", FieldKind::kInt, true, nullptr},
          {"intermediate_size", FieldKind::kInt, true, nullptr},
          {"num_attention_heads", FieldKind::kInt, true, nullptr},
          {"num_hidden_layers", FieldKind::kInt, true, nullptr},
          {"rms_norm_eps", FieldKind::kNumber, true, nullptr},
          {"vocab_size", FieldKind::kInt, true, nullptr},
          {"position_embedding_base", FieldKind::kNumber, false, 0},
          {"num_key_value_heads", FieldKind::kInt, false, 0},
          {"head_dim", FieldKind::kInt, false, 0},
          {"context_window_size", FieldKind::kInt, false, 0},
          {"sliding_window_size", FieldKind::kInt, false, 0},
          {"prefill_chunk_size", FieldKind::kInt, false, 0},
          {"attention_sink_size", FieldKind::kInt, false, 4},
          {"tensor_parallel_shards", FieldKind::kInt, false, 1},
          {"max_batch_size", FieldKind::kInt, false, 1},
      },
      &mistral_post_init,
      &mistral_plan,
  };
  return arch;
}

}  // namespace aae::model_detail
