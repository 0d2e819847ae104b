// Helpers shared by the architecture files (see architecture.h).
#include "convert/model/architecture.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace aae::model_detail {

Error config_error(std::string_view model_type, std::string_view field, std::string_view problem,
                   std::string hint) {
  std::string message =
      field.empty() ? fmt::format("config.json ({}): {}", model_type, problem)
                    : fmt::format("config.json ({}): \"{}\" {}", model_type, field, problem);
  return Error(std::move(message), std::move(hint));
}

Result<int64_t> int_field(const nlohmann::ordered_json& fields, std::string_view name,
                          std::string_view model_type) {
  auto it = fields.find(std::string(name));
  if (it == fields.end() || !it->is_number_integer()) {
    return config_error(model_type, name,
                        fmt::format("must be an integer, found {}",
                                    it == fields.end() ? "nothing" : it->dump()));
  }
  return it->get<int64_t>();
}

Status take_context_window(ArchConfig& config, std::string_view model_type) {
  AAE_ASSIGN_OR_RETURN(int64_t context, int_field(config.fields, "context_window_size", model_type));
  if (context != 0) return ok_status();
  for (const char* name : {"max_position_embeddings", "max_sequence_length"}) {
    auto it = config.kwargs.find(name);
    if (it == config.kwargs.end()) continue;
    if (!it->is_number_integer()) {
      return config_error(model_type, name, fmt::format("must be an integer, found {}", it->dump()));
    }
    config.fields["context_window_size"] = it->get<int64_t>();
    config.kwargs.erase(it);
    return ok_status();
  }
  return config_error(model_type, "",
                      "cannot determine the context window: none of \"context_window_size\", "
                      "\"max_position_embeddings\" or \"max_sequence_length\" is set",
                      "add \"max_position_embeddings\" to config.json or pass "
                      "--context-window-size");
}

Status default_prefill_chunk(ArchConfig& config, std::string_view model_type, int64_t cap) {
  AAE_ASSIGN_OR_RETURN(int64_t context, int_field(config.fields, "context_window_size", model_type));
  AAE_ASSIGN_OR_RETURN(int64_t prefill, int_field(config.fields, "prefill_chunk_size", model_type));
  if (prefill == 0 || prefill > context) config.fields["prefill_chunk_size"] = std::min(context, cap);
  return ok_status();
}

Status check_activation(const nlohmann::ordered_json& fields, std::string_view model_type) {
  static constexpr std::array<std::string_view, 5> kActivations = {"gelu", "relu", "silu", "swish",
                                                                    "gelu_new"};
  const std::string act = fields.at("hidden_act").get<std::string>();
  if (std::find(kActivations.begin(), kActivations.end(), act) != kActivations.end()) {
    return ok_status();
  }
  return config_error(model_type, "hidden_act", fmt::format("\"{}\" is not supported", act),
                      "supported activations: silu, swish, gelu, gelu_new, relu");
}

Status check_positive(const nlohmann::ordered_json& fields, std::string_view model_type,
                      std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    AAE_ASSIGN_OR_RETURN(int64_t value, int_field(fields, name, model_type));
    if (value <= 0) {
      return config_error(model_type, name, fmt::format("must be positive, found {}", value));
    }
  }
  return ok_status();
}

Result<DecoderShape> read_decoder_shape(const nlohmann::ordered_json& fields,
                                        std::string_view model_type) {
  AAE_TRY(check_positive(fields, model_type,
                         {"hidden_size", "intermediate_size", "num_hidden_layers",
                          "num_attention_heads", "num_key_value_heads", "head_dim", "vocab_size",
                          "tensor_parallel_shards"}));
  DecoderShape shape;
  shape.hidden = fields.at("hidden_size").get<int64_t>();
  shape.intermediate = fields.at("intermediate_size").get<int64_t>();
  shape.layers = fields.at("num_hidden_layers").get<int64_t>();
  shape.heads = fields.at("num_attention_heads").get<int64_t>();
  shape.kv_heads = fields.at("num_key_value_heads").get<int64_t>();
  shape.head_dim = fields.at("head_dim").get<int64_t>();
  shape.vocab = fields.at("vocab_size").get<int64_t>();
  const int64_t shards = fields.at("tensor_parallel_shards").get<int64_t>();
  if (shape.heads % shape.kv_heads != 0) {
    return config_error(model_type, "num_attention_heads",
                        fmt::format("({}) must be a multiple of num_key_value_heads ({})",
                                    shape.heads, shape.kv_heads));
  }
  if (shape.kv_heads % shards != 0) {
    return config_error(model_type, "num_key_value_heads",
                        fmt::format("({}) cannot be split evenly over {} tensor-parallel shards",
                                    shape.kv_heads, shards),
                        "choose a --tensor-parallel-shards that divides the KV head count");
  }
  if (shape.intermediate % shards != 0) {
    return config_error(model_type, "intermediate_size",
                        fmt::format("({}) cannot be split evenly over {} tensor-parallel shards",
                                    shape.intermediate, shards));
  }
  return shape;
}

std::string layer_name(int64_t layer, std::string_view suffix) {
  return fmt::format("model.layers.{}.{}", layer, suffix);
}

}  // namespace aae::model_detail
