// GGUF parsing: header, metadata values, tensor infos, and bounds checks against the file size.
#include <bit>
#include <cstring>
#include <string>
#include <unordered_set>

#include <fmt/format.h>

#include "convert/source/gguf.h"
#include "runtime/base/mapped_file.h"

namespace aae {

static_assert(std::endian::native == std::endian::little, "gguf reader assumes a little-endian host");

namespace {

constexpr const char* kCorruptHint = "the file is truncated or corrupt; re-download or re-export it";
constexpr int kMaxArrayDepth = 8;       // nested arrays deeper than this are treated as corrupt
constexpr uint32_t kMaxDims = 8;        // ggml itself uses at most 4
constexpr uint64_t kMaxAlignment = 1u << 20;

// Smallest encoded size of one value of a type (0 for an invalid type): bounds element counts
// before anything is allocated.
uint64_t min_encoded_size(GgufType type) {
  switch (type) {
    case GgufType::kUInt8: case GgufType::kInt8: case GgufType::kBool: return 1;
    case GgufType::kUInt16: case GgufType::kInt16: return 2;
    case GgufType::kUInt32: case GgufType::kInt32: case GgufType::kFloat32: return 4;
    case GgufType::kUInt64: case GgufType::kInt64: case GgufType::kFloat64: return 8;
    case GgufType::kString: return 8;   // length prefix
    case GgufType::kArray: return 12;   // element type + count
  }
  return 0;
}

}  // namespace

// Parses the mapped bytes into a GgufFile. Every read goes through need(), which turns an
// out-of-range access into a "truncated" error naming what was being read.
class GgufParser {
 public:
  GgufParser(const uint8_t* data, uint64_t size, std::string file) : data_(data), size_(size), file_(std::move(file)) {}

  Status parse(GgufFile& out);

 private:
  uint64_t remaining() const { return size_ - pos_; }

  Status need(uint64_t bytes, const std::string& what) const {
    if (bytes > remaining()) {
      return Error(fmt::format("{}: truncated while reading {} at byte {} (needs {} bytes, {} remain)", file_,
                               what, pos_, bytes, remaining()),
                   kCorruptHint);
    }
    return ok_status();
  }

