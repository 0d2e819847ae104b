#include "convert/source/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "runtime/base/half.h"
#include "runtime/base/mapped_file.h"

namespace aae {
namespace {

namespace fs = std::filesystem;

// The data region is decoded by memcpy of little-endian words.
static_assert(std::endian::native == std::endian::little, "safetensors reader assumes a little-endian host");

constexpr const char* kTruncatedHint =
    "the file is truncated or is not a safetensors file; re-download or re-save it";
constexpr const char* kDTypeHint =
    "supported safetensors dtypes are F32, F16 and BF16; re-save the checkpoint in one of them "
    "(e.g. model.to(torch.float16).save_pretrained(dir))";

std::optional<DType> safetensors_dtype(std::string_view name) {
  if (name == "F32") return DType::kFloat32;
  if (name == "F16") return DType::kFloat16;
  if (name == "BF16") return DType::kBFloat16;
  return std::nullopt;
}

// Where one tensor's bytes live.
struct Location {
  size_t shard = 0;     // index into SafetensorsSource::files_
  uint64_t begin = 0;   // absolute byte offset within the shard file
  uint64_t length = 0;  // bytes
};

class SafetensorsSource final : public TensorSource {
 public:
  explicit SafetensorsSource(std::string description) : description_(std::move(description)) {}

  std::string describe() const override { return description_; }
  const std::vector<SourceTensor>& tensors() const override { return tensors_; }

  Result<std::vector<float>> read_f32(std::string_view name) const override {
    const auto it = index_.find(std::string(name));
    if (it == index_.end()) {
      return Error(fmt::format("{}: no tensor named '{}'", description_, name));
    }
    const SourceTensor& tensor = tensors_[it->second];
    const Location& where = locations_[it->second];
    const uint8_t* bytes = files_[where.shard].data() + where.begin;
    const size_t count = static_cast<size_t>(tensor.numel());
    std::vector<float> out(count);
    switch (tensor.dtype) {
      case DType::kFloat32:
        if (count != 0) std::memcpy(out.data(), bytes, count * sizeof(float));
        break;
      case DType::kFloat16:
      case DType::kBFloat16: {
        const bool is_half = tensor.dtype == DType::kFloat16;
        for (size_t i = 0; i < count; ++i) {
          uint16_t bits;
          std::memcpy(&bits, bytes + 2 * i, sizeof bits);
          out[i] = is_half ? half_to_float(bits) : bfloat16_to_float(bits);
        }
        break;
      }
      default:  // open() admits only the three types above
        return Error(fmt::format("{}: tensor '{}' has unsupported dtype {}", files_[where.shard].path(),
                                 name, dtype_name(tensor.dtype)));
    }
    // Each tensor is read once during conversion: let its source pages go so resident memory
    // stays near one tensor instead of growing to the whole checkpoint.
    files_[where.shard].release(where.begin, count * dtype_size(tensor.dtype));
    return out;
  }

  // Maps one shard and adds its tensors (validated); errors name the file.
  Status add_shard(const fs::path& file);

  // For the sharded case: the tensor must exist and live in the shard named `file_name`.
  Status check_listed(const std::string& tensor_name, const std::string& file_name,
                      const fs::path& index_path) const {
    const auto it = index_.find(tensor_name);
    if (it == index_.end()) {
      return Error(fmt::format("{}: weight_map lists tensor '{}' in '{}', but that shard has no such tensor",
                               index_path.string(), tensor_name, file_name),
                   "the index does not match the shards; re-download the checkpoint");
    }
    const std::string& actual = files_[locations_[it->second].shard].path();
    if (fs::path(actual).filename() != fs::path(file_name).filename()) {
      return Error(fmt::format("{}: weight_map lists tensor '{}' in '{}', but it is in '{}'",
                               index_path.string(), tensor_name, file_name, actual),
                   "the index does not match the shards; re-download the checkpoint");
    }
    return ok_status();
  }

 private:
  Status add_tensor(const std::string& file, size_t shard, const std::string& name,
                    const nlohmann::json& entry, uint64_t data_start, uint64_t data_size);

  std::string description_;
  std::vector<MappedFile> files_;
  std::vector<SourceTensor> tensors_;
  std::vector<Location> locations_;  // parallel to tensors_
  std::unordered_map<std::string, size_t> index_;
};

// A non-negative JSON integer, or nullopt.
std::optional<uint64_t> json_uint(const nlohmann::json& value) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer() && value.get<int64_t>() >= 0) return static_cast<uint64_t>(value.get<int64_t>());
  return std::nullopt;
}

Status SafetensorsSource::add_tensor(const std::string& file, size_t shard, const std::string& name,
                                     const nlohmann::json& entry, uint64_t data_start,
                                     uint64_t data_size) {
  auto fail = [&](const std::string& what, std::string hint = kTruncatedHint) {
    return Error(fmt::format("{}: tensor '{}': {}", file, name, what), std::move(hint));
  };
  if (!entry.is_object()) return fail(fmt::format("header entry is {}, expected an object", entry.type_name()));
  const auto dtype_it = entry.find("dtype");
  const auto shape_it = entry.find("shape");
  const auto offsets_it = entry.find("data_offsets");
  if (dtype_it == entry.end() || !dtype_it->is_string()) return fail("missing string field 'dtype'");
  if (shape_it == entry.end() || !shape_it->is_array()) return fail("missing array field 'shape'");
  if (offsets_it == entry.end() || !offsets_it->is_array() || offsets_it->size() != 2) {
    return fail("'data_offsets' must be an array [begin, end]");
  }
  const std::string dtype_text = dtype_it->get<std::string>();
  const std::optional<DType> dtype = safetensors_dtype(dtype_text);
  if (!dtype) return fail(fmt::format("dtype {} is not supported", dtype_text), kDTypeHint);

  SourceTensor tensor{name, *dtype, {}};
  // numel is kept below 2^62 so numel * element size cannot overflow.
  uint64_t numel = 1;
  for (const auto& dim : *shape_it) {
    const std::optional<uint64_t> d = json_uint(dim);
    if (!d) return fail(fmt::format("shape {} has an entry that is not a non-negative integer", shape_it->dump()));
    if (*d != 0 && numel > (uint64_t{1} << 62) / *d) return fail(fmt::format("shape {} is too large", shape_it->dump()));
    numel *= *d;
    tensor.shape.push_back(static_cast<int64_t>(*d));
  }
  const std::optional<uint64_t> begin = json_uint((*offsets_it)[0]);
  const std::optional<uint64_t> end = json_uint((*offsets_it)[1]);
  if (!begin || !end) return fail("data_offsets must be non-negative integers");
  if (*begin > *end || *end > data_size) {
    return fail(fmt::format("data_offsets [{}, {}] lie outside the data region of {} bytes", *begin, *end,
                            data_size));
  }
  const uint64_t expected = numel * dtype_size(*dtype);
  if (*end - *begin != expected) {
    return fail(fmt::format("data_offsets [{}, {}] span {} bytes, but shape {} of {} needs {} bytes", *begin,
                            *end, *end - *begin, shape_it->dump(), dtype_text, expected));
  }
  if (const auto it = index_.find(name); it != index_.end()) {
    return Error(fmt::format("tensor '{}' appears in both '{}' and '{}'", name,
                             files_[locations_[it->second].shard].path(), file),
                 "each tensor must be stored in exactly one shard; re-download the checkpoint");
  }
  index_.emplace(name, tensors_.size());
  tensors_.push_back(std::move(tensor));
  locations_.push_back(Location{shard, data_start + *begin, expected});
  return ok_status();
}

Status SafetensorsSource::add_shard(const fs::path& path) {
  AAE_ASSIGN_OR_RETURN(MappedFile mapped, MappedFile::open(path.string()));
  const std::string file = path.string();
  const uint64_t size = mapped.size();
  if (size < 8) {
    return Error(fmt::format("{}: file is {} bytes, too small for a safetensors header", file, size),
                 kTruncatedHint);
  }
  uint64_t header_length;
  std::memcpy(&header_length, mapped.data(), sizeof header_length);
  if (header_length > size - 8) {
    return Error(fmt::format("{}: header length {} overflows the file ({} bytes after the length field)", file,
                             header_length, size - 8),
                 kTruncatedHint);
  }
  nlohmann::json header;
  try {
    const char* text = reinterpret_cast<const char*>(mapped.data() + 8);
    header = nlohmann::json::parse(text, text + header_length);
  } catch (const nlohmann::json::exception& e) {
    return Error(fmt::format("{}: header is not valid JSON: {}", file, e.what()), kTruncatedHint);
  }
  if (!header.is_object()) {
    return Error(fmt::format("{}: header is a JSON {}, expected an object", file, header.type_name()),
                 kTruncatedHint);
  }
  const uint64_t data_start = 8 + header_length;
  const size_t shard = files_.size();
  files_.push_back(std::move(mapped));
  // Keep storage order (by offset) so iteration reads each file front to back.
  std::vector<std::pair<uint64_t, std::string>> order;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    const nlohmann::json* offsets =
        entry.is_object() && entry.contains("data_offsets") ? &entry.at("data_offsets") : nullptr;
    uint64_t begin = 0;
    if (offsets && offsets->is_array() && !offsets->empty()) begin = json_uint((*offsets)[0]).value_or(0);
    order.emplace_back(begin, name);
  }
  std::sort(order.begin(), order.end());
  for (const auto& [begin, name] : order) {
    AAE_TRY(add_tensor(file, shard, name, header[name], data_start, size - data_start));
  }
  return ok_status();
}

