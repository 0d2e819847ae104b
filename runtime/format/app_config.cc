#include "runtime/format/app_config.h"

#include <filesystem>
#include <system_error>

#include "runtime/base/file_util.h"
#include "runtime/base/human_units.h"
#include "runtime/base/json.h"
#include "runtime/format/chat_config.h"

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

namespace {

bool has_chat_config(const std::filesystem::path& dir) {
  std::error_code ec;
  return std::filesystem::is_regular_file(dir / kAaeChatConfigFile, ec) ||
         std::filesystem::is_regular_file(dir / kMlcChatConfigFile, ec);
}

}  // namespace

Result<std::string> resolve_app_model_dir(const AppConfigEntry& entry,
                                          const std::string& app_config_dir,
                                          const std::string& downloads_dir) {
  const std::string quoted_id = "\"" + entry.model_id + "\"";
  std::filesystem::path dir;
  if (!entry.model_path.empty()) {
    dir = (std::filesystem::path(app_config_dir) / entry.model_path).lexically_normal();
    if (dir.empty()) dir = ".";
    if (!has_chat_config(dir)) {
      return Error("model " + quoted_id + ": no bundled weights in " + dir.string() +
                       " (no " + std::string(kMlcChatConfigFile) + " there)",
                   "model_path is relative to the app config's folder; rerun `sphere_aae "
                   "package` and copy the whole bundle folder into the app")
          .with_code(ErrorCode::kNotFound);
    }
    return dir.string();
  }
  if (downloads_dir.empty()) {
    return Error("model " + quoted_id + " is not bundled (its weights come from " +
                     entry.model_url + ") and no downloads folder was given",
                 "download the weights into <downloads_dir>/" + entry.model_id +
                     "/ and pass downloads_dir")
        .with_code(ErrorCode::kInvalidArgument);
  }
  dir = (std::filesystem::path(downloads_dir) / entry.model_id).lexically_normal();
  if (!has_chat_config(dir)) {
    return Error("model " + quoted_id + ": downloaded weights not found; expected them in " +
                     dir.string() + " (no " + std::string(kMlcChatConfigFile) + " there)",
                 "download " + entry.model_url + " into that folder first")
        .with_code(ErrorCode::kNotFound);
  }
  return dir.string();
}

Status check_app_model_fits(const AppConfigEntry& entry, const AvailableMemory& available) {
  if (entry.estimated_vram_bytes <= 0) return ok_status();
  const uint64_t needed = static_cast<uint64_t>(entry.estimated_vram_bytes);
  if (available.bytes >= needed) return ok_status();
  return Error("not enough memory to load model \"" + entry.model_id + "\": it needs about " +
                   human_bytes(static_cast<double>(needed)) + " (estimated_vram_bytes " +
                   std::to_string(needed) + ") but only " +
                   human_bytes(static_cast<double>(available.bytes)) + " is available (" +
                   available.source + ")",
               "close other apps or choose a smaller model (a lower-bit quantization)");
}

}  // namespace aae
