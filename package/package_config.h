// sphere-aae-package-config.json: what `sphere_aae package` builds (the package spec;
// schema: docs/package-config.schema.json). The format is MLC's mlc-package-config.json
// (mlc-package-reference.md §1), checked up front and completely:
//   {"device": "iphone" | "android" | "linux" | "linux-arm64",
//    "model_list": [{"model", "model_id", "estimated_vram_bytes", "bundle_weight"?,
//                    "overrides"?, "model_lib"?}, ...],
//    "model_lib_path_for_prepare_libs"?: {"<model_lib>": "<path of a prebuilt library>"}}
// Differences from MLC: every problem is reported at once with its JSON path (MLC stops at the
// first, often with a bare KeyError); unknown keys are warnings, not silently ignored;
// model_ids must be unique and safe as directory names; relative paths (local models and
// model_lib_path_for_prepare_libs) are resolved against the config file's directory, not the
// working directory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "compiler/model_input.h"
#include "hub/hub_config.h"
#include "package/diagnostics.h"
#include "package/model_source.h"
#include "runtime/base/status.h"

namespace aae {

inline constexpr std::string_view kPackageConfigFile = "sphere-aae-package-config.json";

// The devices `package` builds for (compiler/toolchain.h names the same ones).
const std::vector<std::string>& package_devices();

struct PackageModel {
  std::string json_path;  // "$.model_list[i]", for messages about this entry later on
  std::string model;      // as written
  ModelSource source;     // classified and resolved
  std::string model_id;
  int64_t estimated_vram_bytes = 0;  // bytes, >= 0, passed through to the app config
  bool bundle_weight = false;
  // Only the overrides that apply to AAE libraries are set (context_window_size,
  // sliding_window_size, prefill_chunk_size, attention_sink_size, max_batch_size); MLC's
  // multi-GPU fields and "opt" are accepted and left unset.
  ModelLibOverrides overrides;
  std::optional<std::string> model_lib;  // as written; '-' becomes '_' in symbol names
};

struct PackageConfig {
  std::filesystem::path config_path;  // absolute
  std::filesystem::path config_dir;   // absolute; relative paths in the file resolve here
  std::string device;                 // one of package_devices()
  std::vector<PackageModel> models;   // in file order
  // model_lib -> absolute path of a prebuilt library, in file order.
  std::vector<std::pair<std::string, std::filesystem::path>> model_lib_path_for_prepare_libs;
};

struct PackageConfigOptions {
  std::string hub_endpoint = hub::kDefaultEndpoint;  // for https://<endpoint>/org/repo models
  // Also check the file system: local model directories (chat config, architecture,
  // quantization, weights when bundled) and that prebuilt libraries exist.
  bool check_files = true;
};

// Checks the text of a package config and returns it parsed. `config_path` (absolute) is where
// the text came from: it names the file in messages and anchors relative paths. Every problem
// goes to `diagnostics` (required); the result is an error exactly when one of them is an
// error, and that Error lists them all (Diagnostics::to_error).
Result<PackageConfig> parse_package_config(std::string_view text,
                                           const std::filesystem::path& config_path,
                                           Diagnostics* diagnostics,
                                           const PackageConfigOptions& options = {});

// Reads `path` (made absolute against the working directory) and parses it as above.
// A missing or unreadable file is an error (also recorded in `diagnostics`, path "").
Result<PackageConfig> load_package_config(const std::filesystem::path& path,
                                          Diagnostics* diagnostics,
                                          const PackageConfigOptions& options = {});

// Whether `model_id` can be a directory name on every platform an app runs on
// (dist/bundle/<model_id>, the app's cache): 1–128 characters of [A-Za-z0-9._-], not starting
// with '.' or '-'. On failure, the reason.
std::optional<std::string> unsafe_model_id_reason(std::string_view model_id);

}  // namespace aae
