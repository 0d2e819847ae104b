#include "tools/make_example_model/output_dir.h"

#include <algorithm>
#include <string>
#include <system_error>
#include <utility>

#include <unistd.h>

namespace aae::example {
namespace fs = std::filesystem;

namespace {

std::string sibling_name(const fs::path& dir, const char* kind, int n) {
  return "." + dir.filename().string() + "." + kind + "-" + std::to_string(::getpid()) + "-" + std::to_string(n);
}

Error not_empty_error(const fs::path& dir) {
  return Error("output directory " + dir.string() + " already exists and is not empty",
               "pass --force to replace it, or choose another -o");
}

}  // namespace

fs::path normalize_dir(const fs::path& dir) {
  std::error_code ec;
  fs::path out = fs::absolute(dir, ec);
  if (ec) out = dir;
  out = out.lexically_normal();
  if (out.filename().empty() && out.has_parent_path() && out != out.root_path()) out = out.parent_path();
  return out;
}

Status check_output_dir(const fs::path& dir, bool force) {
  std::error_code ec;
  const fs::file_status status = fs::status(dir, ec);
  if (!fs::exists(status)) return ok_status();
  if (!fs::is_directory(status)) {
    return Error("output path " + dir.string() + " exists and is not a directory",
                 "choose another -o, or remove the file first");
  }
  const bool empty = fs::is_empty(dir, ec);
  if (ec) return Error("cannot read output directory " + dir.string() + ": " + ec.message());
  if (!empty && !force) return not_empty_error(dir);
  if (!empty) {
    // --force deletes the old directory: never let "-o ." or "-o .." wipe out the shell's cwd.
    const fs::path cwd = fs::current_path(ec).lexically_normal();
    const fs::path target = normalize_dir(dir);
    const bool cwd_inside = std::mismatch(target.begin(), target.end(), cwd.begin(), cwd.end()).first == target.end();
    if (!ec && cwd_inside) {
      return Error("refusing to replace " + target.string() + ": it is or contains the current directory",
                   "choose a new directory name with -o");
    }
  }
  return ok_status();
}

Result<StagingDir> StagingDir::create(const fs::path& final_dir) {
  const fs::path final_path = normalize_dir(final_dir);
  if (final_path.filename().empty() || final_path == final_path.root_path()) {
    return Error("cannot use " + final_dir.string() + " as the output directory", "give a directory name with -o");
  }
  const fs::path parent = final_path.parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) {
    return Error("cannot create directory " + parent.string() + ": " + ec.message(),
                 "check that the path is writable");
  }
  for (int n = 0; n < 100; ++n) {
    fs::path staging = parent / sibling_name(final_path, "tmp", n);
    if (fs::create_directory(staging, ec)) return StagingDir(final_path, std::move(staging));
    if (ec) {
      return Error("cannot create staging directory " + staging.string() + ": " + ec.message(),
                   "check that " + parent.string() + " is writable");
    }
  }
  return Error("cannot create a staging directory beside " + final_path.string() + " after 100 tries",
               "remove stale ." + final_path.filename().string() + ".tmp-* directories");
}

StagingDir::StagingDir(StagingDir&& other) noexcept
    : final_(std::move(other.final_)), staging_(std::exchange(other.staging_, fs::path())) {}

StagingDir::~StagingDir() {
  if (staging_.empty()) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);  // best effort: nothing useful to do if cleanup fails
}

Status StagingDir::commit(bool force) {
  AAE_TRY(check_output_dir(final_, force));
  std::error_code ec;
  fs::path moved_aside;
  if (fs::exists(final_, ec) && !fs::is_empty(final_, ec)) {
    moved_aside = final_.parent_path() / sibling_name(final_, "old", 0);
    fs::rename(final_, moved_aside, ec);
    if (ec) {
      return Error("cannot move the existing " + final_.string() + " aside: " + ec.message(),
                   "remove it yourself and run again");
    }
  }
  // rename(2) replaces an empty directory, so no separate removal is needed for that case.
  fs::rename(staging_, final_, ec);
  if (ec) {
    const std::string reason = ec.message();
    if (!moved_aside.empty()) fs::rename(moved_aside, final_, ec);  // put the old model back
    return Error("cannot rename " + staging_.string() + " to " + final_.string() + ": " + reason);
  }
  staging_.clear();
  if (!moved_aside.empty()) fs::remove_all(moved_aside, ec);  // best effort; the new model is in place
  return ok_status();
}

}  // namespace aae::example
