#include "compiler/jit_cache_inventory.h"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "compiler/jit_cache.h"
#include "compiler/jit_sidecar.h"
#include "runtime/base/file_lock.h"

namespace aae {
namespace {

namespace fs = std::filesystem;

int64_t file_bytes(const fs::path& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  return ec ? 0 : static_cast<int64_t>(size);
}

int64_t tree_bytes(const fs::path& dir) {
  int64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code file_ec;
    if (it->is_regular_file(file_ec)) total += file_bytes(it->path());
  }
  return total;
}

std::string string_or_empty(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// ".tmp-<key>-<pid>" -> key; empty when the name is not a work dir.
std::string work_dir_key(const std::string& name) {
  if (name.rfind(".tmp-", 0) != 0) return {};
  auto dash = name.rfind('-');
  if (dash <= 5) return {};
  return name.substr(5, dash - 5);
}

}  // namespace

const char* model_lib_entry_status_name(ModelLibEntryStatus status) {
  switch (status) {
    case ModelLibEntryStatus::kComplete: return "complete";
    case ModelLibEntryStatus::kIncomplete: return "incomplete";
    case ModelLibEntryStatus::kLeftover: return "leftover";
  }
  return "incomplete";
}

Result<std::vector<ModelLibCacheEntry>> list_model_lib_cache(const fs::path& home) {
  std::vector<ModelLibCacheEntry> entries;
  const fs::path root = model_lib_cache_root(home);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return entries;
  std::vector<fs::path> names;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path());
  }
  if (ec) return Error(fmt::format("cannot read {}: {}", root.string(), ec.message()));
  for (const fs::path& path : names) {
    const std::string name = path.filename().string();
    ModelLibCacheEntry entry;
    if (std::string key = work_dir_key(name); !key.empty()) {
      entry.key = key;
      entry.path = path;
      entry.bytes = tree_bytes(path);
      entry.status = ModelLibEntryStatus::kLeftover;
      entries.push_back(std::move(entry));
      continue;
    }
    if (path.extension() != ".json") continue;
    entry.key = path.stem().string();
    entry.sidecar = path;
    auto sidecar = read_sidecar(home, entry.key);
    if (sidecar.ok()) {
      entry.model_lib = string_or_empty(*sidecar, "model_lib");
      entry.device = string_or_empty(*sidecar, "device");
      entry.target = string_or_empty(*sidecar, "target");
      entry.kind = string_or_empty(*sidecar, "kind");
      entry.created = string_or_empty(*sidecar, "created");
    }
    entry.path = model_lib_entry_path(home, entry.key, entry.kind);
    entry.status = sidecar.ok() && is_complete_entry(home, entry.key, entry.kind)
                       ? ModelLibEntryStatus::kComplete
                       : ModelLibEntryStatus::kIncomplete;
    entry.bytes = file_bytes(entry.sidecar) +
                  (entry.kind.empty() ? 0 : file_bytes(entry.path));
    entries.push_back(std::move(entry));
  }
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return std::tie(a.model_lib, a.key, a.path) < std::tie(b.model_lib, b.key, b.path);
  });
  return entries;
}

std::vector<ModelLibCacheEntry> model_lib_entries_matching(
    const std::vector<ModelLibCacheEntry>& all, const std::string& name_or_key) {
  std::vector<ModelLibCacheEntry> out;
  for (const auto& entry : all) {
    if (entry.key == name_or_key || (!entry.model_lib.empty() && entry.model_lib == name_or_key)) {
      out.push_back(entry);
    }
  }
  return out;
}

Status remove_model_lib_entry(const fs::path& home, const ModelLibCacheEntry& entry,
                              const std::function<void(const std::string&)>& on_wait) {
  const fs::path lock_path = model_lib_lock_path(home, entry.key);
  // A leftover's owner is dead or will never install it, but a live compile of the same key
  // may be using its own work dir right now: the lock tells the two apart.
  if (on_wait && FileLock::is_held(lock_path)) {
    on_wait(fmt::format("waiting for another sphere_aae process compiling {} (lock {})",
                        entry.model_lib.empty() ? entry.key : entry.model_lib,
                        lock_path.string()));
  }
  AAE_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(lock_path));
  std::error_code ec;
  if (entry.status == ModelLibEntryStatus::kLeftover) {
    fs::remove_all(entry.path, ec);
  } else {
    if (!entry.kind.empty()) fs::remove(entry.path, ec);
    if (!ec) fs::remove(entry.sidecar, ec);
  }
  if (ec) {
    return Error(fmt::format("cannot delete {}: {}", entry.path.string(), ec.message()),
                 "check the permissions of " + model_lib_cache_root(home).string());
  }
  return ok_status();
}

}  // namespace aae
