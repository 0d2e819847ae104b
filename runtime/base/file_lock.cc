#include "runtime/base/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace aae {
namespace fs = std::filesystem;
namespace {

Result<int> open_lock_file(const fs::path& lock_path) {
  std::error_code ec;
  if (lock_path.has_parent_path()) fs::create_directories(lock_path.parent_path(), ec);
  // O_CLOEXEC: a compiler or downloader we spawn must not inherit (and so extend) the lock.
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Error("cannot open lock file " + lock_path.string() + ": " + std::strerror(errno),
                 "check that " + lock_path.parent_path().string() + " is writable");
  }
  return fd;
}

}  // namespace

Result<FileLock> FileLock::acquire(const fs::path& lock_path) {
  AAE_ASSIGN_OR_RETURN(int fd, open_lock_file(lock_path));
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const int saved = errno;
    ::close(fd);
    return Error("cannot lock " + lock_path.string() + ": " + std::strerror(saved));
  }
  return FileLock(fd);
}

Result<std::optional<FileLock>> FileLock::try_acquire(const fs::path& lock_path) {
  AAE_ASSIGN_OR_RETURN(int fd, open_lock_file(lock_path));
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    const int saved = errno;
    ::close(fd);
    if (saved == EWOULDBLOCK) return std::optional<FileLock>();
    return Error("cannot lock " + lock_path.string() + ": " + std::strerror(saved));
  }
  return std::optional<FileLock>(FileLock(fd));
}

bool FileLock::is_held(const fs::path& lock_path) {
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // releases the probe lock if we got it
  return held;
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace aae
