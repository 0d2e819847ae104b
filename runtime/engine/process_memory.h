// The process's peak resident memory, for checking a model's real footprint against what it
// declares (weights + KV cache + workspace).
#pragma once

#include <cstdint>
#include <string>

#include "runtime/base/status.h"

namespace aae {

struct PeakRss {
  int64_t bytes = 0;
  std::string source;  // "VmHWM" (/proc/self/status) or "ru_maxrss" (getrusage)
};

// VmHWM from /proc/self/status when readable, else getrusage(RUSAGE_SELF).ru_maxrss (KiB on
// Linux, bytes on Apple platforms). An error only when neither is available.
Result<PeakRss> peak_rss();

// Lowers the peak to the current resident size, so memory freed before now does not count
// (Linux: writes "5" to /proc/self/clear_refs). False where the kernel does not support it;
// ru_maxrss can never be reset.
bool reset_peak_rss();

}  // namespace aae
