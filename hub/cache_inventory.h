// What the weight cache holds and how to remove parts of it safely (`sphere_aae cache`,
// docs/download.md "Managing the cache"). Layout: see hub_config.h.
#pragma once

#include "runtime/base/human_units.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "hub/hub_config.h"
#include "runtime/base/status.h"

namespace aae::hub {

// Where an entry sits: a finished copy (hf/<org>/<repo>[@rev]), a download in progress or
// interrupted (.staging/<org>--<repo>[@rev]), or a copy left behind by an interrupted
// replace/remove (hf/<org>/<repo>[@rev].old-<pid> or .removing-<pid>).
enum class CacheEntryKind { kModel, kStaging, kLeftover };

// complete: the cheap check (configs parse, tokenizer files exist, shard sizes) passes.
// incomplete: configs missing or unreadable, or not a finished copy at all (staging, leftover).
// damaged: configs parse but a shard is missing or has the wrong size.
enum class CacheEntryStatus { kComplete, kIncomplete, kDamaged };

const char* cache_entry_status_name(CacheEntryStatus status);  // "complete" / "incomplete" / "damaged"
const char* cache_entry_kind_name(CacheEntryKind kind);        // "model" / "staging" / "leftover"

struct CacheEntry {
  ModelRef ref;  // the repository this entry belongs to
  CacheEntryKind kind = CacheEntryKind::kModel;
  std::filesystem::path path;
  int64_t bytes = 0;  // sum of regular file sizes, recursively
  int64_t files = 0;  // number of regular files, recursively
  CacheEntryStatus status = CacheEntryStatus::kIncomplete;
  std::string problem;  // why it is not complete (one line); empty when complete

  // "HF://org/repo" or "HF://org/repo@rev".
  std::string model_url() const;
};

// <home>/model_weights.
std::filesystem::path weights_root(const std::filesystem::path& home);

// Every entry under <home>/model_weights (hf/ and .staging/), sorted by model then kind.
// A missing root is an empty cache, not an error.
Result<std::vector<CacheEntry>> list_weight_cache(const std::filesystem::path& home);

// The entries of `all` that belong to `ref` (same org, repo, and pinned revision or none).
std::vector<CacheEntry> entries_for_model(const std::vector<CacheEntry>& all, const ModelRef& ref);

// Removes one entry while holding its repo's RepoLock, so a download in progress is never
// deleted under it: if the lock is held, calls `on_wait` (may be empty) and waits for it. The
// directory is first renamed to <path>.removing-<pid> in the same parent, then deleted, so a
// crash never leaves a half-deleted directory under the entry's name. An entry that vanished
// meanwhile (another process removed or promoted it) counts as removed.
Status remove_cache_entry(const std::filesystem::path& home, const CacheEntry& entry,
                          const std::function<void(const std::string&)>& on_wait);

}  // namespace aae::hub
