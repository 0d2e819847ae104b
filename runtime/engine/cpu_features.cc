#include "runtime/engine/cpu_features.h"

#include "sphere_aae/aae_model_lib.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

namespace aae {
namespace {

#if defined(__x86_64__) || defined(__i386__)
// XCR0 via xgetbv; only valid when cpuid says OSXSAVE.
uint64_t read_xcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

uint64_t probe() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  const bool osxsave = (c & (1u << 27)) != 0, avx = (c & (1u << 28)) != 0;
  const bool fma = (c & (1u << 12)) != 0, f16c = (c & (1u << 29)) != 0;
  if (!osxsave || !avx) return 0;
  const uint64_t xcr0 = read_xcr0();
  const bool ymm_saved = (xcr0 & 0x6) == 0x6;             // SSE + AVX state
  const bool zmm_saved = ymm_saved && (xcr0 & 0xe0) == 0xe0;  // opmask + ZMM_Hi256 + Hi16_ZMM
  if (!ymm_saved) return 0;
  uint64_t bits = 0;
  if (fma) bits |= AAE_CPU_X86_FMA;
  if (f16c) bits |= AAE_CPU_X86_F16C;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    if (b & (1u << 5)) bits |= AAE_CPU_X86_AVX2;
    if (zmm_saved) {
      if (b & (1u << 16)) bits |= AAE_CPU_X86_AVX512F;
      if (b & (1u << 30)) bits |= AAE_CPU_X86_AVX512BW;
      if (c & (1u << 11)) bits |= AAE_CPU_X86_AVX512VNNI;
    }
  }
  return bits;
}
#elif defined(__aarch64__) && defined(__linux__)
uint64_t probe() {
  // Bit numbers from the Linux arm64 uapi hwcap.h (stable ABI); spelled out so an old NDK
  // header without HWCAP2_I8MM still builds.
  const unsigned long hwcap = getauxval(AT_HWCAP);
  const unsigned long hwcap2 = getauxval(AT_HWCAP2);
  uint64_t bits = 0;
  if (hwcap & (1ul << 1)) bits |= AAE_CPU_ARM_NEON;       // HWCAP_ASIMD
  if (hwcap & (1ul << 20)) bits |= AAE_CPU_ARM_DOTPROD;   // HWCAP_ASIMDDP
  if ((hwcap & (1ul << 9)) && (hwcap & (1ul << 10))) bits |= AAE_CPU_ARM_FP16;  // FPHP, ASIMDHP
  if (hwcap2 & (1ul << 13)) bits |= AAE_CPU_ARM_I8MM;     // HWCAP2_I8MM
  return bits;
}
#elif defined(__aarch64__) && defined(__APPLE__)
uint64_t probe() { return AAE_CPU_ARM_NEON | AAE_CPU_ARM_DOTPROD | AAE_CPU_ARM_FP16; }
#else
uint64_t probe() { return 0; }
#endif

}  // namespace

uint64_t detect_cpu_features() {
  static const uint64_t bits = probe();
  return bits;
}

const char* cpu_feature_name(uint64_t bit) {
  switch (bit) {
    case AAE_CPU_X86_AVX2: return "avx2";
    case AAE_CPU_X86_F16C: return "f16c";
    case AAE_CPU_X86_FMA: return "fma";
    case AAE_CPU_X86_AVX512F: return "avx512f";
    case AAE_CPU_X86_AVX512VNNI: return "avx512vnni";
    case AAE_CPU_X86_AVX512BW: return "avx512bw";
    case AAE_CPU_ARM_NEON: return "neon";
    case AAE_CPU_ARM_DOTPROD: return "dotprod";
    case AAE_CPU_ARM_FP16: return "fp16";
    case AAE_CPU_ARM_I8MM: return "i8mm";
    default: return "unknown";
  }
}

}  // namespace aae
