// Shared basics for the freestanding model library: the namespace convention and the
// compiler-only includes. Everything under modellib/ lives in aae::modellib::(anonymous), so a
// model library's kernels get internal linkage: two libraries built from different kernel
// versions link side by side without weak/COMDAT merging (an ODR trap with header `inline`).
// Only stdint.h / stddef.h (and the SIMD headers in kernels/x86_*.h, arm_*.h) may be included.
#pragma once

#include <stddef.h>
#include <stdint.h>

#define AAE_MODELLIB_BEGIN \
  namespace aae {          \
  namespace modellib {     \
  namespace {
#define AAE_MODELLIB_END \
  }                      \
  }                      \
  }

#if defined(__GNUC__) || defined(__clang__)
#define AAE_MODELLIB_RESTRICT __restrict__
#else
#define AAE_MODELLIB_RESTRICT
#endif
