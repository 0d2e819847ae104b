// Reference element-wise and row kernels, fp32 activations. Shapes are in elements.
#pragma once

#include "modellib/kernels/vec.h"
#include "modellib/kernels/weight_format.h"
#include "modellib/support/math.h"

AAE_MODELLIB_BEGIN

// y[i] = w[i] * x[i] / sqrt(mean(x^2) + eps), fp32 accumulation, eps inside the root.
// w is a model-dtype parameter (kHalf: a ParamDType; a bool means fp16 or not). x and y may alias.
template <int kHalf>
inline void rms_norm(const float* x, const void* w, float* y, int64_t n, float eps) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += x[i] * x[i];
  const float inv = static_cast<float>(1.0 / sqrt_d(static_cast<double>(sum / static_cast<float>(n) + eps)));
  for (int64_t i = 0; i < n; ++i) y[i] = load_param<kHalf>(w, i) * (x[i] * inv);
}

// Rotate-half RoPE on one head vector x[D] in place, with cos/sin[D/2] of its position:
// out[d] = x[d] cos - x[d+D/2] sin (d < D/2); out[d] = x[d] cos + x[d-D/2] sin (d >= D/2).
inline void rope_rotate_half(float* x, const float* cos_row, const float* sin_row, int64_t D) {
  const int64_t half = D / 2;
  for (int64_t d = 0; d < half; ++d) {
    const float a = x[d], b = x[d + half];
    x[d] = a * cos_row[d] - b * sin_row[d];
    x[d + half] = b * cos_row[d] + a * sin_row[d];
  }
}

// Fills cos/sin tables [positions][D/2] for inv_freq(d) = theta^(-2d/D), in double then fp32.
inline void rope_tables(float* cos_table, float* sin_table, int64_t positions, int64_t D,
                        double theta) {
  const int64_t half = D / 2;
  const double log_theta = log_d(theta);
  for (int64_t d = 0; d < half; ++d) {
    const double inv_freq = exp_d(-log_theta * (2.0 * static_cast<double>(d)) / static_cast<double>(D));
    for (int64_t p = 0; p < positions; ++p) {
      double s, c;
      sincos_d(static_cast<double>(p) * inv_freq, &s, &c);
      cos_table[p * half + d] = static_cast<float>(c);
      sin_table[p * half + d] = static_cast<float>(s);
    }
  }
}

// In-place softmax over x[n], max-subtracted; four lanes at a time with exp4.
inline void softmax(float* x, int64_t n) {
  float m = x[0];
  for (int64_t i = 1; i < n; ++i) m = x[i] > m ? x[i] : m;
  const F32x4 mv = splat4(m);
  F32x4 sum4 = splat4(0.0f);
  const int64_t body = n - n % 4;  // whole vectors; the rest element by element
  for (int64_t i = 0; i < body; i += 4) {
    const F32x4 e = exp4(load4(x + i) - mv);
    store4(x + i, e);
    sum4 += e;
  }
  float sum = hsum4(sum4);
  for (int64_t i = body; i < n; ++i) {
    x[i] = exp1(x[i] - m);
    sum += x[i];
  }
  const float inv = 1.0f / sum;
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

inline float silu(float x) { return x / (1.0f + exp1(-x)); }

// out[i] = silu(gate_up[i]) * gate_up[n + i]: gate is the first half, up the second.
inline void silu_mul(const float* gate_up, float* out, int64_t n) {
  const int64_t body = n - n % 4;
  for (int64_t i = 0; i < body; i += 4) {
    const F32x4 g = load4(gate_up + i);
    store4(out + i, g / (1.0f + exp4(-g)) * load4(gate_up + n + i));
  }
  for (int64_t i = body; i < n; ++i) out[i] = silu(gate_up[i]) * gate_up[n + i];
}

// Embedding row `token` of a [V, H] table in the given weight format.
template <typename Format>
inline void embedding_row(const void* const* t, int64_t token, float* out, int64_t H) {
  Format::dequant_row(t, token, out, H);
}

AAE_MODELLIB_END
