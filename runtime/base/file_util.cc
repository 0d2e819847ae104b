#include "runtime/base/file_util.h"

#include <filesystem>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace aae {
namespace {

std::string errno_text(int error_number) { return std::strerror(error_number); }

// Directory part of `path` ("" for a bare file name) and the file name part.
std::pair<std::string, std::string> split_path(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {"", path};
  return {path.substr(0, slash + 1), path.substr(slash + 1)};
}

// Best effort: make the rename itself durable. Failure here does not undo the write.
void fsync_directory(const std::string& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

Result<std::string> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int saved = errno;
    return Error("cannot open " + path + ": " + errno_text(saved));
  }
  std::string bytes;
  struct stat info;
  if (::fstat(fd, &info) == 0) {
    if (S_ISDIR(info.st_mode)) {
      ::close(fd);
      return Error("cannot read " + path + ": is a directory");
    }
    if (info.st_size > 0) bytes.reserve(static_cast<size_t>(info.st_size));
  }
  char chunk[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int saved = errno;
      ::close(fd);
      return Error("cannot read " + path + ": " + errno_text(saved));
    }
    if (n == 0) break;
    bytes.append(chunk, static_cast<size_t>(n));
  }
  ::close(fd);
  return bytes;
}

Status write_file_atomic(const std::string& path, std::string_view bytes) {
  AAE_ASSIGN_OR_RETURN(AtomicFileWriter writer, AtomicFileWriter::create(path));
  AAE_TRY(writer.write(bytes.data(), bytes.size()));
  return writer.commit();
}

Result<AtomicFileWriter> AtomicFileWriter::create(const std::string& final_path) {
  auto [dir, name] = split_path(final_path);
  if (name.empty() || name == "." || name == "..") {
    return Error("cannot write " + final_path + ": the path names a directory, not a file");
  }
  static std::atomic<unsigned> counter{0};
  const std::string prefix = dir + "." + name + ".tmp-" + std::to_string(::getpid()) + "-";
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string temp_path = prefix + std::to_string(counter++);
    const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return AtomicFileWriter(final_path, std::move(temp_path), fd);
    const int saved = errno;
    if (saved != EEXIST) {
      return Error("cannot write " + final_path + ": cannot create temp file " + temp_path +
                       ": " + errno_text(saved),
                   "check that the directory exists and is writable");
    }
  }
  return Error("cannot write " + final_path + ": no free temp file name after 100 tries",
               "remove stale " + prefix + "* files");
}

AtomicFileWriter::AtomicFileWriter(AtomicFileWriter&& other) noexcept
    : final_path_(std::move(other.final_path_)),
      temp_path_(std::move(other.temp_path_)),
      fd_(std::exchange(other.fd_, -1)) {}

AtomicFileWriter& AtomicFileWriter::operator=(AtomicFileWriter&& other) noexcept {
  if (this != &other) {
    abandon();
    final_path_ = std::move(other.final_path_);
    temp_path_ = std::move(other.temp_path_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

AtomicFileWriter::~AtomicFileWriter() { abandon(); }

void AtomicFileWriter::abandon() {
  if (fd_ < 0) return;
  ::close(fd_);
  ::unlink(temp_path_.c_str());
  fd_ = -1;
}

Error AtomicFileWriter::fail(const std::string& what, int error_number) {
  abandon();
  return Error("cannot write " + final_path_ + ": " + what + ": " + errno_text(error_number));
}

Status AtomicFileWriter::write(const void* data, size_t size) {
  if (fd_ < 0) return Error("cannot write " + final_path_ + ": the writer is already closed");
  const auto* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd_, bytes, size);
    if (n < 0) {
      const int saved = errno;
      if (saved == EINTR) continue;
      return fail("write to " + temp_path_ + " failed", saved);
    }
    bytes += n;
    size -= static_cast<size_t>(n);
  }
  return ok_status();
}

Status AtomicFileWriter::commit() {
  if (fd_ < 0) return Error("cannot commit " + final_path_ + ": the writer is already closed");
  if (::fsync(fd_) != 0) {
    const int saved = errno;
    return fail("fsync of " + temp_path_ + " failed", saved);
  }
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) {
    const int saved = errno;
    ::unlink(temp_path_.c_str());
    return Error("cannot write " + final_path_ + ": close of " + temp_path_ +
                 " failed: " + errno_text(saved));
  }
  if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temp_path_.c_str());
    return Error("cannot write " + final_path_ + ": rename from " + temp_path_ +
                 " failed: " + errno_text(saved));
  }
  fsync_directory(split_path(final_path_).first);
  return ok_status();
}

RemoveTreeOnExit::~RemoveTreeOnExit() {
  std::error_code ec;
  if (!path.empty()) std::filesystem::remove_all(path, ec);
}

}  // namespace aae
