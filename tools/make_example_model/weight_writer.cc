#include "tools/make_example_model/weight_writer.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "convert/source/safetensors_writer.h"
#include "runtime/base/file_util.h"
#include "runtime/base/human_units.h"

namespace aae::example {
namespace {

// Elements generated and converted per append: 4 MiB of floats.
constexpr size_t kChunkElements = size_t{1} << 20;

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

uint64_t tensor_bytes(const PlannedTensor& tensor, DType dtype) {
  return static_cast<uint64_t>(tensor.numel()) * dtype_size(dtype);
}

}  // namespace

ShardPlan plan_shards(const std::vector<PlannedTensor>& tensors, DType dtype, uint64_t max_shard_bytes,
                      bool indexed) {
  ShardPlan plan;
  plan.indexed = indexed;
  plan.shards.emplace_back();
  uint64_t in_shard = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const uint64_t bytes = tensor_bytes(tensors[i], dtype);
    if (indexed && !plan.shards.back().empty() && in_shard + bytes > max_shard_bytes) {
      plan.shards.emplace_back();
      in_shard = 0;
    }
    plan.shards.back().push_back(i);
    in_shard += bytes;
  }
  return plan;
}

std::string shard_file_name(size_t index, size_t count) {
  return fmt::format("model-{:05d}-of-{:05d}.safetensors", index + 1, count);
}

Result<WeightSummary> write_weights(const std::filesystem::path& dir, const std::vector<PlannedTensor>& tensors,
                                    DType dtype, const ShardPlan& plan, const WeightOptions& options) {
  WeightSummary summary;
  summary.tensor_count = tensors.size();
  summary.file_count = plan.shards.size();
  nlohmann::json weight_map = nlohmann::json::object();
  const std::map<std::string, std::string> metadata = {{"format", "pt"}};
  std::vector<float> values(kChunkElements);
  std::vector<uint8_t> bytes;
  bytes.reserve(kChunkElements * dtype_size(dtype));
  size_t written_tensors = 0;

  for (size_t s = 0; s < plan.shards.size(); ++s) {
    const std::string file_name = plan.indexed ? shard_file_name(s, plan.shards.size()) : "model.safetensors";
    std::vector<SafetensorsEntry> entries;
    std::map<std::string, const PlannedTensor*> by_name;
    for (size_t index : plan.shards[s]) {
      const PlannedTensor& tensor = tensors[index];
      entries.push_back({tensor.name, dtype, tensor.shape});
      by_name[tensor.name] = &tensor;
      weight_map[tensor.name] = file_name;
    }
    AAE_ASSIGN_OR_RETURN(SafetensorsStreamWriter writer,
                         SafetensorsStreamWriter::create((dir / file_name).string(), std::move(entries), metadata));
    for (const SafetensorsEntry& entry : writer.tensors()) {
      const PlannedTensor& tensor = *by_name.at(entry.name);
      TensorValues generator(options.seed, tensor.name, tensor.init);
      for (int64_t done = 0; done < tensor.numel();) {
        const size_t count = static_cast<size_t>(std::min<int64_t>(kChunkElements, tensor.numel() - done));
        generator.next(values.data(), count);
        bytes.clear();
        append_as_dtype(values.data(), count, dtype, bytes);
        AAE_TRY(writer.append(bytes.data(), bytes.size()));
        done += static_cast<int64_t>(count);
      }
      summary.total_bytes += tensor_bytes(tensor, dtype);
      ++written_tensors;
      if (options.progress) {
        std::fprintf(stderr, "[%*zu/%zu] %-48s %-14s %10s -> %s\n", static_cast<int>(std::to_string(tensors.size()).size()),
                     written_tensors, tensors.size(), tensor.name.c_str(), shape_text(tensor.shape).c_str(),
                     human_bytes(static_cast<double>(tensor_bytes(tensor, dtype))).c_str(), file_name.c_str());
      }
    }
    AAE_TRY(writer.commit());
  }

  if (plan.indexed) {
    nlohmann::json index;
    index["metadata"] = {{"total_size", summary.total_bytes}};
    index["weight_map"] = std::move(weight_map);
    AAE_TRY(write_file_atomic((dir / "model.safetensors.index.json").string(), index.dump(2) + "\n"));
  }
  return summary;
}

}  // namespace aae::example
