// GgufFile lookups: typed metadata accessors and tensor decoding to float32.
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "convert/source/gguf.h"
#include "runtime/base/half.h"
#include "runtime/base/mapped_file.h"

namespace aae {

std::string gguf_type_name(GgufType type) {
  switch (type) {
    case GgufType::kUInt8: return "uint8";
    case GgufType::kInt8: return "int8";
    case GgufType::kUInt16: return "uint16";
    case GgufType::kInt16: return "int16";
    case GgufType::kUInt32: return "uint32";
    case GgufType::kInt32: return "int32";
    case GgufType::kFloat32: return "float32";
    case GgufType::kBool: return "bool";
    case GgufType::kString: return "string";
    case GgufType::kArray: return "array";
    case GgufType::kUInt64: return "uint64";
    case GgufType::kInt64: return "int64";
    case GgufType::kFloat64: return "float64";
  }
  return fmt::format("unknown({})", static_cast<uint32_t>(type));
}

bool GgufValue::is_integer() const {
  switch (type) {
    case GgufType::kUInt8: case GgufType::kInt8: case GgufType::kUInt16: case GgufType::kInt16:
    case GgufType::kUInt32: case GgufType::kInt32: case GgufType::kUInt64: case GgufType::kInt64:
      return true;
    default:
      return false;
  }
}

std::string GgufValue::type_description() const {
  if (type != GgufType::kArray) return gguf_type_name(type);
  // Nested arrays: describe by the first element when there is one.
  if (array_type == GgufType::kArray && !array.empty()) return "array[" + array.front().type_description() + "]";
  return "array[" + gguf_type_name(array_type) + "]";
}

const GgufValue* GgufFile::find(std::string_view key) const {
  for (const auto& [name, value] : metadata_)
    if (name == key) return &value;
  return nullptr;
}

namespace {

bool is_integer_type(GgufType type) {
  GgufValue probe;
  probe.type = type;
  return probe.is_integer();
}
bool is_float_type(GgufType type) { return type == GgufType::kFloat32 || type == GgufType::kFloat64; }

}  // namespace

// Finds `key` or returns an error naming it; `expected` describes the wanted type.
#define AAE_GGUF_LOOKUP(var, key, expected)                                                       \
  const GgufValue* var = find(key);                                                               \
  if (var == nullptr) {                                                                           \
    return Error(fmt::format("{}: gguf metadata key '{}' is missing (expected {})", path_.string(), \
                             key, expected),                                                      \
                 "the file may be for a different architecture or written by an old exporter");   \
  }

namespace {
Error type_mismatch(const std::filesystem::path& path, std::string_view key, const GgufValue& value,
                    std::string_view expected) {
  return Error(fmt::format("{}: gguf metadata key '{}' is {}, expected {}", path.string(), key,
                           value.type_description(), expected));
}
}  // namespace

Result<std::string> GgufFile::get_string(std::string_view key) const {
  AAE_GGUF_LOOKUP(value, key, "string");
  if (value->type != GgufType::kString) return type_mismatch(path_, key, *value, "string");
  return value->string_value;
}

Result<int64_t> GgufFile::get_int(std::string_view key) const {
  AAE_GGUF_LOOKUP(value, key, "an integer");
  if (!value->is_integer()) return type_mismatch(path_, key, *value, "an integer");
  if (value->uint_overflow) {
    return Error(fmt::format("{}: gguf metadata key '{}' is a uint64 too large for int64", path_.string(), key));
  }
  return value->int_value;
}

Result<double> GgufFile::get_float(std::string_view key) const {
  AAE_GGUF_LOOKUP(value, key, "a float");
  if (value->is_float()) return value->float_value;
  if (value->is_integer()) return static_cast<double>(value->int_value);
  return type_mismatch(path_, key, *value, "a float");
}

Result<bool> GgufFile::get_bool(std::string_view key) const {
  AAE_GGUF_LOOKUP(value, key, "bool");
  if (value->type != GgufType::kBool) return type_mismatch(path_, key, *value, "bool");
  return value->bool_value;
}

// Empty arrays are accepted whatever their declared element type.
Result<std::vector<std::string>> GgufFile::get_string_array(std::string_view key) const {
  AAE_GGUF_LOOKUP(value, key, "array[string]");
  if (value->type != GgufType::kArray || (!value->array.empty() && value->array_type != GgufType::kString)) {
    return type_mismatch(path_, key, *value, "array[string]");
  }
  std::vector<std::string> out;
  out.reserve(value->array.size());
  for (const auto& element : value->array) out.push_back(element.string_value);
  return out;
}

Result<std::vector<double>> GgufFile::get_float_array(std::string_view key) const {
  AAE_GGUF_LOOKUP(value, key, "array[float32]");
  if (value->type != GgufType::kArray ||
      (!value->array.empty() && !is_float_type(value->array_type) && !is_integer_type(value->array_type))) {
    return type_mismatch(path_, key, *value, "an array of numbers");
  }
  std::vector<double> out;
  out.reserve(value->array.size());
  for (const auto& element : value->array) {
    out.push_back(element.is_float() ? element.float_value : static_cast<double>(element.int_value));
  }
  return out;
}

Result<std::vector<int64_t>> GgufFile::get_int_array(std::string_view key) const {
  AAE_GGUF_LOOKUP(value, key, "an array of integers");
  if (value->type != GgufType::kArray || (!value->array.empty() && !is_integer_type(value->array_type))) {
    return type_mismatch(path_, key, *value, "an array of integers");
  }
  std::vector<int64_t> out;
  out.reserve(value->array.size());
  for (size_t i = 0; i < value->array.size(); ++i) {
    if (value->array[i].uint_overflow) {
      return Error(fmt::format("{}: gguf metadata '{}'[{}] is a uint64 too large for int64", path_.string(), key, i));
    }
    out.push_back(value->array[i].int_value);
  }
  return out;
}

#undef AAE_GGUF_LOOKUP

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
  for (const auto& info : tensors_)
    if (info.name == name) return &info;
  return nullptr;
}

