// x86-64 SIMD variants of the linear kernels: LinearVariant<Format, kLinearX86Avx2> and
// <Format, kLinearX86Avx512> specialisations, one header per format family (x86_kn.h, x86_q4kn.h:
// the KN-layout "_0" formats). On other targets
// this header defines nothing.
#pragma once

#include "modellib/kernels/linear_base.h"

#if defined(__x86_64__)
// g++ 12 reports its own AVX-512 intrinsics (e.g. _mm512_cvtepi32_ps hands an undefined merge
// source to the masked builtin) as uninitialized once inlined into hosted code; clang does not.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "modellib/kernels/x86_q0.h"
#include "modellib/kernels/x86_q3.h"
#include "modellib/kernels/x86_q4.h"
#include "modellib/kernels/x86_kn.h"
#include "modellib/kernels/x86_q4kn.h"
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif
