// The phi (Phi-2) parts of code generation (modellib/arch/phi.h, PhiFamily): the metadata order
// of its parameters and the rotary width. Internal to compiler/codegen.cc.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "runtime/base/status.h"

namespace aae::codegen_detail {

// Sort key of an MLC phi parameter in PhiFamily's metadata order: transformer.embd; per layer
// ln weight/bias, mixer.Wqkv weight/bias, mixer.out_proj weight/bias, mlp.fc1 weight/bias,
// mlp.fc2 weight/bias; lm_head.ln weight/bias, lm_head.linear weight/bias.
Result<std::pair<int64_t, int64_t>> phi_param_rank(const std::string& name);

// int(head_dim * <factor_field>) (MLC's PhiConfig.from_phi1; gpt_neox passes "rotary_pct"),
// which PhiFamily needs even and in (0, head_dim]. `label` names the chat config in errors.
Result<int64_t> phi_rotary_dim(const nlohmann::ordered_json& model_config, int64_t head_dim,
                               const std::string& label,
                               const std::string& factor_field = "partial_rotary_factor");

// Sort key of an MLC gpt_neox parameter in NeoxFamily's metadata order
// (modellib/arch/gpt_neox.h): gpt_neox.embed_in; per layer input_layernorm weight/bias,
// post_attention_layernorm weight/bias, attention.query_key_value weight/bias, attention.dense
// weight/bias, mlp.dense_h_to_4h weight/bias, mlp.dense_4h_to_h weight/bias;
// gpt_neox.final_layer_norm weight/bias, embed_out.
Result<std::pair<int64_t, int64_t>> neox_param_rank(const std::string& name);

}  // namespace aae::codegen_detail
