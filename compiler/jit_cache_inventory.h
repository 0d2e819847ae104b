// What the model-library JIT cache holds and how to remove entries safely (`sphere_aae cache`,
// docs/jit-cache.md). Layout: compiler/jit_cache.h.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "runtime/base/status.h"

namespace aae {

// complete: library + sidecar (a hit). incomplete: a sidecar whose library is missing (a
// compile killed between the two renames, or a damaged entry). leftover: a .tmp-<key>-<pid>
// work dir of a killed compile; never used, safe to remove.
enum class ModelLibEntryStatus { kComplete, kIncomplete, kLeftover };
const char* model_lib_entry_status_name(ModelLibEntryStatus status);  // "complete", ...

struct ModelLibCacheEntry {
  std::string key;
  std::string model_lib;  // empty for a leftover
  std::string device;     // "linux", "android", ...
  std::string target;     // triple
  std::string kind;       // ".so", ".a", ".o"
  std::filesystem::path path;     // the library (or the leftover dir)
  std::filesystem::path sidecar;  // empty for a leftover
  int64_t bytes = 0;              // library + sidecar (or the leftover dir's files)
  std::string created;            // from the sidecar, ISO 8601 UTC
  ModelLibEntryStatus status = ModelLibEntryStatus::kIncomplete;
};

// Every entry under <home>/model_lib, sorted by model_lib then key. A missing root is empty.
Result<std::vector<ModelLibCacheEntry>> list_model_lib_cache(const std::filesystem::path& home);

// Entries whose model_lib or key equals `name_or_key`.
std::vector<ModelLibCacheEntry> model_lib_entries_matching(
    const std::vector<ModelLibCacheEntry>& all, const std::string& name_or_key);

// Removes one entry under its key's lock (a compile in progress is waited for; `on_wait`, may
// be empty, is told first). The library goes before the sidecar, so no moment shows a hit
// without its sidecar. An entry that vanished meanwhile counts as removed.
Status remove_model_lib_entry(const std::filesystem::path& home, const ModelLibCacheEntry& entry,
                              const std::function<void(const std::string&)>& on_wait);

}  // namespace aae
