#include "package/package_config.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <map>
#include <system_error>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "compiler/model_lib_name.h"
#include "package/config_values.h"
#include "runtime/base/did_you_mean.h"
#include "runtime/base/file_util.h"

namespace aae {
namespace {

using Json = nlohmann::ordered_json;

const std::vector<std::string>& top_level_keys() {
  static const std::vector<std::string> keys = {"device", "model_list",
                                                "model_lib_path_for_prepare_libs"};
  return keys;
}

const std::vector<std::string>& entry_keys() {
  static const std::vector<std::string> keys = {"model",         "model_id",  "estimated_vram_bytes",
                                                "bundle_weight", "overrides", "model_lib"};
  return keys;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Collects what one model_list entry needs from the others: duplicate model_ids and model_libs.
struct SeenModel {
  std::string json_path;
  std::string model_id;
  std::string model;
  std::string overrides_text;  // the "overrides" object as written (compact), for comparison
};

class ConfigChecker {
 public:
  ConfigChecker(const std::filesystem::path& config_path, const PackageConfigOptions& options,
                Diagnostics* diagnostics)
      : options_(options), diags_(*diagnostics) {
    config_.config_path = config_path;
    config_.config_dir = config_path.parent_path();
  }

  PackageConfig check(const Json& root) {
    if (!root.is_object()) {
      diags_.error("$", "expected a JSON object with \"device\" and \"model_list\", found " +
                            describe_json(root));
      return std::move(config_);
    }
    warn_unknown_keys(root, top_level_keys(), "$", "the package config", {"$schema"});
    check_device(root);
    check_model_list(root);
    check_prebuilt_libs(root);
    return std::move(config_);
  }

 private:
  void check_device(const Json& root) {
    auto it = root.find("device");
    if (it == root.end()) {
      diags_.error("$", "required key \"device\" is missing",
                   fmt::format("add \"device\": one of {}", fmt::join(package_devices(), ", ")));
      return;
    }
    if (!it->is_string()) {
      diags_.error("$.device", "expected a string, found " + describe_json(*it));
      return;
    }
    const std::string device = it->get<std::string>();
    const auto& devices = package_devices();
    if (std::find(devices.begin(), devices.end(), device) != devices.end()) {
      config_.device = device;
    } else if (device == "macabi") {
      diags_.error("$.device", "device \"macabi\" (Mac Catalyst) is not supported yet",
                   fmt::format("use one of {}", fmt::join(devices, ", ")));
    } else {
      const std::string guess = did_you_mean(lowercase(device), devices);
      diags_.error("$.device", fmt::format("unknown device \"{}\"", device),
                   guess.empty() ? fmt::format("use one of {}", fmt::join(devices, ", "))
                                 : fmt::format("did you mean \"{}\"?", guess));
    }
  }

  void check_model_list(const Json& root) {
    auto it = root.find("model_list");
    if (it == root.end()) {
      diags_.error("$", "required key \"model_list\" is missing",
                   "add \"model_list\": [{\"model\": ..., \"model_id\": ..., "
                   "\"estimated_vram_bytes\": ...}]");
      return;
    }
    if (!it->is_array()) {
      diags_.error("$.model_list", "expected an array of model entries, found " +
                                       describe_json(*it));
      return;
    }
    if (it->empty()) diags_.warning("$.model_list", "the model list is empty: nothing to package");
    for (size_t i = 0; i < it->size(); ++i) check_entry((*it)[i], json_path_index("$.model_list", i));
  }

  void check_entry(const Json& entry, const std::string& path) {
    if (!entry.is_object()) {
      diags_.error(path, "expected an object with \"model\", \"model_id\" and "
                         "\"estimated_vram_bytes\", found " + describe_json(entry));
      return;
    }
    warn_unknown_keys(entry, entry_keys(), path, "a model_list entry", {});
    PackageModel model;
    model.json_path = path;
    const std::string* model_text = required_string(entry, "model", path);
    const std::string* model_id = required_string(entry, "model_id", path);
    bool ok = model_text != nullptr && model_id != nullptr;
    if (model_text != nullptr) {
      model.model = *model_text;
      auto source = classify_model_source(model.model, config_.config_dir, options_.hub_endpoint);
      if (source.ok()) {
        model.source = std::move(source).value();
      } else {
        diags_.error(json_path_key(path, "model"), source.error().to_string(),
                     source.error().hint());
        ok = false;
      }
    }
    if (model_id != nullptr) {
      model.model_id = *model_id;
      ok &= check_model_id(model.model_id, json_path_key(path, "model_id"));
    }
    ok &= check_vram(entry, path, &model.estimated_vram_bytes);
    if (auto it = entry.find("bundle_weight"); it != entry.end()) {
      if (it->is_boolean()) {
        model.bundle_weight = it->get<bool>();
      } else {
        diags_.error(json_path_key(path, "bundle_weight"),
                     "expected true or false, found " + describe_json(*it));
        ok = false;
      }
    }
    std::string overrides_text;
    if (auto it = entry.find("overrides"); it != entry.end()) {
      ok &= check_overrides(*it, json_path_key(path, "overrides"), &model.overrides, &diags_);
      overrides_text = it->dump();
    }
    if (auto it = entry.find("model_lib"); it != entry.end()) {
      ok &= check_model_lib(*it, json_path_key(path, "model_lib"), &model.model_lib);
    }
    if (model_text != nullptr && model.source.is_local() && !model.bundle_weight) {
      diags_.error(path,
                   fmt::format("model \"{}\" is a local path, so it needs \"bundle_weight\": true",
                               model.model),
                   "an app cannot download weights from this computer; bundle them, or upload "
                   "the model and use HF://org/repo");
      ok = false;
    }
    if (ok && options_.check_files && model.source.is_local()) {
      const size_t before = diags_.count(Severity::kError);
      check_local_model_dir(model.source.local_dir, model.bundle_weight, model.overrides,
                            json_path_key(path, "model"), &diags_);
      ok = diags_.count(Severity::kError) == before;
    }
    if (model.model_lib) check_shared_model_lib(*model.model_lib, model, overrides_text);
    if (ok) config_.models.push_back(std::move(model));
  }

  bool check_model_id(const std::string& model_id, const std::string& path) {
    if (auto reason = unsafe_model_id_reason(model_id)) {
      diags_.error(path, fmt::format("model_id \"{}\" cannot be a directory name: {}", model_id,
                                     *reason),
                   "use letters, digits, '.', '-' and '_', e.g. \"Qwen3-0.6B-q4f16_1\"");
      return false;
    }
    const std::string key = lowercase(model_id);
    auto [it, inserted] = model_ids_.emplace(key, SeenModel{path, model_id, "", ""});
    if (inserted) return true;
    if (it->second.model_id == model_id) {
      diags_.error(path, fmt::format("model_id \"{}\" is already used by {}", model_id,
                                     it->second.json_path),
                   "every model needs its own model_id: it names its directory in the app");
    } else {
      diags_.error(path,
                   fmt::format("model_id \"{}\" differs from \"{}\" ({}) only in letter case",
                               model_id, it->second.model_id, it->second.json_path),
                   "iOS and macOS file systems ignore case, so both would share one directory");
    }
    return false;
  }

  bool check_vram(const Json& entry, const std::string& path, int64_t* bytes) {
    auto it = entry.find("estimated_vram_bytes");
    if (it == entry.end()) {
      diags_.error(path, "required key \"estimated_vram_bytes\" is missing",
                   "give the memory the model needs at run time in bytes, e.g. 3000000000; an "
                   "iPhone app refuses to load a model when less memory is available");
      return false;
    }
    const std::string key_path = json_path_key(path, "estimated_vram_bytes");
    if (it->is_number_unsigned() &&
        it->get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      *bytes = static_cast<int64_t>(it->get<uint64_t>());
      return true;
    }
    if (it->is_number_integer() && !it->is_number_unsigned()) {
      diags_.error(key_path, fmt::format("expected a byte count >= 0, found {}", it->dump()));
      return false;
    }
    diags_.error(key_path, "expected an integer number of bytes, found " + describe_json(*it),
                 "write a plain integer such as 3000000000 (no quotes, no exponent)");
    return false;
  }

  bool check_model_lib(const Json& value, const std::string& path,
                       std::optional<std::string>* model_lib) {
    if (!value.is_string()) {
      diags_.error(path, "expected a string, found " + describe_json(value));
      return false;
    }
    if (!check_model_lib_name(value.get<std::string>(), path)) return false;
    *model_lib = value.get<std::string>();
    return true;
  }

  // A model_lib becomes a symbol prefix: '-' turns into '_' and the result must be a C name.
  bool check_model_lib_name(const std::string& model_lib, const std::string& path) {
    if (model_lib_name_from_prefix(model_lib).ok()) return true;
    diags_.error(path, fmt::format("model_lib \"{}\" is not a C identifier once '-' becomes '_'",
                                   model_lib),
                 "use letters, digits, '_' and '-', not starting with a digit, e.g. "
                 "\"llama_q4f16_1\"");
    return false;
  }

  // Two entries may share a model_lib only when they build the same library; otherwise the app
  // would link two definitions of one symbol prefix (MLC issue #1810).
  void check_shared_model_lib(const std::string& model_lib, const PackageModel& model,
                              const std::string& overrides_text) {
    SeenModel seen{model.json_path, model.model_id, model.model, overrides_text};
    auto [it, inserted] = model_libs_.emplace(model_lib, seen);
    if (inserted) return;
    shared_model_libs_.push_back({model_lib, it->second, seen});
  }

  void check_prebuilt_libs(const Json& root) {
    std::map<std::string, bool> prebuilt;  // model_lib -> listed
    auto it = root.find("model_lib_path_for_prepare_libs");
    const std::string base = "$.model_lib_path_for_prepare_libs";
    if (it != root.end() && !it->is_object()) {
      diags_.error(base, "expected an object mapping model_lib to a library path, found " +
                             describe_json(*it));
    } else if (it != root.end()) {
      for (const auto& [lib, value] : it->items()) {
        const std::string path = json_path_key(base, lib);
        if (!value.is_string()) {
          diags_.error(path, "expected the path of a prebuilt model library, found " +
                                 describe_json(value));
          continue;
        }
        if (!check_model_lib_name(lib, path)) continue;
        const std::filesystem::path file =
            (config_.config_dir / value.get<std::string>()).lexically_normal();
        std::error_code ec;
        if (options_.check_files && !std::filesystem::is_regular_file(file, ec)) {
          diags_.error(path, fmt::format("prebuilt model library \"{}\" does not exist",
                                         file.string()),
                       "paths here are relative to the directory of the package config");
          continue;
        }
        prebuilt[lib] = true;
        config_.model_lib_path_for_prepare_libs.emplace_back(lib, file);
        if (model_libs_.count(lib) == 0) {
          diags_.warning(path, fmt::format("no model_list entry has \"model_lib\": \"{}\"", lib),
                         "set it in the entry that should use this library, or remove the line");
        }
      }
    }
    for (const auto& shared : shared_model_libs_) {
      if (prebuilt.count(shared.model_lib) != 0) continue;  // one prebuilt library serves both
      if (shared.first.model == shared.second.model &&
          shared.first.overrides_text == shared.second.overrides_text) {
        continue;  // the same library twice
      }
      diags_.error(json_path_key(shared.second.json_path, "model_lib"),
                   fmt::format("model_lib \"{}\" is also used by {} for a different model or "
                               "overrides; one app cannot link two libraries with one name",
                               shared.model_lib, shared.first.json_path),
                   "give each a different model_lib, or remove model_lib to get generated names");
    }
  }

  const std::string* required_string(const Json& object, const char* key, const std::string& path) {
    auto it = object.find(key);
    if (it == object.end()) {
      diags_.error(path, fmt::format("required key \"{}\" is missing", key));
      return nullptr;
    }
    if (!it->is_string()) {
      diags_.error(json_path_key(path, key), "expected a string, found " + describe_json(*it));
      return nullptr;
    }
    return it->get_ptr<const std::string*>();
  }

  void warn_unknown_keys(const Json& object, const std::vector<std::string>& known,
                         const std::string& path, const char* where,
                         const std::vector<std::string>& allowed) {
    for (const auto& [key, value] : object.items()) {
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      const std::string guess = suggest_key(key, known);
      diags_.warning(json_path_key(path, key),
                     fmt::format("unknown key \"{}\" in {} is ignored", key, where),
                     guess.empty() ? fmt::format("known keys: {}", fmt::join(known, ", "))
                                   : fmt::format("did you mean \"{}\"?", guess));
    }
  }

  struct SharedModelLib {
    std::string model_lib;
    SeenModel first, second;
  };

  const PackageConfigOptions& options_;
  Diagnostics& diags_;
  PackageConfig config_;
  std::map<std::string, SeenModel> model_ids_;   // lowercased model_id -> first use
  std::map<std::string, SeenModel> model_libs_;  // model_lib -> first use
  std::vector<SharedModelLib> shared_model_libs_;
};

}  // namespace

const std::vector<std::string>& package_devices() {
  static const std::vector<std::string> devices = {"iphone", "android", "linux", "linux-arm64"};
  return devices;
}

std::optional<std::string> unsafe_model_id_reason(std::string_view model_id) {
  if (model_id.empty()) return std::string("it is empty");
  if (model_id.size() > 128) return fmt::format("it is {} characters long (at most 128)", model_id.size());
  if (model_id[0] == '.') return std::string("it starts with '.' (hidden, or a parent directory)");
  if (model_id[0] == '-') return std::string("it starts with '-' (read as an option by tools)");
  for (char c : model_id) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '.' || c == '-' || c == '_') continue;
    if (c == '/' || c == '\\') return fmt::format("it contains the path separator '{}'", c);
    if (u < 0x20 || u == 0x7f) return std::string("it contains a control character");
    if (u >= 0x80) return std::string("it contains a non-ASCII character");
    return fmt::format("it contains '{}'", c);
  }
  return std::nullopt;
}

