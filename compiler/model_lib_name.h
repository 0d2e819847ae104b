// The name of a model library: the prefix of its exported symbols
// (<model_lib>___aae_model_lib, <model_lib>___aae_model_metadata) and the "model_lib" an app
// config refers to. MLC LLM's scheme (mlc-package-reference.md §3): {model_type}_{quantization}_
// {md5} with '-' turned into '_', md5 over json.dumps(hash_key, sort_keys=True, indent=2).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "compiler/model_input.h"
#include "runtime/base/status.h"

namespace aae {

// MLC's hash_key, which we reproduce key for key so that a name for "iphone"/"android" can
// equal MLC's for the same config: {device, model_config (after overrides, architecture fields
// only), model_type, opt (MLC's default "O2" flags string; AAE has no such flags, but keeping
// the constant keeps the hash MLC-identical), overrides (overrides_hash_string), quantization}.
// Tool and compiler versions are deliberately absent: they belong to the JIT cache key, so
// app configs that name a library survive upgrades.
nlohmann::json model_lib_hash_key(const ModelInput& input, std::string_view device);

// {model_type}_{quantization}_{md5 of the hash key}, '-' -> '_'. `device` is the device name
// ("iphone", "android", "linux", "linux-arm64"); an empty device is an error.
Result<std::string> model_lib_name(const ModelInput& input, std::string_view device);

// A user-given --system-lib-prefix: one trailing '_' dropped (MLC appends it), '-' -> '_',
// refused unless the result is a C identifier ([A-Za-z_][A-Za-z0-9_]*), with a hint.
Result<std::string> model_lib_name_from_prefix(std::string_view prefix);

// The prefix when given (non-empty), else the generated name.
Result<std::string> resolve_model_lib_name(const ModelInput& input, std::string_view device,
                                           std::string_view system_lib_prefix);

}  // namespace aae
