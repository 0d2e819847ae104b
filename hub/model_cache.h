// The on-disk side of downloads: is a cached model complete, digests of a finished file, and
// the per-repo lock that keeps two processes from downloading the same repo at once.
#pragma once

#include <filesystem>
#include <string>

#include "runtime/base/file_lock.h"
#include "runtime/base/status.h"

namespace aae::hub {

// A cached model directory is usable when its chat config and tensor cache parse, every
// tokenizer file is present and every shard has its recorded size (and md5 when `verify_md5`).
Status check_cached_model(const std::filesystem::path& dir, bool verify_md5);

struct FileDigests {
  int64_t size = 0;
  std::string md5;     // lowercase hex
  std::string sha256;  // lowercase hex; empty unless asked for
};
// md5 (and sha256 when `with_sha256`; it costs ~2x the md5) of a file in one pass.
Result<FileDigests> digest_file(const std::filesystem::path& path, bool with_sha256);

// The per-repo download lock: an exclusive flock held until destruction (runtime/base/file_lock.h).
using RepoLock = aae::FileLock;

// Moves the complete `staging` directory to `final_dir` with rename(2): a reader sees either
// the old directory or the whole new one. An existing `final_dir` (REDO) is moved aside first
// and deleted afterwards.
Status promote_directory(const std::filesystem::path& staging, const std::filesystem::path& final_dir);

}  // namespace aae::hub
