// Makes one example model directory: config.json, generation_config.json, tokenizer.json,
// tokenizer_config.json and the weights (single file or sharded with an index).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "runtime/base/status.h"

namespace aae::example {

struct MakeOptions {
  std::string arch;
  std::string preset;
  std::string dtype = "bfloat16";
  uint64_t seed = 0;
  std::filesystem::path output;
  bool force = false;
  // Shard size limit from --max-shard-size. Without it: a single model.safetensors unless the
  // weights exceed 2 GiB; the big presets always shard, at 1 GiB per file.
  std::optional<uint64_t> max_shard_bytes;
};

struct MakeSummary {
  std::filesystem::path directory;  // absolute
  int64_t vocab_size = 0;
  size_t tensor_count = 0;
  size_t weight_files = 0;
  uint64_t weight_bytes = 0;
};

Result<MakeSummary> make_example_model(const MakeOptions& options);

}  // namespace aae::example
