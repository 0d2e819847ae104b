#include "package/output_stage.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#ifdef __linux__
#include <linux/fs.h>
#include <sys/ioctl.h>
#endif

#include <fmt/format.h>

#include "runtime/base/file_util.h"

namespace aae {

namespace fs = std::filesystem;

namespace {

// What `package` itself puts at the top of an output directory; anything else there means the
// directory is not (only) ours, and swapping it away would delete the user's files.
constexpr const char* kOwnedEntries[] = {"lib", "bundle", ".sphere-aae-package"};

std::string errno_text(int error) { return std::strerror(error); }

Status check_replaceable(const fs::path& output_dir) {
  std::error_code ec;
  if (!fs::exists(output_dir, ec)) return Status();
  if (!fs::is_directory(output_dir, ec)) {
    return Error(fmt::format("output {} exists and is not a directory", output_dir.string()),
                 "choose another output with -o/--output");
  }
  for (const auto& entry : fs::directory_iterator(output_dir, ec)) {
    const std::string name = entry.path().filename().string();
    bool owned = false;
    for (const char* known : kOwnedEntries) owned = owned || name == known;
    if (!owned) {
      return Error(fmt::format("refusing to replace output {}: it holds \"{}\", which "
                               "`sphere_aae package` did not write",
                               output_dir.string(), name),
                   "package replaces its whole output directory; choose an empty or new "
                   "directory with -o/--output, or move that file away");
    }
  }
  if (ec) return Error(fmt::format("cannot list {}: {}", output_dir.string(), ec.message()));
  return Status();
}

void remove_dead_stagings(const fs::path& parent, const std::string& prefix) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(parent, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string pid_text = name.substr(prefix.size());
    char* end = nullptr;
    const long pid = std::strtol(pid_text.c_str(), &end, 10);
    if (pid_text.empty() || *end != '\0' || pid <= 0) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive
    fs::remove_all(entry.path(), ec);
  }
}

bool same_size_and_mtime(const fs::path& a, const fs::path& b) {
  struct stat sa {}, sb {};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return S_ISREG(sa.st_mode) && S_ISREG(sb.st_mode) && sa.st_size == sb.st_size &&
         sa.st_mtim.tv_sec == sb.st_mtim.tv_sec && sa.st_mtim.tv_nsec == sb.st_mtim.tv_nsec;
}

// Copies (or clones) `source` to the new file `dest`, keeping the modification time.
Status copy_or_clone(const fs::path& source, const fs::path& dest, PlacementStats* stats) {
  const int in = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    return Error(fmt::format("cannot read {}: {}", source.string(), errno_text(errno)));
  }
  struct stat st {};
  ::fstat(in, &st);
  const int out = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    const int error = errno;
    ::close(in);
    return Error(fmt::format("cannot create {}: {}", dest.string(), errno_text(error)));
  }
  bool cloned = false;
#ifdef FICLONE
  cloned = ::ioctl(out, FICLONE, in) == 0;
#endif
  Status status;
  if (!cloned) {
    std::string buffer(1 << 20, '\0');
    for (;;) {
      const ssize_t n = ::read(in, buffer.data(), buffer.size());
      if (n == 0) break;
      if (n < 0) {
        if (errno == EINTR) continue;
        status = Error(fmt::format("cannot read {}: {}", source.string(), errno_text(errno)));
        break;
      }
      for (ssize_t done = 0; done < n;) {
        const ssize_t w = ::write(out, buffer.data() + done, static_cast<size_t>(n - done));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
          status = Error(fmt::format("cannot write {}: {}", dest.string(), errno_text(errno)),
                         "check free space on the output's file system");
          break;
        }
        done += w;
      }
      if (!status.ok()) break;
    }
  }
  if (status.ok()) {
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    ::futimens(out, times);
  }
  ::close(in);
  if (::close(out) != 0 && status.ok()) {
    status = Error(fmt::format("cannot write {}: {}", dest.string(), errno_text(errno)));
  }
  if (!status.ok()) return status;
  if (stats != nullptr) {
    if (cloned) {
      ++stats->files_cloned;
    } else {
      ++stats->files_copied;
      stats->bytes_copied += st.st_size;
    }
  }
  return Status();
}

Status make_parents(const fs::path& file) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (ec) {
    return Error(fmt::format("cannot create {}: {}", file.parent_path().string(), ec.message()));
  }
  return Status();
}

}  // namespace