Result<nlohmann::json> read_json_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(fmt::format("{}: cannot open for reading", path.string()));
  std::stringstream buffer;
  buffer << in.rdbuf();
  try {
    return nlohmann::json::parse(buffer.str());
  } catch (const nlohmann::json::exception& e) {
    return Error(fmt::format("{}: not valid JSON: {}", path.string(), e.what()),
                 "the file is truncated or corrupt; re-download it");
  }
}

Result<std::unique_ptr<TensorSource>> open_sharded(const fs::path& model_dir, const fs::path& index_path) {
  AAE_ASSIGN_OR_RETURN(nlohmann::json index, read_json_file(index_path));
  const std::string where = index_path.string();
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
    return Error(fmt::format("{}: missing object 'weight_map'", where),
                 "a sharded checkpoint index maps every tensor name to its shard file");
  }
  const nlohmann::json& weight_map = index["weight_map"];
  std::vector<std::string> shard_names;  // in order of first appearance
  for (const auto& [tensor, file] : weight_map.items()) {
    if (!file.is_string()) {
      return Error(fmt::format("{}: weight_map['{}'] is {}, expected a file name", where, tensor, file.type_name()));
    }
    const std::string name = file.get<std::string>();
    const fs::path relative(name);
    if (name.empty() || relative.is_absolute() || name.find("..") != std::string::npos) {
      return Error(fmt::format("{}: weight_map['{}'] = '{}' is not a file name inside the model directory",
                               where, tensor, name));
    }
    if (std::find(shard_names.begin(), shard_names.end(), name) == shard_names.end()) shard_names.push_back(name);
  }
  if (shard_names.empty()) return Error(fmt::format("{}: weight_map is empty", where));
  for (const auto& name : shard_names) {
    std::error_code ec;
    if (!fs::is_regular_file(model_dir / name, ec)) {
      return Error(fmt::format("{}: shard '{}' listed in weight_map does not exist", where,
                               (model_dir / name).string()),
                   "download every shard file listed in the index");
    }
  }
  auto source = std::make_unique<SafetensorsSource>(
      fmt::format("{} ({} safetensors shards)", model_dir.string(), shard_names.size()));
  for (const auto& name : shard_names) AAE_TRY(source->add_shard(model_dir / name));
  for (const auto& [tensor, file] : weight_map.items()) {
    AAE_TRY(source->check_listed(tensor, file.get<std::string>(), index_path));
  }
  return std::unique_ptr<TensorSource>(std::move(source));
}

}  // namespace

Result<std::unique_ptr<TensorSource>> open_safetensors_file(const fs::path& file) {
  auto source = std::make_unique<SafetensorsSource>(file.string());
  AAE_TRY(source->add_shard(file));
  return std::unique_ptr<TensorSource>(std::move(source));
}

Result<std::unique_ptr<TensorSource>> open_safetensors(const fs::path& model_dir) {
  std::error_code ec;
  if (fs::is_regular_file(model_dir, ec)) return open_safetensors_file(model_dir);
  const fs::path single = model_dir / "model.safetensors";
  if (fs::is_regular_file(single, ec)) return open_safetensors_file(single);
  const fs::path index = model_dir / "model.safetensors.index.json";
  if (fs::is_regular_file(index, ec)) return open_sharded(model_dir, index);
  return Error(fmt::format("{}: no model.safetensors or model.safetensors.index.json", model_dir.string()),
               "point at a Hugging Face model directory with safetensors weights "
               "(pytorch_model.bin checkpoints must be re-saved as safetensors first)");
}

}  // namespace aae
