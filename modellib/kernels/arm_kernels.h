// aarch64 NEON / dot-product variants of the linear kernels (LinearVariant specialisations).
// On other targets this header defines nothing (each part is guarded by __aarch64__ through
// arm_neon_base.h), so linear.h can include it everywhere.
//   arm_q4.h     q4f16_1, q4f32_1   kLinearNeon, kLinearNeonDot  (int8 activations)
//   arm_q3.h     q3f16_1            kLinearNeon, kLinearNeonDot  (int8 activations)
//   arm_float.h  q0f16, q0bf16, q0f32  kLinearNeon               (fp32 activations)
//   arm_kn.h     q4f16_0, q3f16_0   kLinearNeon                  (fp32 activations, KN layout)
#pragma once

#include "modellib/kernels/linear_base.h"

#if defined(__aarch64__)
#include "modellib/kernels/arm_float.h"
#include "modellib/kernels/arm_kn.h"
#include "modellib/kernels/arm_q3.h"
#include "modellib/kernels/arm_q4.h"
#endif
