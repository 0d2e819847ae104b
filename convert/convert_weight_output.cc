#include "convert/convert_weight_output.h"

#include <algorithm>
#include <string>
#include <system_error>
#include <vector>

#include <unistd.h>

namespace aae {
namespace fs = std::filesystem;

namespace {

constexpr const char* kCacheIndexFiles[] = {"tensor-cache.json", "tensor-cache-b16.json",
                                            "ndarray-cache.json", "ndarray-cache-b16.json"};

// Shard files directly inside `dir`, sorted by name. Errors only when `dir` cannot be read.
Result<std::vector<fs::path>> shard_files(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (is_shard_file_name(it->path().filename().string())) out.push_back(it->path());
  }
  if (ec) return Error("cannot list " + dir.string() + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

bool is_shard_file_name(const std::string& name) {
  const std::string prefix = "params_shard_", suffix = ".bin";
  if (name.size() <= prefix.size() + suffix.size()) return false;
  if (name.compare(0, prefix.size(), prefix) != 0) return false;
  if (name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) return false;
  for (size_t i = prefix.size(); i < name.size() - suffix.size(); ++i)
    if (name[i] < '0' || name[i] > '9') return false;
  return true;
}

Result<StagedOutput> StagedOutput::create(const fs::path& output) {
  std::error_code ec;
  bool created = false;
  if (fs::exists(output, ec)) {
    if (!fs::is_directory(output, ec))
      return Error("cannot write the model into " + output.string() + ": it exists and is not a directory",
                   "pass a directory path with -o");
  } else {
    // create_directories reports false (no error) if another process made it meanwhile.
    created = fs::create_directories(output, ec);
    if (ec)
      return Error("cannot create the output directory " + output.string() + ": " + ec.message());
  }
  static int counter = 0;
  for (int attempt = 0; attempt < 100; ++attempt) {
    const fs::path staging = output / (".aae-staging-" + std::to_string(::getpid()) + "-" +
                                       std::to_string(counter++));
    if (fs::create_directory(staging, ec)) return StagedOutput(output, staging, created);
    if (ec) {
      if (created) fs::remove(output, ec);
      return Error("cannot create a staging directory in " + output.string() + ": " + ec.message(),
                   "check that the output directory is writable");
    }
  }
  if (created) fs::remove(output, ec);
  return Error("cannot create a staging directory in " + output.string() +
               ": too many .aae-staging-* entries exist");
}

StagedOutput::StagedOutput(StagedOutput&& other) noexcept
    : output_(std::move(other.output_)),
      staging_(std::move(other.staging_)),
      created_output_(other.created_output_),
      active_(other.active_) {
  other.active_ = false;
}

StagedOutput::~StagedOutput() { discard(); }

void StagedOutput::discard() noexcept {
  if (!active_) return;
  active_ = false;
  std::error_code ec;
  fs::remove_all(staging_, ec);
  if (created_output_) {
    // Only what this run could have put there (if publish failed half-way), then the
    // directory itself, which is then empty unless someone else wrote into it.
    for (const char* name : kCacheIndexFiles) fs::remove(output_ / name, ec);
    auto shards = shard_files(output_);
    if (shards.ok())
      for (const auto& shard : *shards) fs::remove(shard, ec);
    fs::remove(output_, ec);
  }
}

Status StagedOutput::publish() {
  if (!active_) return Error("internal: the staged output in " + output_.string() + " is no longer active");
  std::error_code ec;
  if (!fs::is_regular_file(staging_ / "tensor-cache.json", ec))
    return Error("internal: no tensor-cache.json in " + staging_.string());

  // Old index first, so an interrupted publish never leaves a valid-looking cache behind.
  for (const char* name : kCacheIndexFiles) {
    fs::remove(output_ / name, ec);
    if (ec) return Error("cannot remove the earlier " + (output_ / name).string() + ": " + ec.message());
  }
  AAE_ASSIGN_OR_RETURN(std::vector<fs::path> stale, shard_files(output_));
  for (const auto& shard : stale) {
    fs::remove(shard, ec);
    if (ec) return Error("cannot remove the earlier shard " + shard.string() + ": " + ec.message());
  }
  AAE_ASSIGN_OR_RETURN(std::vector<fs::path> fresh, shard_files(staging_));
  for (const auto& shard : fresh) {
    fs::rename(shard, output_ / shard.filename(), ec);
    if (ec)
      return Error("cannot move " + shard.string() + " into " + output_.string() + ": " + ec.message());
  }
  fs::rename(staging_ / "tensor-cache.json", output_ / "tensor-cache.json", ec);
  if (ec)
    return Error("cannot move tensor-cache.json into " + output_.string() + ": " + ec.message());
  active_ = false;
  fs::remove_all(staging_, ec);  // now empty; a leftover is harmless
  return ok_status();
}

}  // namespace aae
