// NeoxFamily's element-wise pieces against libm: the freestanding erf and the exact GeLU.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "modellib/arch/gpt_neox.h"

namespace ml = aae::modellib;

namespace {

TEST(NeoxKernels, ErfMatchesLibmAcrossTheRange) {
  double worst = 0;
  for (int i = -8000; i <= 8000; ++i) {
    const double x = static_cast<double>(i) / 1000.0;  // [-8, 8], across both methods' seam at 2.5
    worst = std::max(worst, std::fabs(ml::erf_d(x) - std::erf(x)));
  }
  EXPECT_LE(worst, 1e-12);
  EXPECT_EQ(ml::erf_d(0.0), 0.0);
  EXPECT_EQ(ml::erf_d(40.0), 1.0);
  EXPECT_EQ(ml::erf_d(-40.0), -1.0);
}

TEST(NeoxKernels, GeluIsTheExactErfFormNotTheTanhApproximation) {
  std::vector<float> x;
  for (int i = -60; i <= 60; ++i) x.push_back(static_cast<float>(i) / 10.0f);  // [-6, 6]
  std::vector<float> y = x;
  ml::gelu_erf_inplace(y.data(), static_cast<int64_t>(y.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = x[i];
    EXPECT_NEAR(y[i], 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))), 1e-6) << "x = " << v;
  }
  // At x = -2 the erf form is -0.045500 and the tanh form -0.045402: the two differ.
  std::vector<float> at = {-2.0f};
  ml::gelu_erf_inplace(at.data(), 1);
  EXPECT_NEAR(at[0], -0.0455003, 2e-7);
}

// The MLP biases are float32 records in every model: added as float32 over [T][N], not read
// through the model dtype (1/3 is not exact in fp16, so a half read would differ).
TEST(NeoxKernels, MlpBiasIsAddedAsFloat32) {
  const float bias[3] = {1.0f / 3.0f, -2.5f, 1e-7f};
  std::vector<float> y = {1, 2, 3, 4, 5, 6};  // [T=2][N=3]
  ml::add_bias_f32(y.data(), bias, 2, 3);
  const std::vector<float> want = {1 + 1.0f / 3.0f, 2 - 2.5f, 3 + 1e-7f,
                                   4 + 1.0f / 3.0f, 5 - 2.5f, 6 + 1e-7f};
  EXPECT_EQ(y, want);
}

}  // namespace
