#include "runtime/format/app_config.h"

#include "runtime/base/file_util.h"
#include "runtime/base/json.h"

namespace aae {

namespace {

Result<AppConfigEntry> parse_entry(const json::Value& value, const std::string& path) {
  AAE_ASSIGN_OR_RETURN(json::ObjectReader reader, json::ObjectReader::make(value, path));
  AppConfigEntry entry;
  AAE_ASSIGN_OR_RETURN(entry.model_id, reader.get_string("model_id"));
  AAE_ASSIGN_OR_RETURN(entry.model_lib, reader.get_string("model_lib"));
  AAE_ASSIGN_OR_RETURN(entry.model_path, reader.get_string_or("model_path", ""));
  AAE_ASSIGN_OR_RETURN(entry.model_url, reader.get_string_or("model_url", ""));
  AAE_ASSIGN_OR_RETURN(entry.estimated_vram_bytes, reader.get_int64_or("estimated_vram_bytes", 0));
  if (entry.model_path.empty() == entry.model_url.empty()) {
    return Error(path + ": expected exactly one of \"model_path\" and \"model_url\"",
                 "model_path names bundled weights (relative to the bundle folder), model_url "
                 "where to download them; rerun `sphere_aae package` to rewrite the file");
  }
  return entry;
}

}  // namespace

Result<std::vector<AppConfigEntry>> parse_app_config(std::string_view text,
                                                     const std::string& label) {
  auto root = json::parse(text);
  if (!root.ok()) return std::move(root).error().context(label + ": not valid JSON");
  auto fail = [&](Error error) { return std::move(error.context(label)); };
  auto reader = json::ObjectReader::make(*root, "");
  if (!reader.ok()) return fail(std::move(reader).error());
  auto list = reader->get_array("model_list");
  if (!list.ok()) return fail(std::move(list).error());
  std::vector<AppConfigEntry> entries;
  const auto& items = (*list)->as_array();
  for (size_t i = 0; i < items.size(); ++i) {
    auto entry = parse_entry(items[i], "model_list[" + std::to_string(i) + "]");
    if (!entry.ok()) return fail(std::move(entry).error());
    entries.push_back(std::move(*entry));
  }
  return entries;
}

Result<std::vector<AppConfigEntry>> read_app_config(const std::string& path) {
  AAE_ASSIGN_OR_RETURN(std::string text, read_file(path));
  return parse_app_config(text, path);
}

Result<AppConfigEntry> find_app_config_entry(const std::vector<AppConfigEntry>& entries,
                                             std::string_view model_id) {
  std::string known;
  for (const auto& entry : entries) {
    if (entry.model_id == model_id) return entry;
    known += (known.empty() ? "" : ", ") + entry.model_id;
  }
  return Error("no model_id \"" + std::string(model_id) + "\" in the app config",
               known.empty() ? "the app config lists no models"
                             : "the app config lists: " + known)
      .with_code(ErrorCode::kNotFound);
}

}  // namespace aae
