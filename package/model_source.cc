#include "package/model_source.h"

#include <cctype>
#include <system_error>

#include <fmt/format.h>

#include "compiler/codegen.h"
#include "runtime/base/file_util.h"
#include "runtime/format/chat_config.h"
#include "runtime/format/tensor_cache.h"

namespace aae {
namespace {

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

bool is_file(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

}  // namespace

bool is_hub_model(std::string_view model) {
  return starts_with_nocase(model, "hf://") || starts_with_nocase(model, "http://") ||
         starts_with_nocase(model, "https://");
}

Result<ModelSource> classify_model_source(const std::string& model,
                                          const std::filesystem::path& config_dir,
                                          const std::string& hub_endpoint) {
  if (model.empty()) {
    return Error("the model is an empty string",
                 "give HF://org/repo or the path of a converted model directory");
  }
  ModelSource source;
  if (is_hub_model(model)) {
    auto ref = hub::parse_model_url(model, hub_endpoint);
    if (!ref.ok()) return std::move(ref).error();
    source.kind = ModelSource::Kind::kHub;
    source.hub_ref = std::move(ref).value();
    return source;
  }
  source.kind = ModelSource::Kind::kLocal;
  const std::filesystem::path path(model);
  source.local_dir = (path.is_absolute() ? path : config_dir / path).lexically_normal();
  // "dir/" normalises to "dir/" with an empty filename; drop it so the path names the directory.
  if (source.local_dir.filename().empty() && source.local_dir.has_parent_path() &&
      source.local_dir != source.local_dir.root_path()) {
    source.local_dir = source.local_dir.parent_path();
  }
  return source;
}

Status check_chat_config_runnable(std::string_view chat_config_text, const std::string& label,
                                  const ModelLibOverrides& overrides) {
  AAE_ASSIGN_OR_RETURN(ChatConfig chat, parse_chat_config(chat_config_text, label));
  if (Status supported = check_model_lib_support(chat.model_type, chat.quantization);
      !supported.ok()) {
    Error error = supported.error();
    return Error(fmt::format("{}: {}; AAE cannot run this model", label, error.message()),
                 error.hint());
  }
  const int64_t context_window = overrides.context_window_size.value_or(chat.context_window_size);
  if (context_window <= 0) {
    return Error(fmt::format("{}: context_window_size is {}; an AAE model library needs a fixed "
                             "context window",
                             label, context_window),
                 "set \"overrides\": {\"context_window_size\": N} in this model_list entry");
  }
  return ok_status();
}

void check_local_model_dir(const std::filesystem::path& dir, bool bundle_weight,
                           const ModelLibOverrides& overrides, const std::string& json_path,
                           Diagnostics* diagnostics) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    const bool exists = std::filesystem::exists(dir, ec);
    diagnostics->error(
        json_path,
        fmt::format("local model directory \"{}\" {}", dir.string(),
                    exists ? "is not a directory" : "does not exist"),
        "local paths are relative to the directory of the package config; convert a model "
        "with `sphere_aae convert_weight` and `sphere_aae gen_config`, or use HF://org/repo");
    return;
  }
  std::filesystem::path chat_path = dir / std::string(kAaeChatConfigFile);
  if (!is_file(chat_path)) chat_path = dir / std::string(kMlcChatConfigFile);
  if (!is_file(chat_path)) {
    diagnostics->error(json_path,
                       fmt::format("\"{}\" has no {} or {}", dir.string(), kAaeChatConfigFile,
                                   kMlcChatConfigFile),
                       "the directory must hold a converted model; run `sphere_aae gen_config`");
  } else if (auto text = read_file(chat_path.string()); !text.ok()) {
    diagnostics->error(json_path, text.error().to_string());
  } else if (Status runnable = check_chat_config_runnable(*text, chat_path.string(), overrides);
             !runnable.ok()) {
    diagnostics->error(json_path, runnable.error().to_string(), runnable.error().hint());
  }
  if (bundle_weight && !is_file(dir / std::string(kTensorCacheFile)) &&
      !is_file(dir / std::string(kLegacyTensorCacheFile))) {
    diagnostics->error(json_path,
                       fmt::format("bundle_weight is set but \"{}\" holds no {} (no weights to "
                                   "bundle)",
                                   dir.string(), kTensorCacheFile),
                       "convert the weights into this directory with `sphere_aae convert_weight`");
  }
}

}  // namespace aae
