// qwen3 (Qwen3Config): mlc-model-params.md §1.4, §2.4. Like qwen2 plus per-head q_norm/k_norm,
// biases only with attention_bias, prefill capped at 2048, and head_dim never derived.
#include <fmt/format.h>

#include "convert/model/architecture.h"

namespace aae::model_detail {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kQwen3 = "qwen3";

Status qwen3_post_init(ArchConfig& config) {
  // MLC accepts only an fp8 block-scale quantization_config here (and then needs an fp8
  // quantization code, which AAE does not implement); any pre-quantized checkpoint is refused.
  if (auto it = config.kwargs.find("quantization_config"); it != config.kwargs.end()) {
    return config_error(kQwen3, "quantization_config",
                        "is present: pre-quantized checkpoints are not supported",
                        "convert from the original (unquantized) Hugging Face checkpoint");
  }
  AAE_TRY(check_activation(config.fields, kQwen3));
  AAE_TRY(take_context_window(config, kQwen3));
  AAE_ASSIGN_OR_RETURN(int64_t head_dim, int_field(config.fields, "head_dim", kQwen3));
  if (head_dim <= 0) {
    return config_error(kQwen3, "head_dim", "is required for qwen3 and must be positive",
                        "MLC never derives head_dim for qwen3; real Qwen3 configs set it "
                        "(e.g. 128)");
  }
  return default_prefill_chunk(config, kQwen3, 2048);
}

Result<std::vector<ParamPlan>> qwen3_plan(const Json& fields) {
  const bool bias = fields.at("attention_bias").get<bool>();
  QwenPlanOptions options;
  options.c_attn_bias = bias;
  options.o_proj_bias = bias;
  options.qk_norm = true;
  return plan_qwen_like(fields, kQwen3, options);
}

}  // namespace

const Architecture& qwen3_architecture() {
  static const Architecture arch = {
      kQwen3,
      {
          {"hidden_act", FieldKind::kString, true, nullptr},
          {"hidden_size", FieldKind::kInt, true, nullptr},
          {"intermediate_size", FieldKind::kInt, true, nullptr},
          {"attention_bias", FieldKind::kBool, true, nullptr},
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
          {"weight_block_size", FieldKind::kAny, false, nullptr},
      },
      &qwen3_post_init,
      &qwen3_plan,
  };
  return arch;
}

}  // namespace aae::model_detail
