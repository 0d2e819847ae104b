// `sphere_aae convert_weight`: a Hugging Face checkpoint (config.json + safetensors) or a llama
// GGUF file in, an MLC tensor cache (params_shard_*.bin + tensor-cache.json) out, with MLC's
// parameter names, record order, quantization and shard layout (docs/convert_weight.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/status.h"

namespace aae {

struct ConvertOptions {
  std::filesystem::path source;  // HF model directory, or a .gguf file (llama)
  std::string quantization;      // an MLC code, e.g. "q4f16_1" (runtime/format/quantization.h)
  std::filesystem::path output;  // model directory; created if absent
  bool mlc_compat = false;       // reserved: convert_weight already writes what MLC reads
};

struct ConvertSummary {
  int64_t source_params = 0;   // MLC parameters before quantization (ParamPlans)
  int64_t tensors = 0;         // records written (ParamSize)
  uint64_t bytes = 0;          // ParamBytes
  double bits_per_param = 0;   // BitsPerParam
  size_t shards = 0;
  double seconds = 0;
};

// Receives progress events; convert_weight calls them from its own thread, in order.
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  // Once, before the first parameter. `source` describes the input.
  virtual void begin(const std::string& source, size_t total_params) = 0;
  // After parameter `index` (1-based) of `total` was written. `encoding` is the quantization
  // code for a quantized parameter, else the stored dtype ("float16", ...).
  virtual void param_done(size_t index, size_t total, std::string_view name,
                          const std::vector<int64_t>& shape, std::string_view encoding) = 0;
  // A non-fatal problem, e.g. source tensors nothing uses. One line, no trailing newline.
  virtual void warning(const std::string& message) = 0;
  // Once, after the output is in place.
  virtual void done(const ConvertSummary& summary, const std::filesystem::path& output) = 0;
};

// Converts options.source into options.output. Output is all-or-nothing: everything is written
// into a staging directory inside the output directory and moved into place only on success
// (tensor-cache.json last, after removing the shards and cache index of an earlier
// conversion there). On failure the staging directory is removed, and so is the output
// directory if this call created it. `progress` may be null.
Result<ConvertSummary> convert_weight(const ConvertOptions& options, ProgressSink* progress);

}  // namespace aae
