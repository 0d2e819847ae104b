// MD5 (RFC 1321), streaming. Used to check downloaded shards against the md5 MLC records
// in tensor-cache.json; not for anything security-related.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "runtime/base/status.h"

namespace aae {

class Md5 {
 public:
  Md5();

  // Feeds `size` bytes; may be called any number of times with any chunking.
  void update(const void* data, size_t size);

  // The digest of everything fed so far: 32 lowercase hex chars. Finalizes a copy of the
  // state, so calling it twice (or updating afterwards) is harmless.
  std::string hex_digest() const;

 private:
  void process_block(const uint8_t* block);

  uint32_t state_[4];
  uint64_t total_bytes_ = 0;
  uint8_t buffer_[64];
  size_t buffered_ = 0;  // bytes of buffer_ in use, < 64
};

// MD5 of a whole file, read in 1 MiB chunks. Errors name the file and the errno text.
Result<std::string> md5_file(const std::string& path);

}  // namespace aae
