// GemmaFamily's element-wise pieces against double precision: tanh (used by GeLU-tanh and
// gemma2's final logit soft-cap) and the gated GeLU-tanh MLP activation.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "modellib/arch/gemma.h"

namespace ml = aae::modellib;

namespace {

TEST(GemmaKernels, TanhMatchesLibmAndSaturates) {
  double worst = 0;
  for (int i = -4000; i <= 4000; ++i) {
    const float y = static_cast<float>(i) / 200.0f;  // [-20, 20]
    worst = std::max(worst, std::fabs(ml::tanh1(y) - std::tanh(static_cast<double>(y))));
  }
  EXPECT_LE(worst, 3e-7);
  EXPECT_EQ(ml::tanh1(100.0f), 1.0f);   // e^200 overflows to inf: exactly 1
  EXPECT_EQ(ml::tanh1(-100.0f), -1.0f);  // e^-200 underflows to 0: exactly -1
}

TEST(GemmaKernels, GeluTanhTimesUpMatchesTheHuggingFaceFormula) {
  const int64_t n = 37;  // not a multiple of 4
  std::vector<float> gate_up(2 * n), out(n);
  for (int64_t i = 0; i < n; ++i) {
    gate_up[i] = static_cast<float>(i - 18) / 4.0f;       // gate in [-4.5, 4.5]
    gate_up[n + i] = 0.5f + static_cast<float>(i) / 37.0f;  // up
  }
  ml::gelu_tanh_mul(gate_up.data(), out.data(), n);
  const double k = std::sqrt(2.0 / 3.14159265358979323846);
  for (int64_t i = 0; i < n; ++i) {
    const double x = gate_up[i];
    const double expected = 0.5 * x * (1 + std::tanh(k * (x + 0.044715 * x * x * x))) * gate_up[n + i];
    EXPECT_NEAR(out[i], expected, 2e-6) << "x = " << x;
  }
  // Not SiLU: at x = 1, gelu_tanh is 0.8412 where silu is 0.7311.
  EXPECT_NEAR(out[22] / gate_up[n + 22], 0.841192, 1e-5);
}

}  // namespace
