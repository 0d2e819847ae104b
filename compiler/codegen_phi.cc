#include "compiler/codegen_phi.h"

#include <iterator>
#include <optional>
#include <vector>
#include <string_view>

#include <fmt/format.h>

namespace aae::codegen_detail {

Result<std::pair<int64_t, int64_t>> phi_param_rank(const std::string& name) {
  using Rank = std::pair<int64_t, int64_t>;
  if (name == "transformer.embd.weight") return Rank{-1, 0};
  static const char* const kHead[] = {"lm_head.ln.weight", "lm_head.ln.bias",
                                      "lm_head.linear.weight", "lm_head.linear.bias"};
  for (int64_t s = 0; s < static_cast<int64_t>(std::size(kHead)); ++s)
    if (name == kHead[s]) return Rank{1LL << 40, s};
  static const char* const kLayer[] = {
      "ln.weight",           "ln.bias",          "mixer.Wqkv.weight", "mixer.Wqkv.bias",
      "mixer.out_proj.weight", "mixer.out_proj.bias", "mlp.fc1.weight", "mlp.fc1.bias",
      "mlp.fc2.weight",      "mlp.fc2.bias"};
  const std::string_view prefix = "transformer.h.";
  if (name.rfind(prefix, 0) == 0) {
    const size_t dot = name.find('.', prefix.size());
    const std::string layer = name.substr(prefix.size(), dot - prefix.size());
    if (dot != std::string::npos && !layer.empty() &&
        layer.find_first_not_of("0123456789") == std::string::npos) {
      for (int64_t s = 0; s < static_cast<int64_t>(std::size(kLayer)); ++s)
        if (name.compare(dot + 1, std::string::npos, kLayer[s]) == 0)
          return Rank{std::stoll(layer), s};
    }
  }
  return Error(fmt::format("parameter \"{}\" has no place in the phi template", name),
               "the phi parameter plan (convert/model/phi.cc) and modellib/arch/phi.h disagree");
}

// (layer, slot) of `name` when it is "<prefix><layer>.<layer[slot]>", else nullopt.
namespace {

std::optional<std::pair<int64_t, int64_t>> layered_rank(const std::string& name,
                                                        std::string_view prefix,
                                                        const std::vector<std::string_view>& layer) {
  if (name.rfind(prefix, 0) != 0) return std::nullopt;
  const size_t dot = name.find('.', prefix.size());
  if (dot == std::string::npos) return std::nullopt;
  const std::string index = name.substr(prefix.size(), dot - prefix.size());
  if (index.empty() || index.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  for (size_t s = 0; s < layer.size(); ++s)
    if (name.compare(dot + 1, std::string::npos, layer[s]) == 0)
      return std::pair<int64_t, int64_t>{std::stoll(index), static_cast<int64_t>(s)};
  return std::nullopt;
}

}  // namespace

Result<std::pair<int64_t, int64_t>> neox_param_rank(const std::string& name) {
  using Rank = std::pair<int64_t, int64_t>;
  if (name == "gpt_neox.embed_in.weight") return Rank{-1, 0};
  static const char* const kHead[] = {"gpt_neox.final_layer_norm.weight",
                                      "gpt_neox.final_layer_norm.bias", "embed_out.weight"};
  for (int64_t s = 0; s < static_cast<int64_t>(std::size(kHead)); ++s)
    if (name == kHead[s]) return Rank{1LL << 40, s};
  static const std::vector<std::string_view> kLayer = {
      "input_layernorm.weight",          "input_layernorm.bias",
      "post_attention_layernorm.weight", "post_attention_layernorm.bias",
      "attention.query_key_value.weight", "attention.query_key_value.bias",
      "attention.dense.weight",          "attention.dense.bias",
      "mlp.dense_h_to_4h.weight",        "mlp.dense_h_to_4h.bias",
      "mlp.dense_4h_to_h.weight",        "mlp.dense_4h_to_h.bias"};
  if (auto rank = layered_rank(name, "gpt_neox.layers.", kLayer)) return *rank;
  return Error(fmt::format("parameter \"{}\" has no place in the gpt_neox template", name),
               "the gpt_neox parameter plan (convert/model/gpt_neox.cc) and "
               "modellib/arch/gpt_neox.h disagree");
}

Result<int64_t> phi_rotary_dim(const nlohmann::ordered_json& model_config, int64_t head_dim,
                               const std::string& label, const std::string& factor_field) {
  auto it = model_config.find(factor_field);
  if (it == model_config.end() || !it->is_number()) {
    return Error(fmt::format("{}: model_config.{} is missing or not a number", label,
                             factor_field));
  }
  const auto rotary = static_cast<int64_t>(static_cast<double>(head_dim) * it->get<double>());
  if (rotary <= 0 || rotary > head_dim || rotary % 2 != 0) {
    return Error(fmt::format("{}: head_dim {} x {} {} gives a rotary width of {}; the model "
                             "library needs an even width in (0, head_dim]",
                             label, head_dim, factor_field, it->get<double>(), rotary));
  }
  return rotary;
}

}  // namespace aae::codegen_detail
