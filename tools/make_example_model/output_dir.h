// The output directory is written as a whole: files go into a hidden sibling directory
// ".<name>.tmp-<pid>-<n>", which is renamed into place only when everything is written. A
// failure (or an early exit) never leaves a half-written model under the final name.
#pragma once

#include <filesystem>

#include "runtime/base/status.h"

namespace aae::example {

// Fails if `dir` exists and is not a directory, or is a non-empty directory and !force.
// Called before any work so a refusal is instant; commit() checks again.
Status check_output_dir(const std::filesystem::path& dir, bool force);

class StagingDir {
 public:
  // Creates the parent directories of `final_dir` if needed, and the staging directory.
  static Result<StagingDir> create(const std::filesystem::path& final_dir);

  StagingDir(StagingDir&& other) noexcept;
  StagingDir& operator=(StagingDir&&) = delete;
  StagingDir(const StagingDir&) = delete;
  StagingDir& operator=(const StagingDir&) = delete;
  ~StagingDir();  // removes the staging directory unless committed

  const std::filesystem::path& path() const { return staging_; }
  const std::filesystem::path& final_path() const { return final_; }

  // Renames the staging directory to the final name. An existing empty directory is replaced;
  // a non-empty one only with `force` (it is moved aside, then deleted after the rename).
  Status commit(bool force);

 private:
  StagingDir(std::filesystem::path final_dir, std::filesystem::path staging)
      : final_(std::move(final_dir)), staging_(std::move(staging)) {}

  std::filesystem::path final_;
  std::filesystem::path staging_;  // empty once committed or moved from
};

// `dir` made absolute and without a trailing slash, so parent_path()/filename() are meaningful.
std::filesystem::path normalize_dir(const std::filesystem::path& dir);

}  // namespace aae::example
