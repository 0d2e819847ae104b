// How much memory the device can still give this process, for refusing to load a model that
// would not fit (aae_app_config_load compares it with the app config's estimated_vram_bytes).
//
//   Linux, Android: MemAvailable from /proc/meminfo (the kernel's estimate of what can be
//                   allocated without swapping; free + reclaimable page cache).
//   iOS:            os_proc_available_memory() (what this app may still use before jetsam).
//   macOS:          free + inactive pages (host_statistics64).
//   elsewhere:      sysconf(_SC_AVPHYS_PAGES) * page size.
//
// Testing aid: when the environment variable SPHERE_AAE_AVAILABLE_MEMORY_BYTES holds a
// decimal byte count, that value is returned instead of probing, so a test can prove both the
// refusal and the success path on any machine. Not meant for production use.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/base/status.h"

namespace aae {

inline constexpr const char* kAvailableMemoryEnv = "SPHERE_AAE_AVAILABLE_MEMORY_BYTES";

struct AvailableMemory {
  uint64_t bytes = 0;
  std::string source;  // where the number came from, for messages ("/proc/meminfo MemAvailable")
};

// Errors: the override variable is set but is not a decimal byte count (names the variable),
// or no probe works on this platform.
Result<AvailableMemory> available_memory();

// The MemAvailable line of /proc/meminfo text ("MemAvailable:  123456 kB"), in bytes.
// kNotFound when the line is absent (kernels before 3.14).
Result<uint64_t> parse_meminfo_available(std::string_view meminfo_text);

}  // namespace aae
