// Read-only memory mapping of a whole file, so multi-gigabyte weight shards are read without
// copying them into the heap. Move-only; the mapping lives as long as the object.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "runtime/base/status.h"

namespace aae {

class MappedFile {
 public:
  // Maps `path` read-only. An empty file is fine: data() == nullptr, size() == 0.
  // Errors (missing file, not a regular file, mmap failure) name the file and the errno text.
  static Result<MappedFile> open(const std::string& path);

  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  // Pointer to size() bytes, valid until this object is destroyed or moved from.
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

  // Tells the kernel that bytes [offset, offset + size) will not be read again soon, so their
  // pages leave this process's resident set (a streaming reader's memory stays near one tensor).
  // The data stays readable: a later read pages it back in. Only whole pages inside the range
  // are released.
  void release(size_t offset, size_t size) const;

 private:
  MappedFile(std::string path, const uint8_t* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  void unmap();

  std::string path_;
  const uint8_t* data_ = nullptr;  // owned mapping, or nullptr for an empty file
  size_t size_ = 0;
};

}  // namespace aae
