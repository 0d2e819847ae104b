// `sphere_aae bench`: times prefill and decode of a model library on a model directory with
// synthetic tokens (no tokenizer), next to the machine's measured read bandwidth, the bytes a
// decode step must stream and the process's peak memory. docs/bench.md explains the numbers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/base/status.h"
#include "runtime/engine/decode_traffic.h"
#include "runtime/engine/memory_bandwidth.h"
#include "runtime/engine/process_memory.h"

namespace aae {

struct BenchOptions {
  std::string model_dir;       // tensor cache + shards (the tokenizer is not read)
  std::string model_lib_path;  // a shared object from `sphere_aae compile`
  int64_t prompt_tokens = 512;  // >= 1, prefilled (chunked) every repeat
  int64_t gen_tokens = 128;     // >= 1 greedy decode steps after the prefill
  int num_threads = 0;          // 0: one per core (never more than the cores)
  int repeat = 3;               // >= 1
  int64_t bandwidth_mib = 1024;  // >= 1, size of the bandwidth probe's array
  uint64_t seed = 0x5eed;       // of the synthetic prompt
};

// Seconds are wall-clock; tok/s = tokens / seconds.
struct BenchRepeat {
  double prefill_seconds = 0, prefill_tok_s = 0;
  double decode_seconds = 0, decode_tok_s = 0;  // gen_tokens steps, argmax included
  double bandwidth_gb_s = 0;  // the probe run right before this repeat
  double roof_percent = 0;    // this repeat's decode against that probe's roof
};

struct Spread {
  double median = 0, min = 0, max = 0;
};
Spread spread_of(const std::vector<double>& values);

// Overhead above this (peak RSS - weights - KV cache) is worth a look.
inline constexpr int64_t kBenchOverheadBudgetBytes = int64_t{64} << 20;

struct BenchReport {
  std::string model_lib;  // the library's path
  std::string architecture, quantization;
  int threads = 0;
  int64_t context_window_size = 0;
  int64_t prompt_tokens = 0, gen_tokens = 0;
  int repeat = 0;
  std::vector<BenchRepeat> repeats;
  Spread prefill_tok_s, decode_tok_s;

  // A probe runs right before every repeat (same thread count), so a machine whose bandwidth
  // drifts is compared with itself; this is the probe with the median GB/s.
  ReadBandwidth bandwidth;
  DecodeTraffic traffic;    // bytes per decode step at the mean measured position
  double roof_tok_s = 0;    // median bandwidth / bytes per token
  double roof_percent = 0;  // median over repeats of 100 * decode tok/s / that repeat's roof

  int64_t weight_bytes = 0;  // the tensor cache (every shard byte)
  int64_t kv_cache_bytes = 0, workspace_bytes = 0;  // from the library
  PeakRss peak;
  bool peak_includes_probe = false;  // the probe's array could not be dropped from the peak
  int64_t overhead_bytes = 0;        // peak - weights - KV cache
  bool overhead_within_budget() const { return overhead_bytes <= kBenchOverheadBudgetBytes; }

  std::vector<std::string> kernels;  // the library's "kernels:" log lines (may be none)
};

// The options without the library: kInvalidArgument for a count < 1 or threads < 0, kNotFound
// for a missing model directory. run_bench checks them too.
Status check_bench_options(const BenchOptions& options);

// Errors: bad options are kInvalidArgument; a missing model directory or library is
// kNotFound; prompt_tokens + gen_tokens beyond the library's context window is
// kContextOverflow and names the maximum. Library and session errors pass through.
Result<BenchReport> run_bench(const BenchOptions& options);

}  // namespace aae