Result<OutputStage> OutputStage::begin(const fs::path& output_dir_in) {
  fs::path output_dir = fs::absolute(output_dir_in).lexically_normal();
  if (output_dir.filename().empty()) output_dir = output_dir.parent_path();
  AAE_TRY(check_replaceable(output_dir));
  const fs::path parent = output_dir.parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) return Error(fmt::format("cannot create {}: {}", parent.string(), ec.message()));
  const std::string prefix = "." + output_dir.filename().string() + ".staging-";
  remove_dead_stagings(parent, prefix);
  fs::path staging = parent / (prefix + std::to_string(::getpid()));
  fs::remove_all(staging, ec);
  fs::create_directory(staging, ec);
  if (ec) return Error(fmt::format("cannot create {}: {}", staging.string(), ec.message()));
  AAE_TRY(write_file_atomic((staging / ".sphere-aae-package").string(),
                            "written by `sphere_aae package`; the whole directory is replaced "
                            "on each run\n"));
  return OutputStage(std::move(output_dir), std::move(staging));
}

OutputStage::OutputStage(OutputStage&& other) noexcept
    : output_dir_(std::move(other.output_dir_)), staging_dir_(std::move(other.staging_dir_)) {
  other.staging_dir_.clear();
}

OutputStage& OutputStage::operator=(OutputStage&& other) noexcept {
  if (this != &other) {
    abandon();
    output_dir_ = std::move(other.output_dir_);
    staging_dir_ = std::move(other.staging_dir_);
    other.staging_dir_.clear();
  }
  return *this;
}

OutputStage::~OutputStage() { abandon(); }

void OutputStage::abandon() {
  if (staging_dir_.empty()) return;
  std::error_code ec;
  fs::remove_all(staging_dir_, ec);
  staging_dir_.clear();
}

Placement placement_in(const fs::path& output_dir, const fs::path& source,
                       const fs::path& relative) {
  return same_size_and_mtime(source, output_dir / relative) ? Placement::kLinkPrevious
                                                            : Placement::kCopy;
}

Placement OutputStage::placement_for(const fs::path& source, const fs::path& relative) const {
  return placement_in(output_dir_, source, relative);
}

Status OutputStage::place_file(const fs::path& source, const fs::path& relative,
                               PlacementStats* stats) {
  const fs::path dest = staging_dir_ / relative;
  AAE_TRY(make_parents(dest));
  if (placement_for(source, relative) == Placement::kLinkPrevious &&
      ::link((output_dir_ / relative).c_str(), dest.c_str()) == 0) {
    if (stats != nullptr) ++stats->files_linked;
    return Status();
  }
  return copy_or_clone(source, dest, stats);
}

Status OutputStage::place_bytes(std::string_view bytes, const fs::path& relative,
                                PlacementStats* stats) {
  const fs::path dest = staging_dir_ / relative;
  AAE_TRY(make_parents(dest));
  const fs::path previous = output_dir_ / relative;
  if (auto old = read_file(previous.string()); old.ok() && *old == bytes &&
                                                ::link(previous.c_str(), dest.c_str()) == 0) {
    if (stats != nullptr) ++stats->files_linked;
    return Status();
  }
  AAE_TRY(write_file_atomic(dest.string(), bytes));
  if (stats != nullptr) {
    ++stats->files_copied;
    stats->bytes_copied += static_cast<int64_t>(bytes.size());
  }
  return Status();
}

Status OutputStage::commit() {
  if (staging_dir_.empty()) return Error("the output stage was already committed");
  std::error_code ec;
  if (!fs::exists(output_dir_, ec)) {
    if (::rename(staging_dir_.c_str(), output_dir_.c_str()) != 0) {
      return Error(fmt::format("cannot move {} to {}: {}", staging_dir_.string(),
                               output_dir_.string(), errno_text(errno)));
    }
    staging_dir_.clear();
    return Status();
  }
#if defined(__linux__) && defined(RENAME_EXCHANGE)
  if (::renameat2(AT_FDCWD, staging_dir_.c_str(), AT_FDCWD, output_dir_.c_str(),
                  RENAME_EXCHANGE) == 0) {
    abandon();  // the staging path now holds the previous tree
    return Status();
  }
#endif
  const fs::path old = output_dir_.parent_path() /
                       ("." + output_dir_.filename().string() + ".old-" +
                        std::to_string(::getpid()));
  fs::remove_all(old, ec);
  if (::rename(output_dir_.c_str(), old.c_str()) != 0) {
    return Error(fmt::format("cannot move the previous {} aside: {}", output_dir_.string(),
                             errno_text(errno)));
  }
  if (::rename(staging_dir_.c_str(), output_dir_.c_str()) != 0) {
    const int error = errno;
    ::rename(old.c_str(), output_dir_.c_str());  // put the previous output back
    return Error(fmt::format("cannot move {} to {}: {}", staging_dir_.string(),
                             output_dir_.string(), errno_text(error)));
  }
  staging_dir_.clear();
  fs::remove_all(old, ec);
  return Status();
}

}  // namespace aae
