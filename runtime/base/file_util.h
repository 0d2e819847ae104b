// Whole-file reads and crash-safe writes. A reader never sees a half-written file: data goes
// to a temp file in the destination's directory (so rename stays on one filesystem), is
// fsynced, then renamed over the final path.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include "runtime/base/status.h"

namespace aae {

// The whole file as bytes. Errors name the file and the errno text.
Result<std::string> read_file(const std::string& path);

// Replaces `path` with `bytes` atomically. On failure the temp file is removed, `path` is left
// as it was, and the error names `path`.
Status write_file_atomic(const std::string& path, std::string_view bytes);

// Removes a directory tree when it goes out of scope (work folders on every path out of a
// function, error paths included). Errors while removing are ignored.
struct RemoveTreeOnExit {
  explicit RemoveTreeOnExit(std::filesystem::path tree) : path(std::move(tree)) {}
  std::filesystem::path path;  // empty: nothing to remove
  RemoveTreeOnExit(const RemoveTreeOnExit&) = delete;
  RemoveTreeOnExit& operator=(const RemoveTreeOnExit&) = delete;
  ~RemoveTreeOnExit();
};

// Streams a large file into place atomically. The temp file is ".<name>.tmp-<pid>-<n>" beside
// the final path; destroying the writer without a successful commit() removes it. Move-only.
class AtomicFileWriter {
 public:
  static Result<AtomicFileWriter> create(const std::string& final_path);

  AtomicFileWriter(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter& operator=(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  ~AtomicFileWriter();

  // Appends `size` bytes. After any failure the writer is closed and its temp file removed.
  Status write(const void* data, size_t size);
  // fsync, close, rename over the final path. Call at most once.
  Status commit();

  const std::string& final_path() const { return final_path_; }
  const std::string& temp_path() const { return temp_path_; }

 private:
  AtomicFileWriter(std::string final_path, std::string temp_path, int fd)
      : final_path_(std::move(final_path)), temp_path_(std::move(temp_path)), fd_(fd) {}
  // Closes the descriptor and removes the temp file (if still open).
  void abandon();
  Error fail(const std::string& what, int error_number);

  std::string final_path_;
  std::string temp_path_;
  int fd_ = -1;  // -1 once committed, abandoned or moved from
};

}  // namespace aae
