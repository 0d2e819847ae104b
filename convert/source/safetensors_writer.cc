#include "convert/source/safetensors_writer.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

namespace aae {

// The data region is written from host memory as is; safetensors is little-endian.
static_assert(std::endian::native == std::endian::little, "safetensors writer assumes a little-endian host");

namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

}  // namespace

std::string_view safetensors_dtype_code(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return "F32";
    case DType::kFloat16: return "F16";
    case DType::kBFloat16: return "BF16";
    case DType::kUInt32: return "U32";
    case DType::kInt32: return "I32";
    case DType::kInt8: return "I8";
    case DType::kUInt8: return "U8";
  }
  return "UNKNOWN";
}

std::optional<uint64_t> SafetensorsEntry::byte_size() const {
  uint64_t total = dtype_size(dtype);
  for (int64_t dim : shape) {
    if (dim < 0) return std::nullopt;
    const auto d = static_cast<uint64_t>(dim);
    if (d != 0 && total > std::numeric_limits<uint64_t>::max() / d) return std::nullopt;
    total *= d;
  }
  return total;
}

std::vector<SafetensorsEntry> safetensors_data_order(std::vector<SafetensorsEntry> entries) {
  std::stable_sort(entries.begin(), entries.end(), [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
    return dtype_size(a.dtype) > dtype_size(b.dtype);
  });
  return entries;
}

Result<std::string> safetensors_header(const std::vector<SafetensorsEntry>& entries,
                                       const std::map<std::string, std::string>& metadata) {
  // ordered_json keeps "__metadata__" first and tensors in data order, as other writers do.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto& [key, value] : metadata) meta[key] = value;
    header["__metadata__"] = std::move(meta);
  }
  std::set<std::string_view> seen;
  uint64_t offset = 0;
  for (const auto& entry : entries) {
    if (entry.name.empty()) return Error("safetensors tensor has an empty name");
    if (entry.name == "__metadata__") {
      return Error("safetensors tensor may not be named \"__metadata__\"",
                   "that key holds the file's string metadata");
    }
    if (!seen.insert(entry.name).second) return Error("safetensors tensor '" + entry.name + "' is added twice");
    const std::optional<uint64_t> size = entry.byte_size();
    if (!size || offset > std::numeric_limits<uint64_t>::max() - *size) {
      return Error("safetensors tensor '" + entry.name + "' has an invalid shape " + shape_text(entry.shape),
                   "dimensions must be non-negative and the size must fit in 64 bits");
    }
    nlohmann::ordered_json info = nlohmann::ordered_json::object();
    info["dtype"] = std::string(safetensors_dtype_code(entry.dtype));
    info["shape"] = entry.shape;
    info["data_offsets"] = {offset, offset + *size};
    header[entry.name] = std::move(info);
    offset += *size;
  }
  std::string json = header.dump();
  // Pad with spaces (valid JSON whitespace) so the data region starts 8-byte aligned.
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  uint64_t length = json.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((length >> (8 * i)) & 0xffu);
  return out + json;
}

// ---- SafetensorsWriter ----

void SafetensorsWriter::add(std::string name, DType dtype, std::vector<int64_t> shape,
                            std::vector<uint8_t> bytes) {
  tensors_.push_back(Tensor{SafetensorsEntry{std::move(name), dtype, std::move(shape)}, std::move(bytes)});
}

Status SafetensorsWriter::write(const std::string& path,
                                const std::map<std::string, std::string>& metadata) const {
  std::vector<SafetensorsEntry> entries;
  entries.reserve(tensors_.size());
  for (const auto& tensor : tensors_) {
    const std::optional<uint64_t> expected = tensor.entry.byte_size();
    if (expected && *expected != tensor.bytes.size()) {
      return Error("cannot write " + path + ": tensor '" + tensor.entry.name + "' has " +
                   std::to_string(tensor.bytes.size()) + " bytes, expected " + std::to_string(*expected) +
                   " for shape " + shape_text(tensor.entry.shape) + " " +
                   std::string(dtype_name(tensor.entry.dtype)));
    }
    entries.push_back(tensor.entry);
  }
  auto writer = SafetensorsStreamWriter::create(path, std::move(entries), metadata);
  if (!writer.ok()) return std::move(writer).error();
  // The stream writer's order is the data order; find each tensor's bytes by name.
  std::map<std::string_view, const std::vector<uint8_t>*> by_name;
  for (const auto& tensor : tensors_) by_name[tensor.entry.name] = &tensor.bytes;
  for (const auto& entry : writer->tensors()) {
    const std::vector<uint8_t>& bytes = *by_name.at(entry.name);
    AAE_TRY(writer->append(bytes.data(), bytes.size()));
  }
  return writer->commit();
}

// ---- SafetensorsStreamWriter ----

Result<SafetensorsStreamWriter> SafetensorsStreamWriter::create(
    const std::string& path, std::vector<SafetensorsEntry> entries,
    const std::map<std::string, std::string>& metadata) {
  entries = safetensors_data_order(std::move(entries));
  auto header = safetensors_header(entries, metadata);
  if (!header.ok()) return std::move(header).error().context("cannot write " + path);
  std::vector<uint64_t> sizes;
  sizes.reserve(entries.size());
  for (const auto& entry : entries) sizes.push_back(*entry.byte_size());  // validated by the header
  AAE_ASSIGN_OR_RETURN(AtomicFileWriter file, AtomicFileWriter::create(path));
  AAE_TRY(file.write(header->data(), header->size()));
  SafetensorsStreamWriter writer(std::move(file), std::move(entries), std::move(sizes));
  writer.skip_empty_tensors();
  return writer;
}

void SafetensorsStreamWriter::skip_empty_tensors() {
  while (current_ < entries_.size() && written_in_current_ == sizes_[current_]) {
    ++current_;
    written_in_current_ = 0;
  }
}

Status SafetensorsStreamWriter::append(const void* data, size_t size) {
  if (size == 0) return ok_status();
  if (current_ >= entries_.size()) {
    return Error("cannot write " + file_.final_path() + ": " + std::to_string(size) +
                 " bytes appended after the last tensor");
  }
  const uint64_t remaining = sizes_[current_] - written_in_current_;
  if (size > remaining) {
    return Error("cannot write " + file_.final_path() + ": tensor '" + entries_[current_].name + "' needs " +
                 std::to_string(remaining) + " more bytes but " + std::to_string(size) + " were appended");
  }
  AAE_TRY(file_.write(data, size));
  written_in_current_ += size;
  skip_empty_tensors();
  return ok_status();
}

Status SafetensorsStreamWriter::commit() {
  if (current_ < entries_.size()) {
    const std::string path = file_.final_path();
    const std::string name = entries_[current_].name;
    const uint64_t missing = sizes_[current_] - written_in_current_;
    { AtomicFileWriter discard = std::move(file_); }  // removes the temp file now
    return Error("cannot write " + path + ": tensor '" + name + "' is missing " +
                 std::to_string(missing) + " bytes (and " + std::to_string(entries_.size() - current_ - 1) +
                 " tensors after it were not written)");
  }
  return file_.commit();
}

}  // namespace aae
