// A read-bandwidth probe: how fast this machine streams memory with a given pool of threads.
// A decode step of a memory-bound model cannot go faster than (bytes it reads) / (this
// bandwidth), so `sphere_aae bench` reports decode speed as a fraction of that roof.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/base/status.h"
#include "runtime/engine/thread_pool.h"

namespace aae {

struct ReadBandwidth {
  size_t bytes = 0;                   // bytes summed per pass (the array size)
  std::vector<double> pass_seconds;   // one per pass, in order
  double median_seconds = 0;
  double gb_per_s = 0;                // bytes / median_seconds / 1e9
  uint64_t sum = 0;                   // the array's sum (mod 2^64), the same every pass
};

// Allocates a uint64_t array of `bytes` (rounded down to whole words, >= 1 word), writes
// word i = i on the pool's threads (so its pages are real and spread like the reads), then
// sums it `passes` times split across `pool` with 8 independent accumulators per range. The
// array is freed before returning. Errors: bytes < 8 or passes < 1 (kInvalidArgument), the
// allocation failing, or a pass whose sum is wrong.
Result<ReadBandwidth> measure_read_bandwidth(ThreadPool& pool, size_t bytes, int passes = 5);

// The median of `values` (mean of the middle two for an even count); 0 when empty.
double median_of(std::vector<double> values);

}  // namespace aae
