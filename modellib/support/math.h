// Elementary functions without libm. expf/sinf/... are real library calls on every target
// (even freestanding), and __builtin_sqrt imports sqrt on Linux unless -fno-math-errno, so the
// library brings its own. Double-precision internally: these run per element of softmax/SiLU
// and once per table entry for RoPE, never in the GEMV inner loops.
#pragma once

#include "modellib/support/base.h"

AAE_MODELLIB_BEGIN

inline double bits_double(uint64_t u) {
  union {
    double d;
    uint64_t u;
  } v;
  v.u = u;
  return v.d;
}

inline uint64_t double_bits(double d) {
  union {
    double d;
    uint64_t u;
  } v;
  v.d = d;
  return v.u;
}

// Nearest integer (ties away from zero) without roundf/floorf (libcalls on x86-64 baseline).
inline int64_t round_to_int(double x) { return static_cast<int64_t>(x >= 0 ? x + 0.5 : x - 0.5); }

// 2^n for integer n in the normal double range.
inline double pow2i(int64_t n) {
  if (n > 1023) n = 1023;
  if (n < -1022) return 0.0;
  return bits_double(static_cast<uint64_t>(n + 1023) << 52);
}

// e^x in double, relative error ~1e-15; saturates to 0 / huge outside [-708, 709].
inline double exp_d(double x) {
  if (x != x) return x;
  if (x > 709.0) return pow2i(1023) * 2.0;
  if (x < -708.0) return 0.0;
  const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  const int64_t n = round_to_int(x * 1.4426950408889634);
  const double r = (x - static_cast<double>(n) * ln2_hi) - static_cast<double>(n) * ln2_lo;
  // |r| <= 0.35: Taylor to degree 13 is below 1e-16 relative.
  double p = 1.0;  // nested Taylor: 1 + r(1 + r/2(1 + r/3(...)))
  for (int k = 14; k >= 1; --k) p = 1.0 + r * p / k;
  return p * pow2i(n);
}

inline float expf_(float x) { return static_cast<float>(exp_d(static_cast<double>(x))); }

// Natural log for x > 0 (returns -huge for 0, NaN for negative).
inline double log_d(double x) {
  if (!(x > 0)) return x == 0 ? -1.0e308 : (x - x) / (x - x);
  uint64_t u = double_bits(x);
  int64_t e = static_cast<int64_t>((u >> 52) & 0x7ff);
  if (e == 0) {  // subnormal: scale up
    x *= 18014398509481984.0;  // 2^54
    u = double_bits(x);
    e = static_cast<int64_t>((u >> 52) & 0x7ff) - 54;
  }
  e -= 1023;
  double m = bits_double((u & 0x000fffffffffffffull) | 0x3ff0000000000000ull);  // [1, 2)
  if (m > 1.4142135623730951) {
    m *= 0.5;
    ++e;
  }
  const double s = (m - 1.0) / (m + 1.0), s2 = s * s;  // |s| <= 0.1716
  double sum = 0.0;
  for (int k = 25; k >= 1; k -= 2) sum = sum * s2 + 1.0 / k;
  return 2.0 * s * sum + static_cast<double>(e) * 0.69314718055994530942;
}

// sqrt for x >= 0 by Newton from a bit-level guess (no sqrt libcall, no errno).
inline double sqrt_d(double x) {
  if (!(x > 0)) return x == 0 ? 0.0 : (x - x) / (x - x);
  if (x > 1.0e300) return x;  // infinity and beyond the table's use
  double y = bits_double((double_bits(x) >> 1) + 0x1ff8000000000000ull);
  for (int i = 0; i < 6; ++i) y = 0.5 * (y + x / y);
  return y;
}

// sin and cos of x in double, reduced modulo pi/2 (accurate to ~1e-15 for |x| < 1e6).
inline void sincos_d(double x, double* s, double* c) {
  const double pio2_1 = 1.57079632673412561417e+00, pio2_1t = 6.07710050650619224932e-11;
  const int64_t n = round_to_int(x * 0.63661977236758134308);
  const double r = (x - static_cast<double>(n) * pio2_1) - static_cast<double>(n) * pio2_1t;
  const double r2 = r * r;
  double ps = 0.0, pc = 0.0;
  // sin r = r * sum (-1)^k r^2k/(2k+1)!, cos r = sum (-1)^k r^2k/(2k)!, |r| <= pi/4.
  double fs = 1.0, fc = 1.0;  // running factorial terms
  double term_s = 1.0, term_c = 1.0;
  for (int k = 0; k < 11; ++k) {
    ps += term_s;
    pc += term_c;
    fs = static_cast<double>((2 * k + 2) * (2 * k + 3));
    fc = static_cast<double>((2 * k + 1) * (2 * k + 2));
    term_s *= -r2 / fs;
    term_c *= -r2 / fc;
  }
  const double sr = r * ps, cr = pc;
  switch (static_cast<int>(n & 3)) {
    case 0: *s = sr; *c = cr; break;
    case 1: *s = cr; *c = -sr; break;
    case 2: *s = -sr; *c = -cr; break;
    default: *s = -cr; *c = sr; break;
  }
}

AAE_MODELLIB_END
