// dist/bundle/sphere-aae-app-config.json: the contract between `package` and the app. Same
// schema and key order as MLC's mlc-app-config.json (mlc-package-reference.md §1.4), so apps
// and scripts written for MLC read it unchanged:
//   {"model_list": [{"model_id", "model_lib", "model_path" | "model_url",
//                    "estimated_vram_bytes"}, ...]}
// The runtime reads it (an app finds its models here); `package` writes it
// (package/app_config_writer.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/available_memory.h"
#include "runtime/base/status.h"

namespace aae {

inline constexpr std::string_view kAppConfigFile = "sphere-aae-app-config.json";

struct AppConfigEntry {
  std::string model_id;
  std::string model_lib;
  // Exactly one is non-empty: model_path (relative to dist/bundle, for bundled weights) or
  // model_url (where the app downloads them, https://huggingface.co/<org>/<repo>[/tree/<rev>]).
  std::string model_path;
  std::string model_url;
  int64_t estimated_vram_bytes = 0;
};

// Parses the text (ours or MLC's mlc-app-config.json). Errors name `label` and the JSON path.
Result<std::vector<AppConfigEntry>> parse_app_config(std::string_view text,
                                                     const std::string& label);

// Reads and parses a file.
Result<std::vector<AppConfigEntry>> read_app_config(const std::string& path);

// The entry for `model_id`; the error lists the model_ids there are.
Result<AppConfigEntry> find_app_config_entry(const std::vector<AppConfigEntry>& entries,
                                             std::string_view model_id);

// Where an app finds the weights of `entry` (aae_app_config_load):
//   model_path: <app_config_dir>/<model_path>, the weights bundled with the app;
//   model_url:  <downloads_dir>/<model_id>, where the app put them after downloading
//               model_url (kInvalidArgument when downloads_dir is empty).
// kNotFound, naming the expected folder, when it holds no chat config
// (sphere-aae-chat-config.json or mlc-chat-config.json).
Result<std::string> resolve_app_model_dir(const AppConfigEntry& entry,
                                          const std::string& app_config_dir,
                                          const std::string& downloads_dir);

// Fails when `available` is below the entry's estimated_vram_bytes; the message names the
// model_id and both sizes in human units. An estimate of 0 (unknown) always fits.
Status check_app_model_fits(const AppConfigEntry& entry, const AvailableMemory& available);

}  // namespace aae