Result<PackageConfig> parse_package_config(std::string_view text,
                                           const std::filesystem::path& config_path,
                                           Diagnostics* diagnostics,
                                           const PackageConfigOptions& options) {
  const std::string label = config_path.string();
  Json root = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    // Parse again with exceptions only to learn where it broke; nothing escapes this function.
    std::string where;
    try {
      const Json reparsed = Json::parse(text);
      (void)reparsed;
    } catch (const nlohmann::json::exception& e) {
      where = e.what();
    }
    diagnostics->error("$", "not valid JSON" + (where.empty() ? "" : ": " + where),
                       "check for a missing comma or quote near the position given");
    return diagnostics->to_error(label);
  }
  ConfigChecker checker(config_path, options, diagnostics);
  PackageConfig config = checker.check(root);
  if (diagnostics->has_errors()) return diagnostics->to_error(label);
  return config;
}

Result<PackageConfig> load_package_config(const std::filesystem::path& path,
                                          Diagnostics* diagnostics,
                                          const PackageConfigOptions& options) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec).lexically_normal();
  if (ec) absolute = path;
  if (!std::filesystem::is_regular_file(absolute, ec)) {
    const bool exists = std::filesystem::exists(absolute, ec);
    Error error(fmt::format("{}: {}", absolute.string(),
                            exists ? "the package config is not a regular file"
                                   : "the package config does not exist"),
                fmt::format("run in the app folder that holds {}, or pass --package-config",
                            kPackageConfigFile));
    error.with_code(ErrorCode::kNotFound);
    diagnostics->error("", error.message(), error.hint());
    return error;
  }
  auto text = read_file(absolute.string());
  if (!text.ok()) {
    diagnostics->error("", text.error().to_string(), text.error().hint());
    return std::move(text).error();
  }
  return parse_package_config(*text, absolute, diagnostics, options);
}

}  // namespace aae
