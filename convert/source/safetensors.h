// Reader for Hugging Face safetensors checkpoints (single file or index-sharded).
//
// File format: 8-byte little-endian header length N, then N bytes of JSON
//   {"<name>": {"dtype": "F32"|"F16"|"BF16"|..., "shape": [...], "data_offsets": [begin, end]},
//    "__metadata__": {...}}
// then the data region; offsets are relative to the start of the data region.
// Files are memory-mapped; read_f32 decodes from the mapping.
#pragma once

#include <filesystem>
#include <memory>

#include "convert/source/tensor_source.h"
#include "runtime/base/status.h"

namespace aae {

// Opens a model directory: model.safetensors, or the shards listed by
// model.safetensors.index.json ("weight_map": {tensor name: shard file name}).
// Every tensor must be F32, F16 or BF16; every listed shard must exist; a tensor name may
// appear in only one shard. Errors name the offending file (and tensor).
Result<std::unique_ptr<TensorSource>> open_safetensors(const std::filesystem::path& model_dir);

// Opens one .safetensors file on its own (same validation as above).
Result<std::unique_ptr<TensorSource>> open_safetensors_file(const std::filesystem::path& file);

}  // namespace aae
