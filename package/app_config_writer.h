// Writes dist/bundle/sphere-aae-app-config.json (format: runtime/format/app_config.h).
#pragma once

#include <string>
#include <vector>

#include "runtime/format/app_config.h"

namespace aae {

// The file's text: two-space indentation, keys in MLC's order (model_id, model_lib,
// model_path | model_url, estimated_vram_bytes), trailing newline — what MLC writes.
std::string app_config_json(const std::vector<AppConfigEntry>& entries);

}  // namespace aae
