// An exclusive advisory lock (flock(2)) on a lock file, shared by the caches: the weight cache
// locks per repository, the model-library JIT cache per key. The lock belongs to the open file,
// so it dies with the process (kill -9 included) and a crash never wedges a cache; the lock
// file itself is left in place (deleting it would race with a waiter that already opened it).
#pragma once

#include <filesystem>
#include <optional>

#include "runtime/base/status.h"

namespace aae {

class FileLock {
 public:
  // Creates the lock file (and its parent directories) if needed, then blocks until the lock
  // is ours. Errors name the lock file.
  static Result<FileLock> acquire(const std::filesystem::path& lock_path);

  // Like acquire but never waits: nullopt when another open file holds the lock.
  static Result<std::optional<FileLock>> try_acquire(const std::filesystem::path& lock_path);

  // True when another process holds the lock right now. A missing lock file is "not held".
  static bool is_held(const std::filesystem::path& lock_path);

  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;  // open lock file; closing it releases the lock
};

}  // namespace aae
