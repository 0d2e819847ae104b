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

}  // namespace aae
