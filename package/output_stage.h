// The output of `package` is built in a temporary sibling of dist/ and swapped in by rename,
// so a failed or interrupted run leaves the previous dist/ exactly as it was, and a reader
// never sees a half-written one. Files that did not change since the previous dist/ are hard
// links to it (nothing is copied again); new or changed files are cloned (reflink) where the
// file system offers it, else copied.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "runtime/base/status.h"

namespace aae {

struct PlacementStats {
  int64_t files_linked = 0;   // unchanged: hard link to the previous dist/
  int64_t files_cloned = 0;   // reflink (copy-on-write, no data written)
  int64_t files_copied = 0;
  int64_t bytes_copied = 0;   // bytes actually written by copies
};

// How a file would be placed, for plans (dry runs) and reports.
enum class Placement { kLinkPrevious, kCopy };

// kLinkPrevious when `output_dir`/`relative` exists with the same size and modification time
// as `source` (what a copy made by OutputStage keeps), else kCopy.
Placement placement_in(const std::filesystem::path& output_dir,
                       const std::filesystem::path& source,
                       const std::filesystem::path& relative);

class OutputStage {
 public:
  // Prepares <parent>/.<name>.staging-<pid> for `output_dir` (which need not exist). Leftover
  // staging directories of dead processes are removed first.
  static Result<OutputStage> begin(const std::filesystem::path& output_dir);

  OutputStage(OutputStage&&) noexcept;
  OutputStage& operator=(OutputStage&&) noexcept;
  OutputStage(const OutputStage&) = delete;
  OutputStage& operator=(const OutputStage&) = delete;
  ~OutputStage();  // removes the staging directory unless committed

  const std::filesystem::path& output_dir() const { return output_dir_; }
  const std::filesystem::path& staging_dir() const { return staging_dir_; }

  // Whether `source` placed at `relative` would reuse the previous dist/ (same size and
  // modification time as the file already there) or needs a copy.
  Placement placement_for(const std::filesystem::path& source,
                          const std::filesystem::path& relative) const;

  // Places `source` at staging/`relative` (parents created) as described above. The copy
  // keeps the source's modification time, which is what makes the next run's comparison work.
  Status place_file(const std::filesystem::path& source, const std::filesystem::path& relative,
                    PlacementStats* stats);

  // Writes `bytes` to staging/`relative`; when the previous dist/ holds identical bytes the old
  // file is linked instead, so unchanged generated files keep their identity and time.
  Status place_bytes(std::string_view bytes, const std::filesystem::path& relative,
                     PlacementStats* stats);

  // Swaps the staging directory in for output_dir (atomically with renameat2's exchange where
  // the kernel has it) and removes the previous tree.
  Status commit();

 private:
  OutputStage(std::filesystem::path output_dir, std::filesystem::path staging_dir)
      : output_dir_(std::move(output_dir)), staging_dir_(std::move(staging_dir)) {}
  void abandon();

  std::filesystem::path output_dir_;
  std::filesystem::path staging_dir_;  // empty once committed or moved from
};

}  // namespace aae
