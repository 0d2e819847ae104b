#include "compiler/model_lib_name.h"

#include <algorithm>

#include <fmt/format.h>

#include "compiler/canonical_json.h"
#include "runtime/base/md5.h"

namespace aae {
namespace {

// repr(OptimizationFlags.from_str("O2")) in MLC LLM.
constexpr const char* kMlcO2Flags =
    "flashinfer=1;cublas_gemm=1;faster_transformer=0;cudagraph=1;cutlass=1;"
    "ipc_allreduce_strategy=NONE";

std::string dashes_to_underscores(std::string s) {
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

bool is_c_identifier(std::string_view s) {
  if (s.empty()) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(s[0])) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

}  // namespace

nlohmann::json model_lib_hash_key(const ModelInput& input, std::string_view device) {
  nlohmann::json key = nlohmann::json::object();
  key["device"] = std::string(device);
  key["model_config"] = nlohmann::json(input.definition.model_config);
  key["model_type"] = input.model_type;
  key["opt"] = kMlcO2Flags;
  key["overrides"] = overrides_hash_string(input.overrides);
  key["quantization"] = input.quantization_name;
  return key;
}

Result<std::string> model_lib_name(const ModelInput& input, std::string_view device) {
  if (device.empty()) {
    return Error("model library name: the device is empty",
                 "pass a device: iphone, android, linux or linux-arm64");
  }
  const std::string canonical = python_json_dumps(model_lib_hash_key(input, device));
  Md5 md5;
  md5.update(canonical.data(), canonical.size());
  std::string name = dashes_to_underscores(
      fmt::format("{}_{}_{}", input.model_type, input.quantization_name, md5.hex_digest()));
  if (!is_c_identifier(name)) {
    return Error(fmt::format("model library name \"{}\" is not a C identifier", name),
                 "the model_type or quantization in the chat config has characters other than "
                 "letters, digits, '_' and '-'; pass --system-lib-prefix NAME");
  }
  return name;
}

Result<std::string> model_lib_name_from_prefix(std::string_view prefix) {
  std::string name(prefix);
  if (!name.empty() && name.back() == '_') name.pop_back();
  name = dashes_to_underscores(std::move(name));
  if (!is_c_identifier(name)) {
    return Error(fmt::format("--system-lib-prefix \"{}\" does not give a C identifier (got "
                             "\"{}\")", prefix, name),
                 "use letters, digits, '_' and '-' only, not starting with a digit, e.g. "
                 "llama_q4f16_1_mychat");
  }
  return name;
}

Result<std::string> resolve_model_lib_name(const ModelInput& input, std::string_view device,
                                           std::string_view system_lib_prefix) {
  if (!system_lib_prefix.empty()) return model_lib_name_from_prefix(system_lib_prefix);
  return model_lib_name(input, device);
}

}  // namespace aae
