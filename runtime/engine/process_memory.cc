#include "runtime/engine/process_memory.h"

#include <sys/resource.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace aae {
namespace {

// "VmHWM:     12345 kB" -> bytes; -1 when the line is absent or malformed.
int64_t read_vm_hwm() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) != 0) continue;
    std::istringstream fields(line.substr(6));
    int64_t value = -1;
    std::string unit;
    if (!(fields >> value >> unit) || value < 0 || unit != "kB") return -1;
    return value * 1024;
  }
  return -1;
}

}  // namespace

Result<PeakRss> peak_rss() {
  const int64_t hwm = read_vm_hwm();
  if (hwm >= 0) return PeakRss{hwm, "VmHWM"};
  struct rusage usage;
  std::memset(&usage, 0, sizeof(usage));
  if (getrusage(RUSAGE_SELF, &usage) != 0 || usage.ru_maxrss <= 0) {
    return Error("cannot read the peak resident memory: no VmHWM in /proc/self/status and "
                 "getrusage failed");
  }
#if defined(__APPLE__)
  const int64_t bytes = static_cast<int64_t>(usage.ru_maxrss);
#else
  const int64_t bytes = static_cast<int64_t>(usage.ru_maxrss) * 1024;
#endif
  return PeakRss{bytes, "ru_maxrss"};
}

bool reset_peak_rss() {
  std::FILE* f = std::fopen("/proc/self/clear_refs", "w");
  if (f == nullptr) return false;
  const bool wrote = std::fputs("5", f) >= 0;
  return std::fclose(f) == 0 && wrote;
}

}  // namespace aae
