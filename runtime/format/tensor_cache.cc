#include "runtime/format/tensor_cache.h"

#include <algorithm>
#include <filesystem>
#include <unordered_map>

#include "runtime/base/json.h"
#include "runtime/base/md5.h"

namespace aae {

int64_t TensorRecord::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;  // validated against overflow when parsed
  return n;
}

size_t TensorCache::num_tensors() const {
  size_t n = 0;
  for (const auto& shard : shards) n += shard.records.size();
  return n;
}

namespace {

const char kCorruptHint[] =
    "the tensor cache is damaged or was written by an incompatible converter; re-download or "
    "re-convert the model";

// Prefixes an error from a JSON helper with the file label, keeping its hint. (These errors
// are single messages without causes.)
Error in_file(const std::string& label, const Error& error) {
  return Error(label + ": " + error.message(), error.hint());
}

std::string accepted_dtypes() {
  // DType is a dense enum; dtype_name() answers "unknown" past its end.
  std::string out;
  for (int i = 0;; ++i) {
    const std::string_view name = dtype_name(static_cast<DType>(i));
    if (name == "unknown") break;
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

bool is_plain_file_name(const std::string& name) {
  if (name.empty() || name == "." || name == "..") return false;
  return name.find_first_of(std::string_view("/\\\0", 3)) == std::string::npos;
}

bool is_md5_hex(const std::string& s) {
  return s.size() == 32 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

std::optional<Error> check_md5_field(const std::string& md5, const std::string& path) {
  if (md5.empty() || is_md5_hex(md5)) return std::nullopt;
  return Error(path + ": expected 32 hex digits, found \"" + md5 + "\"", kCorruptHint);
}

Result<TensorRecord> read_record(const json::Value& value, const std::string& path) {
  AAE_ASSIGN_OR_RETURN(json::ObjectReader reader, json::ObjectReader::make(value, path));
  TensorRecord record;
  AAE_ASSIGN_OR_RETURN(record.name, reader.get_string("name"));
  if (record.name.empty())
    return Error(reader.child_path("name") + ": empty tensor name", kCorruptHint);

  AAE_ASSIGN_OR_RETURN(const json::Value* shape, reader.get_array("shape"));
  int64_t numel = 1;
  for (size_t k = 0; k < shape->as_array().size(); ++k) {
    const json::Value& dim = shape->as_array()[k];
    const std::string dim_path = reader.child_path("shape") + "[" + std::to_string(k) + "]";
    if (!dim.is_integer())
      return Error(dim_path + ": expected an integer, found " + json::type_name(dim.type()));
    if (dim.as_int64() < 0) {
      return Error(dim_path + ": negative dimension " + std::to_string(dim.as_int64()),
                   kCorruptHint);
    }
    if (__builtin_mul_overflow(numel, dim.as_int64(), &numel)) {
      return Error(reader.child_path("shape") + ": element count overflows int64", kCorruptHint);
    }
    record.shape.push_back(dim.as_int64());
  }

  AAE_ASSIGN_OR_RETURN(const std::string dtype, reader.get_string("dtype"));
  const std::optional<DType> parsed_dtype = parse_dtype(dtype);
  if (!parsed_dtype) {
    return Error(reader.child_path("dtype") + ": unknown dtype \"" + dtype + "\"",
                 "accepted dtypes: " + accepted_dtypes());
  }
  record.dtype = *parsed_dtype;

  AAE_ASSIGN_OR_RETURN(record.format, reader.get_string("format"));
  if (record.format != "raw" && record.format != "f32-to-bf16") {
    return Error(reader.child_path("format") + ": unknown tensor format \"" + record.format +
                     "\" (expected \"raw\" or \"f32-to-bf16\")",
                 kCorruptHint);
  }
  AAE_ASSIGN_OR_RETURN(record.nbytes, reader.get_int64("nbytes"));
  AAE_ASSIGN_OR_RETURN(record.byte_offset, reader.get_int64("byteOffset"));
  if (record.byte_offset < 0) {
    return Error(
        reader.child_path("byteOffset") + ": negative offset " + std::to_string(record.byte_offset),
        kCorruptHint);
  }

  const int64_t element_size =
      record.stored_as_bf16() ? 2 : static_cast<int64_t>(dtype_size(record.dtype));
  int64_t expected = 0;
  if (__builtin_mul_overflow(numel, element_size, &expected)) {
    return Error(reader.child_path("shape") + ": byte size overflows int64", kCorruptHint);
  }
  if (record.nbytes != expected) {
    return Error(
        reader.child_path("nbytes") + ": " + std::to_string(record.nbytes) +
            " does not match shape " + shape_string(record.shape) + " of " + dtype + " (expected " +
            std::to_string(expected) + " bytes" +
            (record.stored_as_bf16() ? ", float32 stored as bfloat16 by f32-to-bf16)" : ")"),
        kCorruptHint);
  }
  return record;
}

// Offsets in range and no two records sharing bytes (the records come in any order).
Status check_shard_layout(const ShardRecord& shard, const std::string& path) {
  std::vector<size_t> order(shard.records.size());
  for (size_t j = 0; j < order.size(); ++j) {
    const TensorRecord& r = shard.records[j];
    if (r.byte_offset > shard.nbytes - r.nbytes) {
      return Error(path + ".records[" + std::to_string(j) + "]: tensor \"" + r.name +
                       "\" spans bytes [" + std::to_string(r.byte_offset) + ", " +
                       std::to_string(r.byte_offset + r.nbytes) + ") but shard " + shard.data_path +
                       " has " + std::to_string(shard.nbytes) + " bytes",
                   kCorruptHint);
    }
    order[j] = j;
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return shard.records[a].byte_offset < shard.records[b].byte_offset;
  });
  // Sweep in offset order, remembering the record that reaches furthest so far; empty
  // tensors occupy no bytes and never overlap.
  const TensorRecord* furthest = nullptr;
  for (size_t j : order) {
    const TensorRecord& cur = shard.records[j];
    if (cur.nbytes == 0) continue;
    if (furthest && cur.byte_offset < furthest->byte_offset + furthest->nbytes) {
      return Error(path + ".records[" + std::to_string(j) + "]: tensor \"" + cur.name +
                       "\" at bytes [" + std::to_string(cur.byte_offset) + ", " +
                       std::to_string(cur.byte_offset + cur.nbytes) + ") overlaps tensor \"" +
                       furthest->name + "\" at [" + std::to_string(furthest->byte_offset) + ", " +
                       std::to_string(furthest->byte_offset + furthest->nbytes) + ")",
                   kCorruptHint);
    }
    if (!furthest || cur.byte_offset + cur.nbytes > furthest->byte_offset + furthest->nbytes) {
      furthest = &cur;
    }
  }
  return ok_status();
}

Result<ShardRecord> read_shard(const json::Value& value, const std::string& path) {
  AAE_ASSIGN_OR_RETURN(json::ObjectReader reader, json::ObjectReader::make(value, path));
  ShardRecord shard;
  AAE_ASSIGN_OR_RETURN(shard.data_path, reader.get_string("dataPath"));
  if (!is_plain_file_name(shard.data_path)) {
    return Error(
        reader.child_path("dataPath") + ": \"" + shard.data_path + "\" is not a plain file name",
        "shard paths must name files inside the model directory (no '/' or '..')");
  }
  AAE_ASSIGN_OR_RETURN(shard.format, reader.get_string("format"));
  if (shard.format != "raw-shard") {
    return Error(reader.child_path("format") + ": unknown shard format \"" + shard.format +
                     "\" (expected \"raw-shard\")",
                 kCorruptHint);
  }
  AAE_ASSIGN_OR_RETURN(shard.nbytes, reader.get_int64("nbytes"));
  if (shard.nbytes < 0) {
    return Error(reader.child_path("nbytes") + ": negative size " + std::to_string(shard.nbytes),
                 kCorruptHint);
  }
  AAE_ASSIGN_OR_RETURN(shard.md5sum, reader.get_string_or("md5sum", ""));
  if (auto bad = check_md5_field(shard.md5sum, reader.child_path("md5sum"))) return *bad;

  AAE_ASSIGN_OR_RETURN(const json::Value* records, reader.get_array("records"));
  shard.records.reserve(records->as_array().size());
  for (size_t j = 0; j < records->as_array().size(); ++j) {
    AAE_ASSIGN_OR_RETURN(TensorRecord record,
                         read_record(records->as_array()[j],
                                     reader.child_path("records") + "[" + std::to_string(j) + "]"));
    shard.records.push_back(std::move(record));
  }
  AAE_TRY(check_shard_layout(shard, path));
  return shard;
}

Result<TensorCacheMetadata> read_metadata(const json::ObjectReader& root) {
  TensorCacheMetadata metadata;
  const json::Value* value = root.find("metadata");
  if (!value || value->is_null()) return metadata;
  AAE_ASSIGN_OR_RETURN(json::ObjectReader reader, json::ObjectReader::make(*value, "metadata"));
  auto present = [&](const char* key) {
    const json::Value* v = reader.find(key);
    return v && !v->is_null();
  };
  if (present("ParamSize")) {
    AAE_ASSIGN_OR_RETURN(metadata.param_size, reader.get_int64("ParamSize"));
  }
  if (present("ParamBytes")) {
    AAE_ASSIGN_OR_RETURN(metadata.param_bytes, reader.get_double("ParamBytes"));
  }
  if (present("BitsPerParam")) {
    AAE_ASSIGN_OR_RETURN(metadata.bits_per_param, reader.get_double("BitsPerParam"));
  }
  return metadata;
}

Result<TensorCache> cache_from_json(const json::Value& root_value) {
  AAE_ASSIGN_OR_RETURN(json::ObjectReader root, json::ObjectReader::make(root_value, ""));
  TensorCache cache;
  AAE_ASSIGN_OR_RETURN(cache.metadata, read_metadata(root));
  AAE_ASSIGN_OR_RETURN(const json::Value* shards, root.get_array("records"));

  // Names must be unique across the whole cache: the runtime loads tensors by name.
  std::unordered_map<std::string_view, std::string> first_seen;  // name -> JSON path
  cache.shards.reserve(shards->as_array().size());
  for (size_t i = 0; i < shards->as_array().size(); ++i) {
    const std::string path = "records[" + std::to_string(i) + "]";
    AAE_ASSIGN_OR_RETURN(ShardRecord shard, read_shard(shards->as_array()[i], path));
    cache.shards.push_back(std::move(shard));
  }
  for (size_t i = 0; i < cache.shards.size(); ++i) {
    const auto& records = cache.shards[i].records;
    for (size_t j = 0; j < records.size(); ++j) {
      const std::string path =
          "records[" + std::to_string(i) + "].records[" + std::to_string(j) + "]";
      auto [it, inserted] = first_seen.emplace(records[j].name, path);
      if (!inserted) {
        return Error(path + ".name: duplicate tensor name \"" + records[j].name + "\" (first at " +
                         it->second + ")",
                     kCorruptHint);
      }
    }
  }
  return cache;
}

std::string base_name(const std::string& label) {
  const size_t slash = label.find_last_of('/');
  return slash == std::string::npos ? label : label.substr(slash + 1);
}

std::string join_path(const std::string& dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  return dir.back() == '/' ? dir + std::string(name) : dir + "/" + std::string(name);
}

}  // namespace

Result<TensorCache> parse_tensor_cache(std::string_view json_text, const std::string& file_label) {
  auto root = json::parse(json_text);
  if (!root.ok()) return in_file(file_label, root.error());
  auto cache = cache_from_json(*root);
  if (!cache.ok()) return in_file(file_label, cache.error());
  cache->file_name = base_name(file_label);
  return cache;
}

Result<TensorCache> read_tensor_cache(const std::string& model_dir) {
  std::error_code ec;
  for (std::string_view name : {kTensorCacheFile, kLegacyTensorCacheFile}) {
    const std::string path = join_path(model_dir, name);
    if (!std::filesystem::exists(path, ec)) continue;
    auto root = json::parse_file(path);
    if (!root.ok()) return std::move(root).error();  // already names the file
    auto cache = cache_from_json(*root);
    if (!cache.ok()) return in_file(path, cache.error());
    cache->file_name = std::string(name);
    return cache;
  }
  return Error("no tensor cache in " + model_dir +
                   ": neither tensor-cache.json nor ndarray-cache.json exists",
               "point at a converted MLC model directory (it holds tensor-cache.json and "
               "params_shard_*.bin)");
}

Status check_shard_files(const TensorCache& cache, const std::string& model_dir, bool verify_md5,
                         std::vector<std::string>* problems) {
  std::vector<std::string> found;
  for (const ShardRecord& shard : cache.shards) {
    const std::string path = join_path(model_dir, shard.data_path);
    const std::string expected = std::to_string(shard.nbytes) + " bytes";
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(status)) {
      found.push_back(shard.data_path + ": missing (expected " + expected + ")");
      continue;
    }
    if (!std::filesystem::is_regular_file(status)) {
      found.push_back(shard.data_path + ": not a regular file");
      continue;
    }
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) {
      found.push_back(shard.data_path + ": cannot read size: " + ec.message());
      continue;
    }
    if (static_cast<int64_t>(size) != shard.nbytes) {
      found.push_back(shard.data_path + ": size " + std::to_string(size) + " bytes, expected " +
                      expected);
      continue;
    }
    if (!verify_md5 || shard.md5sum.empty()) continue;
    auto md5 = md5_file(path);
    if (!md5.ok()) {
      found.push_back(shard.data_path + ": " + md5.error().message());
      continue;
    }
    std::string want = shard.md5sum;
    std::transform(want.begin(), want.end(), want.begin(), [](char c) {
      return (c >= 'A' && c <= 'F') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    if (*md5 != want) {
      found.push_back(shard.data_path + ": md5 " + *md5 + ", expected " + want);
    }
  }
  if (problems) problems->insert(problems->end(), found.begin(), found.end());
  if (found.empty()) return ok_status();

  // The first few problems become the causes, in order; the full list is in *problems.
  constexpr size_t kShown = 10;
  const size_t shown = std::min(found.size(), kShown);
  Error error(found.size() > kShown ? "... and " + std::to_string(found.size() - kShown) + " more"
                                    : found[shown - 1]);
  for (size_t k = (found.size() > kShown ? shown : shown - 1); k-- > 0;) error.context(found[k]);
  error.context(std::to_string(found.size()) + " of " + std::to_string(cache.shards.size()) +
                    " shard files in " + model_dir + " are missing or damaged",
                "download every params_shard_*.bin listed in " + cache.file_name +
                    " into the model directory (re-download files with a wrong size or md5)");
  return error;
}

}  // namespace aae