  template <typename T>
  Result<T> read(const std::string& what) {
    AAE_TRY(need(sizeof(T), what));
    T value;
    std::memcpy(&value, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }

  Result<std::string> read_string(const std::string& what) {
    AAE_ASSIGN_OR_RETURN(uint64_t length, read<uint64_t>(what + " length"));
    AAE_TRY(need(length, what));
    std::string text(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(length));
    pos_ += length;
    return text;
  }

  Result<GgufValue> read_value(GgufType type, const std::string& what, int depth);
  Status read_tensor_info(GgufFile& out, uint64_t index, std::unordered_set<std::string>& names);

  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
  std::string file_;
};

Result<GgufValue> GgufParser::read_value(GgufType type, const std::string& what, int depth) {
  GgufValue value;
  value.type = type;
  switch (type) {
    case GgufType::kUInt8: { AAE_ASSIGN_OR_RETURN(uint8_t v, read<uint8_t>(what)); value.int_value = v; break; }
    case GgufType::kInt8: { AAE_ASSIGN_OR_RETURN(int8_t v, read<int8_t>(what)); value.int_value = v; break; }
    case GgufType::kUInt16: { AAE_ASSIGN_OR_RETURN(uint16_t v, read<uint16_t>(what)); value.int_value = v; break; }
    case GgufType::kInt16: { AAE_ASSIGN_OR_RETURN(int16_t v, read<int16_t>(what)); value.int_value = v; break; }
    case GgufType::kUInt32: { AAE_ASSIGN_OR_RETURN(uint32_t v, read<uint32_t>(what)); value.int_value = v; break; }
    case GgufType::kInt32: { AAE_ASSIGN_OR_RETURN(int32_t v, read<int32_t>(what)); value.int_value = v; break; }
    case GgufType::kInt64: { AAE_ASSIGN_OR_RETURN(int64_t v, read<int64_t>(what)); value.int_value = v; break; }
    case GgufType::kUInt64: {
      AAE_ASSIGN_OR_RETURN(uint64_t v, read<uint64_t>(what));
      value.uint_overflow = v > static_cast<uint64_t>(INT64_MAX);
      value.int_value = value.uint_overflow ? INT64_MAX : static_cast<int64_t>(v);
      break;
    }
    case GgufType::kFloat32: { AAE_ASSIGN_OR_RETURN(float v, read<float>(what)); value.float_value = v; break; }
    case GgufType::kFloat64: { AAE_ASSIGN_OR_RETURN(double v, read<double>(what)); value.float_value = v; break; }
    case GgufType::kBool: {
      AAE_ASSIGN_OR_RETURN(uint8_t v, read<uint8_t>(what));
      if (v > 1) return Error(fmt::format("{}: {} is a bool with byte value {}, expected 0 or 1", file_, what, v), kCorruptHint);
      value.bool_value = v == 1;
      break;
    }
    case GgufType::kString: { AAE_ASSIGN_OR_RETURN(value.string_value, read_string(what)); break; }
    case GgufType::kArray: {
      if (depth >= kMaxArrayDepth) {
        return Error(fmt::format("{}: {} nests arrays more than {} deep", file_, what, kMaxArrayDepth), kCorruptHint);
      }
      AAE_ASSIGN_OR_RETURN(uint32_t element_type, read<uint32_t>(what + " element type"));
      value.array_type = static_cast<GgufType>(element_type);
      const uint64_t element_size = min_encoded_size(value.array_type);
      if (element_size == 0) {
        return Error(fmt::format("{}: {} has invalid element type {}", file_, what, element_type), kCorruptHint);
      }
      AAE_ASSIGN_OR_RETURN(uint64_t count, read<uint64_t>(what + " element count"));
      if (count > remaining() / element_size) {
        return Error(fmt::format("{}: {} claims {} elements of {}, more than the {} bytes left in the file", file_,
                                 what, count, gguf_type_name(value.array_type), remaining()),
                     kCorruptHint);
      }
      value.array.reserve(static_cast<size_t>(count));
      for (uint64_t i = 0; i < count; ++i) {
        AAE_ASSIGN_OR_RETURN(GgufValue element,
                             read_value(value.array_type, fmt::format("{}[{}]", what, i), depth + 1));
        value.array.push_back(std::move(element));
      }
      break;
    }
    default:
      return Error(fmt::format("{}: {} has invalid value type {}", file_, what, static_cast<uint32_t>(type)),
                   kCorruptHint);
  }
  return value;
}

namespace {

struct GgmlTypeInfo {
  GgmlType type;
  const char* name;
  uint32_t block_elements;  // 0: size unknown to this reader
  uint32_t block_bytes;
};

constexpr GgmlTypeInfo kGgmlTypes[] = {
    {GgmlType::kF32, "F32", 1, 4},       {GgmlType::kF16, "F16", 1, 2},
    {GgmlType::kQ4_0, "Q4_0", 32, 18},   {GgmlType::kQ4_1, "Q4_1", 32, 20},
    {GgmlType::kQ5_0, "Q5_0", 32, 22},   {GgmlType::kQ5_1, "Q5_1", 32, 24},
    {GgmlType::kQ8_0, "Q8_0", 32, 34},   {GgmlType::kQ8_1, "Q8_1", 32, 36},
    {GgmlType::kQ2_K, "Q2_K", 256, 84},  {GgmlType::kQ3_K, "Q3_K", 256, 110},
    {GgmlType::kQ4_K, "Q4_K", 256, 144}, {GgmlType::kQ5_K, "Q5_K", 256, 176},
    {GgmlType::kQ6_K, "Q6_K", 256, 210}, {GgmlType::kQ8_K, "Q8_K", 256, 292},
    {GgmlType{16}, "IQ2_XXS", 0, 0},     {GgmlType{17}, "IQ2_XS", 0, 0},
    {GgmlType{18}, "IQ3_XXS", 0, 0},     {GgmlType{19}, "IQ1_S", 0, 0},
    {GgmlType{20}, "IQ4_NL", 32, 18},    {GgmlType{21}, "IQ3_S", 0, 0},
    {GgmlType{22}, "IQ2_S", 0, 0},       {GgmlType{23}, "IQ4_XS", 256, 136},
    {GgmlType::kI8, "I8", 1, 1},         {GgmlType::kI16, "I16", 1, 2},
    {GgmlType::kI32, "I32", 1, 4},       {GgmlType::kI64, "I64", 1, 8},
    {GgmlType::kF64, "F64", 1, 8},       {GgmlType{29}, "IQ1_M", 0, 0},
    {GgmlType::kBF16, "BF16", 1, 2},     {GgmlType{34}, "TQ1_0", 0, 0},
    {GgmlType{35}, "TQ2_0", 0, 0},       {GgmlType{39}, "MXFP4", 0, 0},
};

const GgmlTypeInfo* find_ggml_type(GgmlType type) {
  for (const auto& info : kGgmlTypes)
    if (info.type == type) return &info;
  return nullptr;
}

}  // namespace

std::string ggml_type_name(GgmlType type) {
  const GgmlTypeInfo* info = find_ggml_type(type);
  return info ? info->name : fmt::format("type {}", static_cast<uint32_t>(type));
}

Status GgufParser::read_tensor_info(GgufFile& out, uint64_t index, std::unordered_set<std::string>& names) {
  const std::string what = fmt::format("tensor info #{}", index);
  GgufTensorInfo info;
  AAE_ASSIGN_OR_RETURN(info.name, read_string(what + " name"));
  if (!names.insert(info.name).second) {
    return Error(fmt::format("{}: tensor '{}' is listed twice", file_, info.name), kCorruptHint);
  }
  const std::string named = fmt::format("tensor '{}'", info.name);
  AAE_ASSIGN_OR_RETURN(uint32_t n_dims, read<uint32_t>(named + " dimension count"));
  if (n_dims > kMaxDims) {
    return Error(fmt::format("{}: {} has {} dimensions (at most {} supported)", file_, named, n_dims, kMaxDims),
                 kCorruptHint);
  }
  info.shape.resize(n_dims);
  uint64_t numel = 1;
  for (uint32_t i = 0; i < n_dims; ++i) {
    AAE_ASSIGN_OR_RETURN(uint64_t dim, read<uint64_t>(named + " dimension"));
    // Bound numel by the file size in bits so element counts never overflow.
    if (dim != 0 && numel > (uint64_t{1} << 62) / dim) {
      return Error(fmt::format("{}: {} has an impossibly large shape", file_, named), kCorruptHint);
    }
    numel *= dim;
    info.shape[n_dims - 1 - i] = static_cast<int64_t>(dim);  // GGUF lists the fastest dim first
  }
  AAE_ASSIGN_OR_RETURN(uint32_t type, read<uint32_t>(named + " type"));
  info.type = static_cast<GgmlType>(type);
  AAE_ASSIGN_OR_RETURN(info.offset, read<uint64_t>(named + " data offset"));
  if (const GgmlTypeInfo* type_info = find_ggml_type(info.type); type_info && type_info->block_elements != 0) {
    const int64_t row = info.shape.empty() ? 1 : info.shape.back();
    if (row % type_info->block_elements != 0) {
      return Error(fmt::format("{}: {} of type {} has rows of {} elements, not a multiple of its block size {}",
                               file_, named, type_info->name, row, type_info->block_elements),
                   kCorruptHint);
    }
    info.byte_size = numel / type_info->block_elements * type_info->block_bytes;
  }
  out.tensors_.push_back(std::move(info));
  return ok_status();
}

Status GgufParser::parse(GgufFile& out) {
  AAE_TRY(need(4, "the magic"));
  if (std::memcmp(data_, "GGUF", 4) != 0) {
    std::string shown;
    for (int i = 0; i < 4; ++i) {
      const char c = static_cast<char>(data_[i]);
      shown += (c >= 0x20 && c < 0x7f) ? std::string(1, c) : fmt::format("\\x{:02x}", data_[i]);
    }
    return Error(fmt::format("{}: not a gguf file (magic is '{}', expected 'GGUF')", file_, shown),
                 "pass a .gguf file written by llama.cpp");
  }
  pos_ = 4;
  AAE_ASSIGN_OR_RETURN(out.version_, read<uint32_t>("the version"));
  if (out.version_ != 2 && out.version_ != 3) {
    const bool byte_swapped = (out.version_ & 0xffffu) == 0 && out.version_ != 0;
    return Error(fmt::format("{}: gguf version {} is not supported (only 2 and 3)", file_,
                             byte_swapped ? std::string("(big-endian)") : std::to_string(out.version_)),
                 byte_swapped ? "big-endian gguf files are not supported; use a little-endian export"
                 : out.version_ == 1 ? "gguf v1 is obsolete; re-export the model with a current llama.cpp"
                                     : "re-export the model with a llama.cpp release that writes gguf v3");
  }
  AAE_ASSIGN_OR_RETURN(uint64_t tensor_count, read<uint64_t>("the tensor count"));
  AAE_ASSIGN_OR_RETURN(uint64_t kv_count, read<uint64_t>("the metadata count"));
  // Each metadata pair takes at least 13 bytes (key length, type, 1-byte value); each tensor
  // info at least 24 (name length, dim count, type, offset).
  if (kv_count > remaining() / 13 || tensor_count > remaining() / 24) {
    return Error(fmt::format("{}: header claims {} metadata entries and {} tensors, more than the {}-byte file can hold",
                             file_, kv_count, tensor_count, size_),
                 kCorruptHint);
  }
  out.metadata_.reserve(static_cast<size_t>(kv_count));
  std::unordered_set<std::string> keys;
  for (uint64_t i = 0; i < kv_count; ++i) {
    AAE_ASSIGN_OR_RETURN(std::string key, read_string(fmt::format("metadata key #{}", i)));
    if (!keys.insert(key).second) {
      return Error(fmt::format("{}: metadata key '{}' appears twice", file_, key), kCorruptHint);
    }
    const std::string what = fmt::format("metadata '{}'", key);
    AAE_ASSIGN_OR_RETURN(uint32_t type, read<uint32_t>(what + " type"));
    AAE_ASSIGN_OR_RETURN(GgufValue value, read_value(static_cast<GgufType>(type), what, 0));
    out.metadata_.emplace_back(std::move(key), std::move(value));
  }

  if (const GgufValue* alignment = out.find("general.alignment")) {
    if (!alignment->is_integer() || alignment->int_value <= 0 ||
        static_cast<uint64_t>(alignment->int_value) > kMaxAlignment) {
      return Error(fmt::format("{}: general.alignment must be an integer in [1, {}]", file_, kMaxAlignment),
                   kCorruptHint);
    }
    out.alignment_ = static_cast<uint64_t>(alignment->int_value);
  }

  std::unordered_set<std::string> names;
  out.tensors_.reserve(static_cast<size_t>(tensor_count));
  for (uint64_t i = 0; i < tensor_count; ++i) AAE_TRY(read_tensor_info(out, i, names));

  // Tensor data starts at the next multiple of the alignment; offsets are relative to it.
  const uint64_t data_start = (pos_ + out.alignment_ - 1) / out.alignment_ * out.alignment_;
  for (auto& info : out.tensors_) {
    if (info.offset % out.alignment_ != 0) {
      return Error(fmt::format("{}: tensor '{}' offset {} is not a multiple of the alignment {}", file_, info.name,
                               info.offset, out.alignment_),
                   kCorruptHint);
    }
    if (data_start > size_ || info.offset > size_ - data_start || info.byte_size > size_ - data_start - info.offset) {
      return Error(fmt::format("{}: tensor '{}' ({} bytes at data offset {}) extends past the end of the {}-byte file",
                               file_, info.name, info.byte_size, info.offset, size_),
                   kCorruptHint);
    }
    info.offset += data_start;
  }
  return ok_status();
}

Result<GgufFile> GgufFile::open(const std::filesystem::path& path) {
  AAE_ASSIGN_OR_RETURN(MappedFile mapped, MappedFile::open(path.string()));
  GgufFile out;
  out.path_ = path;
  auto file = std::make_shared<const MappedFile>(std::move(mapped));
  GgufParser parser(file->data(), file->size(), path.string());
  AAE_TRY(parser.parse(out));
  out.file_ = std::move(file);
  return out;
}

std::span<const uint8_t> GgufFile::tensor_bytes(const GgufTensorInfo& info) const {
  return {file_->data() + info.offset, static_cast<size_t>(info.byte_size)};
}

}  // namespace aae
