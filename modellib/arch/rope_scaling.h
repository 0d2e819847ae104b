// RoPE cos/sin tables for an architecture Config, with the scalings MLC applies in its KV cache.
// A Config opts in by declaring the members; a Config without them gets plain RoPE, so existing
// Configs need no change.
//
// phi3 longrope (mlc-model-params.md §4.3, TVM rope_freq_longrope):
//   static constexpr double rope_ext_factors[head_dim / 2];  // long_factor
//   static constexpr double rope_attention_factor;           // on cos and sin
// angle(p, d) = p / (ext[d] * theta^(2d/D)); cos and sin are multiplied by the factor.
#pragma once

#include "modellib/kernels/ops.h"

AAE_MODELLIB_BEGIN

// Detects Config::rope_ext_factors without <type_traits> (freestanding builds have none).
template <typename Config, typename = void>
struct HasRopeExtFactors {
  static constexpr bool value = false;
};
template <typename Config>
struct HasRopeExtFactors<Config, decltype(void(Config::rope_ext_factors[0]))> {
  static constexpr bool value = true;
};

// Fills cos/sin [positions][D/2] (fp32, computed in double) for Config's RoPE.
template <typename Config>
inline void rope_tables_for(float* cos_table, float* sin_table, int64_t positions, int64_t D) {
  if constexpr (HasRopeExtFactors<Config>::value) {
    static_assert(sizeof(Config::rope_ext_factors) / sizeof(double) >=
                      static_cast<unsigned long long>(Config::head_dim / 2),
                  "rope_ext_factors needs one factor per rotary frequency (head_dim / 2)");
    const int64_t half = D / 2;
    const double log_theta = log_d(Config::rope_theta);
    const double scale = Config::rope_attention_factor;
    for (int64_t d = 0; d < half; ++d) {
      const double inv_freq =
          exp_d(-log_theta * (2.0 * static_cast<double>(d)) / static_cast<double>(D)) /
          Config::rope_ext_factors[d];
      for (int64_t p = 0; p < positions; ++p) {
        double s, c;
        sincos_d(static_cast<double>(p) * inv_freq, &s, &c);
        cos_table[p * half + d] = static_cast<float>(c * scale);
        sin_table[p * half + d] = static_cast<float>(s * scale);
      }
    }
  } else {
    rope_tables(cos_table, sin_table, positions, D, Config::rope_theta);
  }
}

AAE_MODELLIB_END