Result<std::vector<float>> GgufFile::read_f32(std::string_view name) const {
  const GgufTensorInfo* info = find_tensor(name);
  if (info == nullptr) return Error(fmt::format("{}: no tensor named '{}'", path_.string(), name));
  return read_f32(*info);
}

Result<std::vector<float>> GgufFile::read_f32(const GgufTensorInfo& info) const {
  // The converter reads each tensor once: drop its source pages afterwards so resident memory
  // stays near one tensor rather than growing to the whole file.
  struct ReleaseAfterRead {
    const MappedFile& file;
    const GgufTensorInfo& info;
    ~ReleaseAfterRead() { file.release(info.offset, info.byte_size); }
  } release_after_read{*file_, info};
  const uint8_t* bytes = file_->data() + info.offset;
  const size_t count = static_cast<size_t>(info.numel());
  auto load16 = [bytes](size_t i) {
    uint16_t bits;
    std::memcpy(&bits, bytes + 2 * i, sizeof bits);
    return bits;
  };
  std::vector<float> out;
  switch (info.type) {
    case GgmlType::kF32:
      out.resize(count);
      if (count != 0) std::memcpy(out.data(), bytes, count * sizeof(float));
      return out;
    case GgmlType::kF16:
      out.resize(count);
      for (size_t i = 0; i < count; ++i) out[i] = half_to_float(load16(i));
      return out;
    case GgmlType::kBF16:
      out.resize(count);
      for (size_t i = 0; i < count; ++i) out[i] = bfloat16_to_float(load16(i));
      return out;
    case GgmlType::kQ8_0: {
      // Blocks of 32 along each row: float16 scale d, then 32 int8 q; value = d * q.
      constexpr size_t kBlock = 32, kBlockBytes = 34;
      out.resize(count);
      for (size_t block = 0; block < count / kBlock; ++block) {
        const uint8_t* b = bytes + block * kBlockBytes;
        uint16_t d_bits;
        std::memcpy(&d_bits, b, sizeof d_bits);
        const float d = half_to_float(d_bits);
        for (size_t k = 0; k < kBlock; ++k) {
          out[block * kBlock + k] = d * static_cast<float>(static_cast<int8_t>(b[2 + k]));
        }
      }
      return out;
    }
    default:
      return Error(fmt::format("{}: tensor '{}' has ggml type {}, which this reader cannot decode", path_.string(),
                               info.name, ggml_type_name(info.type)),
                   "supported gguf tensor types are F32, F16, BF16 and Q8_0; convert from the original "
                   "Hugging Face safetensors, or re-export the gguf as F16/Q8_0 with llama.cpp");
  }
}

}  // namespace aae
