// Which SIMD features this CPU and OS support, as the AAE_CPU_* bits of
// include/sphere_aae/aae_model_lib.h. The runtime probes once and passes the bits to every
// model-library call; the library itself never probes (that would import __cpu_model).
#pragma once

#include <cstdint>

namespace aae {

// x86-64: cpuid leaf 1/7 for the instructions, xgetbv for the OS saving YMM (AVX2, FMA, F16C)
// and ZMM/opmask state (AVX-512). aarch64 Linux/Android: getauxval(AT_HWCAP) bits for asimd,
// asimddp, fphp/asimdhp and (AT_HWCAP2) i8mm; aarch64 Apple: NEON, dot product and fp16 are
// baseline on every arm64 iOS device the project targets. Anything else: 0 (reference kernels).
// Cached after the first call; thread-safe.
uint64_t detect_cpu_features();

// The lowercase name of one AAE_CPU_* bit ("avx2", "neon"), "unknown" for anything else
// (for logs and reports).
const char* cpu_feature_name(uint64_t bit);

}  // namespace aae
