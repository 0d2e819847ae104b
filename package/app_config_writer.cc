#include "package/app_config_writer.h"

#include <nlohmann/json.hpp>

namespace aae {

std::string app_config_json(const std::vector<AppConfigEntry>& entries) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& entry : entries) {
    nlohmann::ordered_json item;
    item["model_id"] = entry.model_id;
    item["model_lib"] = entry.model_lib;
    if (!entry.model_path.empty()) {
      item["model_path"] = entry.model_path;
    } else {
      item["model_url"] = entry.model_url;
    }
    item["estimated_vram_bytes"] = entry.estimated_vram_bytes;
    list.push_back(std::move(item));
  }
  nlohmann::ordered_json root;
  root["model_list"] = std::move(list);
  return root.dump(2) + "\n";
}

}  // namespace aae
