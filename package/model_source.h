// Where a package-config model comes from, and whether AAE can run it — decided before any
// weights are downloaded or any library is built.
//
// `model` is either a hub reference (HF://org/repo[@rev], https://huggingface.co/org/repo[/tree/
// rev], or a URL on $HF_ENDPOINT) or a local model directory. Unlike MLC, which resolves local
// paths against the working directory, AAE resolves them against the directory holding the
// package config, so the file means the same thing wherever `package` runs from.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "compiler/model_input.h"
#include "hub/hub_config.h"
#include "package/diagnostics.h"
#include "runtime/base/status.h"

namespace aae {

struct ModelSource {
  enum class Kind { kHub, kLocal };
  Kind kind = Kind::kHub;
  hub::ModelRef hub_ref;            // kHub only
  std::filesystem::path local_dir;  // kLocal only: absolute, lexically normalised

  bool is_local() const { return kind == Kind::kLocal; }
};

// Whether `model` names the hub rather than a path: it starts with "HF://", "http://" or
// "https://" (any case). MLC's own test, plus http(s) URLs that MLC mistakes for paths.
bool is_hub_model(std::string_view model);

// Classifies and resolves `model`. A hub reference is parsed with hub::parse_model_url against
// `hub_endpoint`; a local path is made absolute against `config_dir` (itself absolute). Only
// the text is examined: nothing is read from disk. Errors: empty text, a URL that is not a
// model repository URL.
Result<ModelSource> classify_model_source(const std::string& model,
                                          const std::filesystem::path& config_dir,
                                          const std::string& hub_endpoint);

// Whether a model described by this chat config (sphere-aae-chat-config.json or
// mlc-chat-config.json text) can be built into a model library and run by AAE: its model_type
// and quantization are supported (compiler/codegen.h check_model_lib_support), and after the
// overrides it has a fixed context window. `label` names the file in errors. Used on a local
// model's chat config, and on a hub model's chat config once it is fetched, before its weights.
Status check_chat_config_runnable(std::string_view chat_config_text, const std::string& label,
                                  const ModelLibOverrides& overrides);

// The on-disk checks of a local model directory, each problem reported at `json_path` (the
// entry's "model" key): the directory exists, holds a chat config that passes
// check_chat_config_runnable, and — when `bundle_weight` — a tensor cache (tensor-cache.json
// or the older ndarray-cache.json) to copy into the app.
void check_local_model_dir(const std::filesystem::path& dir, bool bundle_weight,
                           const ModelLibOverrides& overrides, const std::string& json_path,
                           Diagnostics* diagnostics);

}  // namespace aae
