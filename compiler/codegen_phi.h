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

// int(head_dim * partial_rotary_factor) (MLC's PhiConfig.from_phi1), which PhiFamily needs even
// and in (0, head_dim]. `label` names the chat config in errors.
Result<int64_t> phi_rotary_dim(const nlohmann::ordered_json& model_config, int64_t head_dim,
                               const std::string& label);

}  // namespace aae::codegen_detail
