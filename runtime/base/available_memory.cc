#include "runtime/base/available_memory.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#if defined(__APPLE__)
#include <TargetConditionals.h>
#include <mach/mach.h>
#if TARGET_OS_IPHONE
#include <os/proc.h>
#endif
#endif

namespace aae {
namespace {

// A plain decimal number (no sign, no suffix) that fits uint64.
bool parse_decimal(std::string_view text, uint64_t* out) {
  if (text.empty() || text.size() > 20) return false;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return false;
    value = value * 10 + digit;
  }
  *out = value;
  return true;
}

Result<AvailableMemory> from_meminfo() {
  std::ifstream file("/proc/meminfo");
  if (!file) return Error("cannot read /proc/meminfo").with_code(ErrorCode::kNotFound);
  std::stringstream text;
  text << file.rdbuf();
  AAE_ASSIGN_OR_RETURN(uint64_t bytes, parse_meminfo_available(text.str()));
  return AvailableMemory{bytes, "/proc/meminfo MemAvailable"};
}

#if defined(__APPLE__)
Result<AvailableMemory> from_apple() {
#if TARGET_OS_IPHONE
  if (__builtin_available(iOS 13.0, tvOS 13.0, watchOS 6.0, *)) {
    const size_t bytes = os_proc_available_memory();
    if (bytes > 0) return AvailableMemory{bytes, "os_proc_available_memory"};
  }
#endif
  vm_statistics64_data_t stats{};
  mach_msg_type_number_t count = HOST_VM_INFO64_COUNT;
  if (host_statistics64(mach_host_self(), HOST_VM_INFO64, reinterpret_cast<host_info64_t>(&stats),
                        &count) != KERN_SUCCESS) {
    return Error("host_statistics64 failed");
  }
  const uint64_t pages = static_cast<uint64_t>(stats.free_count) + stats.inactive_count;
  return AvailableMemory{pages * static_cast<uint64_t>(getpagesize()),
                         "host_statistics64 free + inactive pages"};
}
#endif

Result<AvailableMemory> from_sysconf() {
#if defined(_SC_AVPHYS_PAGES)
  const long pages = sysconf(_SC_AVPHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page_size > 0) {
    return AvailableMemory{static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size),
                           "sysconf(_SC_AVPHYS_PAGES)"};
  }
#endif
  return Error("cannot tell how much memory is available on this platform");
}

}  // namespace

Result<uint64_t> parse_meminfo_available(std::string_view meminfo_text) {
  constexpr std::string_view kKey = "MemAvailable:";
  size_t at = 0;
  while (at < meminfo_text.size()) {
    size_t end = meminfo_text.find('\n', at);
    if (end == std::string_view::npos) end = meminfo_text.size();
    std::string_view line = meminfo_text.substr(at, end - at);
    at = end + 1;
    if (line.substr(0, kKey.size()) != kKey) continue;
    line.remove_prefix(kKey.size());
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    size_t digits = 0;
    while (digits < line.size() && line[digits] >= '0' && line[digits] <= '9') ++digits;
    uint64_t kib = 0;
    if (!parse_decimal(line.substr(0, digits), &kib) || kib > UINT64_MAX / 1024) {
      return Error("/proc/meminfo: cannot read the number in the MemAvailable line");
    }
    return kib * 1024;  // the kernel writes "kB" meaning KiB
  }
  return Error("/proc/meminfo: no MemAvailable line").with_code(ErrorCode::kNotFound);
}

Result<AvailableMemory> available_memory() {
  if (const char* text = std::getenv(kAvailableMemoryEnv); text != nullptr) {
    uint64_t bytes = 0;
    if (!parse_decimal(text, &bytes)) {
      return Error(std::string(kAvailableMemoryEnv) + ": expected a decimal byte count, found \"" +
                       text + "\"",
                   "unset it to measure the real available memory (it is a testing aid)")
          .with_code(ErrorCode::kInvalidArgument);
    }
    return AvailableMemory{bytes, kAvailableMemoryEnv};
  }
#if defined(__APPLE__)
  return from_apple();
#else
  auto meminfo = from_meminfo();
  if (meminfo.ok()) return meminfo;
  return from_sysconf();
#endif
}

}  // namespace aae
