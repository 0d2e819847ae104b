#include "convert/tensor_cache_writer.h"

#include <system_error>
#include <utility>

namespace aae {
namespace {

constexpr const char* kPendingShardName = "params_shard_pending.bin";

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

}  // namespace

std::string_view tensor_cache_record_format(DType dtype) {
  return dtype == DType::kFloat32 ? "raw" : "f32-to-bf16";
}

nlohmann::ordered_json tensor_cache_json(const std::vector<TensorCacheShard>& shards,
                                         int64_t original_param_count,
                                         const nlohmann::ordered_json& extra_metadata) {
  using nlohmann::ordered_json;
  int64_t param_count = 0;
  uint64_t param_bytes = 0;
  ordered_json shard_list = ordered_json::array();
  for (const auto& shard : shards) {
    ordered_json records = ordered_json::array();
    for (const auto& record : shard.records) {
      ++param_count;
      param_bytes += record.nbytes;
      ordered_json entry = ordered_json::object();
      entry["name"] = record.name;
      entry["shape"] = record.shape;
      entry["dtype"] = std::string(dtype_name(record.dtype));
      entry["format"] = std::string(tensor_cache_record_format(record.dtype));
      entry["nbytes"] = record.nbytes;
      entry["byteOffset"] = record.byte_offset;
      records.push_back(std::move(entry));
    }
    ordered_json entry = ordered_json::object();
    entry["dataPath"] = shard.data_path;
    entry["format"] = "raw-shard";
    entry["nbytes"] = shard.nbytes;
    entry["records"] = std::move(records);
    entry["md5sum"] = shard.md5sum;
    shard_list.push_back(std::move(entry));
  }
  // MLC writes ParamBytes as a Python float and divides by the unquantized parameter count.
  const double bytes = static_cast<double>(param_bytes);
  ordered_json metadata = ordered_json::object();
  metadata["ParamSize"] = param_count;
  metadata["ParamBytes"] = bytes;
  metadata["BitsPerParam"] =
      original_param_count > 0 ? bytes * 8.0 / static_cast<double>(original_param_count) : 0.0;
  if (extra_metadata.is_object())
    for (const auto& [key, value] : extra_metadata.items()) metadata[key] = value;

  ordered_json document = ordered_json::object();
  document["metadata"] = std::move(metadata);
  document["records"] = std::move(shard_list);
  return document;
}

std::string dump_tensor_cache_json(const nlohmann::ordered_json& document) {
  // ensure_ascii like Python's json.dump default; never throw on odd bytes in a name.
  return document.dump(4, ' ', true, nlohmann::ordered_json::error_handler_t::replace);
}

Result<TensorCacheWriter> TensorCacheWriter::create(const std::filesystem::path& dir,
                                                    uint64_t shard_cap_bytes) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return Error("cannot write a tensor cache into " + dir.string() + ": not a directory");
  if (shard_cap_bytes == 0) return Error("tensor cache shard cap must be positive");
  return TensorCacheWriter(dir, shard_cap_bytes);
}

std::string TensorCacheWriter::next_shard_name() const {
  return "params_shard_" + std::to_string(shards_.size()) + ".bin";
}

Status TensorCacheWriter::add(std::string_view name, DType dtype,
                              const std::vector<int64_t>& shape, const void* data,
                              uint64_t nbytes) {
  if (finished_) return Error("cannot add tensor " + std::string(name) + ": the tensor cache is finished");
  if (failed_)
    return Error("cannot add tensor " + std::string(name) +
                 ": an earlier write to the tensor cache in " + dir_.string() + " failed");
  if (name.empty()) return Error("cannot add a tensor with an empty name to the tensor cache");
  uint64_t numel = 1;
  for (int64_t dim : shape) {
    if (dim < 0)
      return Error("tensor " + std::string(name) + " has a negative dimension in shape " +
                   shape_string(shape));
    numel *= static_cast<uint64_t>(dim);
  }
  const uint64_t expected = numel * dtype_size(dtype);
  if (expected != nbytes)
    return Error("tensor " + std::string(name) + " " + shape_string(shape) + " " +
                 std::string(dtype_name(dtype)) + " needs " + std::to_string(expected) +
                 " bytes, got " + std::to_string(nbytes));
  if (!names_.insert(std::string(name)).second)
    return Error("tensor " + std::string(name) + " is added to the tensor cache twice");

  TensorCacheRecord record{std::string(name), dtype, shape, nbytes, 0};
  Status status;
  if (pending_nbytes_ + nbytes >= cap_) {
    if (nbytes * 2 >= cap_) {
      status = write_out_of_band(std::move(record), data);
    } else {
      status = commit_pending();
      if (status.ok()) status = append_pending(std::move(record), data);
    }
  } else {
    status = append_pending(std::move(record), data);
  }
  if (!status.ok()) failed_ = true;
  return status;
}

