// Writer for Hugging Face safetensors files.
//
// File layout: 8-byte little-endian header length N, then N bytes of JSON
//   {"__metadata__": {...}, "<name>": {"dtype": "F32", "shape": [...], "data_offsets": [b, e]}, ...}
// padded with spaces so the data region starts on an 8-byte boundary, then the data region.
// Offsets are relative to the data region; tensors are contiguous (no gaps), as the format's
// validators require. So that every tensor stays aligned to its element size, data is laid out
// by element size, largest first, keeping the order tensors were given within one size.
//
// Two ways to write: SafetensorsWriter keeps every tensor in memory and writes the file in one go;
// SafetensorsStreamWriter writes the header first and then takes the data piece by piece, so a
// multi-gigabyte file never has to fit in memory. Both write atomically (temp file + rename).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/file_util.h"
#include "runtime/base/status.h"
#include "runtime/format/dtype.h"

namespace aae {

// The safetensors dtype code of a DType: "F32", "F16", "BF16", "U32", "I32", "I8", "U8".
std::string_view safetensors_dtype_code(DType dtype);

// One tensor's header entry. Shape is row-major, outermost first; bytes are little-endian.
struct SafetensorsEntry {
  std::string name;
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;

  // Elements times element size; nullopt if a dimension is negative or the size overflows.
  std::optional<uint64_t> byte_size() const;
};

// The entries in data-region order (largest element size first, stable otherwise).
std::vector<SafetensorsEntry> safetensors_data_order(std::vector<SafetensorsEntry> entries);

// Bytes from the start of the file to the start of the data region: the 8-byte length prefix
// plus the padded header, for `entries` laid out by safetensors_data_order(). Fails on empty or
// duplicate names, a name equal to "__metadata__", or negative/overflowing shapes.
Result<std::string> safetensors_header(const std::vector<SafetensorsEntry>& entries,
                                       const std::map<std::string, std::string>& metadata);

// Collects tensors in memory, then writes one file.
class SafetensorsWriter {
 public:
  // Takes ownership of `bytes`. A size that does not match shape and dtype, or a repeated name,
  // is reported by write() (add() cannot fail, so callers can chain adds).
  void add(std::string name, DType dtype, std::vector<int64_t> shape, std::vector<uint8_t> bytes);

  // Writes the file atomically. "__metadata__" is omitted when `metadata` is empty.
  Status write(const std::string& path, const std::map<std::string, std::string>& metadata = {}) const;

  size_t size() const { return tensors_.size(); }

 private:
  struct Tensor {
    SafetensorsEntry entry;
    std::vector<uint8_t> bytes;
  };
  std::vector<Tensor> tensors_;
};

// Writes a file whose tensor list is known up front and whose data arrives in order.
// Usage: create(); for each entry of tensors() append() exactly its byte_size() bytes (in any
// number of pieces); commit(). Destroying the writer before commit() removes the temp file.
class SafetensorsStreamWriter {
 public:
  static Result<SafetensorsStreamWriter> create(const std::string& path,
                                                std::vector<SafetensorsEntry> entries,
                                                const std::map<std::string, std::string>& metadata = {});

  // The tensors in the order their data must be appended.
  const std::vector<SafetensorsEntry>& tensors() const { return entries_; }
  // Index into tensors() of the tensor the next append() continues; tensors().size() when done.
  size_t current_tensor() const { return current_; }

  // Appends data of the current tensor, moving on to the next when it is complete. A piece may
  // not run past the end of the current tensor (pieces never straddle two tensors), so a caller
  // bug shows up as an error naming the tensor rather than as shifted data.
  Status append(const void* data, size_t size);
  // Fails (and removes the temp file) unless every tensor's data was appended.
  Status commit();

 private:
  SafetensorsStreamWriter(AtomicFileWriter file, std::vector<SafetensorsEntry> entries,
                          std::vector<uint64_t> sizes)
      : file_(std::move(file)), entries_(std::move(entries)), sizes_(std::move(sizes)) {}
  void skip_empty_tensors();

  AtomicFileWriter file_;
  std::vector<SafetensorsEntry> entries_;
  std::vector<uint64_t> sizes_;  // byte size of each entry
  size_t current_ = 0;
  uint64_t written_in_current_ = 0;
};

}  // namespace aae
