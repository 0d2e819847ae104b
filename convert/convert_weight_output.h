// The all-or-nothing output of convert_weight. Files are written into a staging directory
// inside the output directory (".aae-staging-<pid>-<n>", same filesystem, so moves are
// renames) and published only when complete; a failed run never leaves a tensor-cache.json
// that points at a partial or mixed set of shards.
#pragma once

#include <filesystem>

#include "runtime/base/status.h"

namespace aae {

class StagedOutput {
 public:
  // Creates `output` if absent (remembered, so a failure removes it again) and a fresh
  // staging directory inside it. Fails if `output` exists and is not a directory.
  static Result<StagedOutput> create(const std::filesystem::path& output);

  StagedOutput(StagedOutput&& other) noexcept;
  StagedOutput& operator=(StagedOutput&&) = delete;
  StagedOutput(const StagedOutput&) = delete;
  StagedOutput& operator=(const StagedOutput&) = delete;
  // Unless published: removes the staging directory, and the output directory if create()
  // made it.
  ~StagedOutput();

  const std::filesystem::path& staging_dir() const { return staging_; }
  const std::filesystem::path& output_dir() const { return output_; }

  // Moves the staged params_shard_*.bin and tensor-cache.json into the output directory.
  // Order: first the cache index files of an earlier conversion (tensor-cache.json,
  // tensor-cache-b16.json, ndarray-cache.json, ndarray-cache-b16.json) and its
  // params_shard_*.bin are removed, then the new shards are moved in, then tensor-cache.json
  // last. Other files in the output directory (configs, tokenizer) are left alone.
  Status publish();

 private:
  StagedOutput(std::filesystem::path output, std::filesystem::path staging, bool created_output)
      : output_(std::move(output)), staging_(std::move(staging)), created_output_(created_output) {}
  void discard() noexcept;

  std::filesystem::path output_;
  std::filesystem::path staging_;
  bool created_output_ = false;
  bool active_ = true;  // false once published, discarded or moved from
};

// True for "params_shard_<digits>.bin".
bool is_shard_file_name(const std::string& name);

}  // namespace aae
