#include "hub/cache_inventory.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <tuple>

#include "hub/model_cache.h"
#include "runtime/format/chat_config.h"
#include "runtime/format/tensor_cache.h"

namespace aae::hub {
namespace fs = std::filesystem;

namespace {

// "repo" or "repo@rev" into `ref`.
void split_revision(const std::string& name, ModelRef* ref) {
  auto at = name.find('@');
  ref->repo = name.substr(0, at);
  if (at != std::string::npos) {
    ref->revision = name.substr(at + 1);
    ref->pinned = true;
  }
}

// True when `name` ends with `<marker><digits>`; strips that suffix into `base`.
bool strip_pid_suffix(const std::string& name, const std::string& marker, std::string* base) {
  auto pos = name.rfind(marker);
  if (pos == std::string::npos || pos + marker.size() == name.size()) return false;
  for (size_t i = pos + marker.size(); i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
  }
  *base = name.substr(0, pos);
  return true;
}

void measure(const fs::path& dir, CacheEntry* entry) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::error_code file_ec;
    if (!it->is_regular_file(file_ec)) continue;
    auto size = it->file_size(file_ec);
    if (file_ec) continue;
    entry->bytes += static_cast<int64_t>(size);
    entry->files += 1;
  }
}

// Classifies a finished copy with the cheap check; damaged = configs fine but shards are not.
void classify(CacheEntry* entry) {
  Status check = check_cached_model(entry->path, /*verify_md5=*/false);
  if (check.ok()) {
    entry->status = CacheEntryStatus::kComplete;
    return;
  }
  entry->problem = check.error().to_string();
  const std::string dir = entry->path.string();
  const bool configs_ok = read_chat_config(dir).ok() && read_tensor_cache(dir).ok();
  entry->status = configs_ok ? CacheEntryStatus::kDamaged : CacheEntryStatus::kIncomplete;
}

// The subdirectories of `dir` (none if it is absent), without throwing: a directory that a
// concurrent download promotes or removes while we read is simply skipped.
Result<std::vector<fs::path>> subdirectories(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  fs::directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::error_code entry_ec;
    if (it->is_directory(entry_ec)) out.push_back(it->path());
  }
  if (ec) return Error("cannot read " + dir.string() + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

const char* cache_entry_status_name(CacheEntryStatus status) {
  switch (status) {
    case CacheEntryStatus::kComplete: return "complete";
    case CacheEntryStatus::kIncomplete: return "incomplete";
    case CacheEntryStatus::kDamaged: return "damaged";
  }
  return "incomplete";
}

const char* cache_entry_kind_name(CacheEntryKind kind) {
  switch (kind) {
    case CacheEntryKind::kModel: return "model";
    case CacheEntryKind::kStaging: return "staging";
    case CacheEntryKind::kLeftover: return "leftover";
  }
  return "model";
}

std::string CacheEntry::model_url() const { return "HF://" + ref.display(); }

fs::path weights_root(const fs::path& home) { return home / "model_weights"; }

Result<std::vector<CacheEntry>> list_weight_cache(const fs::path& home) {
  std::vector<CacheEntry> entries;
  const fs::path hf = weights_root(home) / "hf";
  AAE_ASSIGN_OR_RETURN(std::vector<fs::path> orgs, subdirectories(hf));
  for (const fs::path& org : orgs) {
    AAE_ASSIGN_OR_RETURN(std::vector<fs::path> repos, subdirectories(org));
    for (const fs::path& repo : repos) {
      CacheEntry entry;
      entry.path = repo;
      entry.ref.org = org.filename().string();
      std::string name = repo.filename().string(), base;
      if (strip_pid_suffix(name, ".old-", &base) || strip_pid_suffix(name, ".removing-", &base)) {
        entry.kind = CacheEntryKind::kLeftover;
        entry.problem = "left behind by an interrupted replace or removal";
        name = base;
      } else {
        classify(&entry);
      }
      split_revision(name, &entry.ref);
      measure(entry.path, &entry);
      entries.push_back(std::move(entry));
    }
  }
  AAE_ASSIGN_OR_RETURN(std::vector<fs::path> staged, subdirectories(weights_root(home) / ".staging"));
  for (const fs::path& dir : staged) {
    CacheEntry entry;
    entry.kind = CacheEntryKind::kStaging;
    entry.path = dir;
    entry.problem = "incomplete download";
    const std::string name = dir.filename().string();
    auto sep = name.find("--");  // <org>--<repo>[@rev], as staging_dir() names it
    if (sep == std::string::npos) {
      split_revision(name, &entry.ref);
    } else {
      entry.ref.org = name.substr(0, sep);
      split_revision(name.substr(sep + 2), &entry.ref);
    }
    measure(entry.path, &entry);
    entries.push_back(std::move(entry));
  }
  std::sort(entries.begin(), entries.end(), [](const CacheEntry& a, const CacheEntry& b) {
    return std::make_tuple(a.ref.display(), static_cast<int>(a.kind), a.path) <
           std::make_tuple(b.ref.display(), static_cast<int>(b.kind), b.path);
  });
  return entries;
}

std::vector<CacheEntry> entries_for_model(const std::vector<CacheEntry>& all, const ModelRef& ref) {
  std::vector<CacheEntry> out;
  for (const auto& entry : all) {
    if (entry.ref.org == ref.org && entry.ref.repo == ref.repo && entry.ref.pinned == ref.pinned &&
        (!ref.pinned || entry.ref.revision == ref.revision)) {
      out.push_back(entry);
    }
  }
  return out;
}

Status remove_cache_entry(const fs::path& home, const CacheEntry& entry,
                          const std::function<void(const std::string&)>& on_wait) {
  const fs::path lock_path = lock_file_path(home, entry.ref);
  if (on_wait && FileLock::is_held(lock_path)) {
    on_wait("waiting for another sphere_aae process using " + entry.model_url() + " (lock " +
            lock_path.string() + ")");
  }
  AAE_ASSIGN_OR_RETURN(RepoLock lock, RepoLock::acquire(lock_path));
  std::error_code ec;
  if (!fs::exists(entry.path, ec)) return ok_status();  // gone meanwhile: nothing to do
  fs::path doomed = entry.path;
  if (entry.kind != CacheEntryKind::kLeftover) {
    // Move aside first: the entry's own name then either holds the whole copy or nothing.
    doomed = entry.path.string() + ".removing-" + std::to_string(::getpid());
    fs::rename(entry.path, doomed, ec);
    if (ec) {
      return Error("cannot move " + entry.path.string() + " aside: " + ec.message(),
                   "check the permissions of " + entry.path.parent_path().string());
    }
  }
  fs::remove_all(doomed, ec);
  if (ec) {
    return Error("cannot delete " + doomed.string() + ": " + ec.message(),
                 "delete it by hand; it is no longer used by the cache");
  }
  return ok_status();
}


}  // namespace aae::hub
