// Writes the weights of an example model as model.safetensors, or as shards
// model-0000K-of-0000N.safetensors plus model.safetensors.index.json, streaming tensor by tensor
// so peak memory stays around one chunk of one tensor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/base/status.h"
#include "tools/make_example_model/weights.h"

namespace aae::example {

struct ShardPlan {
  bool indexed = false;                     // false: one model.safetensors, no index
  std::vector<std::vector<size_t>> shards;  // indices into the tensor list, in order
};

// Tensors are packed greedily in order; a shard is closed when the next tensor would push its
// data past `max_shard_bytes` (a tensor larger than that gets a shard of its own). With
// `indexed` false everything goes into a single file.
ShardPlan plan_shards(const std::vector<PlannedTensor>& tensors, DType dtype, uint64_t max_shard_bytes,
                      bool indexed);

// "model-00002-of-00005.safetensors" for index 1 of 5.
std::string shard_file_name(size_t index, size_t count);

struct WeightOptions {
  uint64_t seed = 0;
  bool progress = false;  // one line per tensor on stderr
};

struct WeightSummary {
  uint64_t total_bytes = 0;  // tensor data, without headers
  size_t tensor_count = 0;
  size_t file_count = 0;
};

// Writes into `dir` (which must exist). Each file is written atomically.
Result<WeightSummary> write_weights(const std::filesystem::path& dir, const std::vector<PlannedTensor>& tensors,
                                    DType dtype, const ShardPlan& plan, const WeightOptions& options);

}  // namespace aae::example