Status TensorCacheWriter::write_out_of_band(TensorCacheRecord record, const void* data) {
  TensorCacheShard shard;
  shard.data_path = next_shard_name();
  shard.nbytes = record.nbytes;
  record.byte_offset = 0;
  AAE_ASSIGN_OR_RETURN(AtomicFileWriter file,
                       AtomicFileWriter::create((dir_ / shard.data_path).string()));
  Md5 md5;
  md5.update(data, record.nbytes);
  AAE_TRY(file.write(data, record.nbytes));
  AAE_TRY(file.commit());
  shard.md5sum = md5.hex_digest();
  shard.records.push_back(std::move(record));
  shards_.push_back(std::move(shard));
  return ok_status();
}

Status TensorCacheWriter::append_pending(TensorCacheRecord record, const void* data) {
  if (!pending_file_) {
    AAE_ASSIGN_OR_RETURN(AtomicFileWriter file,
                         AtomicFileWriter::create((dir_ / kPendingShardName).string()));
    pending_file_.emplace(std::move(file));
    pending_md5_ = Md5();
  }
  record.byte_offset = pending_nbytes_;
  AAE_TRY(pending_file_->write(data, record.nbytes));
  pending_md5_.update(data, record.nbytes);
  pending_nbytes_ += record.nbytes;
  pending_records_.push_back(std::move(record));
  return ok_status();
}

Status TensorCacheWriter::commit_pending() {
  // TVM commits only a pending shard with bytes in it.
  if (pending_nbytes_ == 0 && pending_records_.empty()) return ok_status();
  TensorCacheShard shard;
  shard.data_path = next_shard_name();
  shard.nbytes = pending_nbytes_;
  shard.md5sum = pending_md5_.hex_digest();
  shard.records = std::move(pending_records_);
  AAE_TRY(pending_file_->commit());
  pending_file_.reset();
  std::error_code ec;
  std::filesystem::rename(dir_ / kPendingShardName, dir_ / shard.data_path, ec);
  if (ec)
    return Error("cannot rename " + (dir_ / kPendingShardName).string() + " to " +
                 shard.data_path + ": " + ec.message());
  pending_records_.clear();
  pending_nbytes_ = 0;
  shards_.push_back(std::move(shard));
  return ok_status();
}

Result<TensorCacheSummary> TensorCacheWriter::finish(int64_t original_param_count,
                                                     const nlohmann::ordered_json& extra_metadata) {
  if (finished_) return Error("the tensor cache in " + dir_.string() + " is already finished");
  if (failed_)
    return Error("cannot finish the tensor cache in " + dir_.string() + ": an earlier write failed");
  if (original_param_count <= 0)
    return Error("cannot compute BitsPerParam: the original parameter count is " +
                 std::to_string(original_param_count));
  Status committed = commit_pending();
  if (!committed.ok()) {
    failed_ = true;
    return std::move(committed).error();
  }
  finished_ = true;

  const nlohmann::ordered_json document =
      tensor_cache_json(shards_, original_param_count, extra_metadata);
  AAE_TRY(write_file_atomic((dir_ / "tensor-cache.json").string(), dump_tensor_cache_json(document)));

  TensorCacheSummary summary;
  for (const auto& shard : shards_) {
    summary.param_count += static_cast<int64_t>(shard.records.size());
    for (const auto& record : shard.records) summary.param_bytes += record.nbytes;
  }
  summary.bits_per_param = document["metadata"]["BitsPerParam"].get<double>();
  summary.shard_count = shards_.size();
  return summary;
}

}  // namespace aae
