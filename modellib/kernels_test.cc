// Reference kernels against plain double implementations, and the SIMD variants against the
// reference. The headers compile here as ordinary hosted C++.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "modellib/kernels/attention.h"
#include "modellib/kernels/linear.h"
#include "modellib/kernels/ops.h"
#include "modellib/kernels/vec.h"
#include "modellib/testing/tiny_llama.h"
#include "runtime/base/half.h"

namespace ml = aae::modellib;

namespace {

TEST(ModellibFp16, MatchesRuntimeHalfConversionsOnEveryHalf) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = aae::half_to_float(static_cast<uint16_t>(h));
    const float g = ml::half_to_float(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      ASSERT_TRUE(std::isnan(g)) << h;
      continue;
    }
    ASSERT_EQ(f, g) << h;
    ASSERT_EQ(ml::float_to_half(f), h) << h;
  }
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-70000.0f, 70000.0f);
  for (int i = 0; i < 100000; ++i) {
    const float f = dist(rng) * (i % 3 == 0 ? 1e-6f : 1.0f);
    ASSERT_EQ(ml::float_to_half(f), aae::float_to_half(f)) << f;
  }
}

TEST(ModellibMath, ElementaryFunctionsMatchLibm) {
  for (double x = -700; x < 700; x += 0.37) EXPECT_NEAR(ml::exp_d(x) / std::exp(x), 1.0, 1e-13) << x;
  for (double x = 1e-300; x < 1e300; x *= 7.3) EXPECT_NEAR(ml::log_d(x), std::log(x), 1e-12 * std::fabs(std::log(x)) + 1e-15) << x;
  for (double x = 1e-30; x < 1e30; x *= 3.1) EXPECT_NEAR(ml::sqrt_d(x) / std::sqrt(x), 1.0, 1e-15) << x;
  for (double x = -5000; x < 5000; x += 0.731) {
    double s, c;
    ml::sincos_d(x, &s, &c);
    EXPECT_NEAR(s, std::sin(x), 1e-12) << x;
    EXPECT_NEAR(c, std::cos(x), 1e-12) << x;
  }
  EXPECT_EQ(ml::exp_d(-1000), 0.0);
  EXPECT_NEAR(ml::expf_(1.0f), 2.7182817f, 1e-6f);
}

TEST(ModellibOps, RmsNormSoftmaxSiluAndRopeMatchDouble) {
  std::mt19937 rng(2);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  const int n = 96;
  std::vector<float> x(n), w(n), y(n);
  for (int i = 0; i < n; ++i) x[i] = dist(rng), w[i] = 1.0f + 0.1f * dist(rng);
  ml::rms_norm<false>(x.data(), w.data(), y.data(), n, 1e-5f);
  double ss = 0;
  for (float v : x) ss += double(v) * v;
  const double inv = 1.0 / std::sqrt(ss / n + 1e-5);
  for (int i = 0; i < n; ++i) EXPECT_NEAR(y[i], w[i] * x[i] * inv, 1e-5) << i;

  std::vector<float> s = x;
  ml::softmax(s.data(), n);
  double m = x[0], sum = 0;
  for (float v : x) m = std::max(m, double(v));
  for (float v : x) sum += std::exp(v - m);
  for (int i = 0; i < n; ++i) EXPECT_NEAR(s[i], std::exp(x[i] - m) / sum, 1e-7) << i;

  for (float v : x) EXPECT_NEAR(ml::silu(v), v / (1 + std::exp(-double(v))), 1e-6) << v;

  const int D = 16, P = 40;
  std::vector<float> cos_t(P * D / 2), sin_t(P * D / 2);
  ml::rope_tables(cos_t.data(), sin_t.data(), P, D, 10000.0);
  const int p = 37;
  std::vector<float> q(x.begin(), x.begin() + D);
  ml::rope_rotate_half(q.data(), &cos_t[p * D / 2], &sin_t[p * D / 2], D);
  for (int d = 0; d < D; ++d) {
    const double f = p * std::pow(10000.0, -2.0 * (d % (D / 2)) / D);
    const double expect = d < D / 2 ? x[d] * std::cos(f) - x[d + D / 2] * std::sin(f)
                                    : x[d] * std::cos(f) + x[d - D / 2] * std::sin(f);
    EXPECT_NEAR(q[d], expect, 1e-5) << d;
  }
}

TEST(ModellibVec, Exp4IsWithinFloatRoundingOfLibmOverItsRange) {
  double worst = 0;
  for (double x = -87.0; x < 88.7; x += 0.001) {
    const double want = std::exp(double(float(x)));
    const float got = ml::exp4(ml::splat4(float(x)))[1];
    worst = std::max(worst, std::fabs(got - want) / want);
  }
  EXPECT_LT(worst, 3e-7);
  EXPECT_EQ(ml::exp1(-200.0f), 0.0f);
  EXPECT_TRUE(std::isinf(ml::exp1(200.0f)));
  EXPECT_TRUE(std::isnan(ml::exp1(NAN)));
  EXPECT_EQ(ml::exp1(0.0f), 1.0f);
}

TEST(ModellibVec, FourWideHalfWideningMatchesScalarOnEveryHalf) {
  for (uint32_t h = 0; h < 0x10000; h += 4) {
    const uint16_t in[4] = {static_cast<uint16_t>(h), static_cast<uint16_t>(h + 1),
                            static_cast<uint16_t>(h + 2), static_cast<uint16_t>(h + 3)};
    const ml::F32x4 v = ml::load4(in);
    for (int i = 0; i < 4; ++i) {
      const float want = ml::half_to_float(in[i]), got = v[i];
      if (std::isnan(want)) {
        ASSERT_TRUE(std::isnan(got)) << in[i];
        ASSERT_EQ(ml::bits_of(got), ml::bits_of(want)) << in[i];  // payload and sign kept
      } else {
        ASSERT_EQ(ml::bits_of(got), ml::bits_of(want)) << in[i];
      }
    }
  }
  const float a[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  const uint16_t b[8] = {0x3c00, 0x4000, 0xbc00, 0, 0x3800, 0x3800, 0x3800, 0x3800};  // 1,2,-1,0,.5..
  EXPECT_FLOAT_EQ(ml::dot4(a, b, 8), 1 + 4 - 3 + 0 + 0.5f * (5 + 6 + 7 + 8));
  float out[8] = {};
  ml::axpy4(out, 2.0f, a, 8);
  EXPECT_FLOAT_EQ(out[7], 16.0f);
}

TEST(ModellibAttention, SlidingWindowKeepsSinksAndRecentPositions) {
  // Window 8 with 2 sinks: position 20 sees 0,1 and 15..20.
  const ml::AttentionSpan span = ml::attention_span(20, 8, 2);
  EXPECT_EQ(span.first_end, 2);
  EXPECT_EQ(span.second_begin, 15);
  const ml::AttentionSpan early = ml::attention_span(5, 8, 2);
  EXPECT_EQ(early.first_end, 0);
  EXPECT_EQ(early.second_begin, 0);
  const ml::AttentionSpan none = ml::attention_span(100, -1, 4);
  EXPECT_EQ(none.second_begin, 0);
}

// Random tensors of one group-quantized linear [N, K] and its dequantized doubles.
struct QuantLinear {
  std::vector<uint32_t> words;
  std::vector<uint16_t> half_scales;
  std::vector<float> float_scales;
  std::vector<double> dense;  // [N, K]
};

QuantLinear make_quant(int bits, int group, int zero, int64_t N, int64_t K, uint32_t seed) {
  std::mt19937 rng(seed);
  const int per_word = 32 / bits, words_per_group = group / per_word;
  const int64_t G = (K + group - 1) / group;
  QuantLinear q;
  q.words.resize(N * G * words_per_group);
  for (auto& w : q.words) w = rng();
  std::uniform_real_distribution<float> sd(0.005f, 0.03f);
  for (int64_t i = 0; i < N * G; ++i) {
    const uint16_t h = aae::float_to_half(sd(rng));
    q.half_scales.push_back(h);
    q.float_scales.push_back(sd(rng));
  }
  return q;
}

std::vector<double> dequant(const QuantLinear& q, int bits, int group, int zero, int64_t N,
                            int64_t K, bool half_scale) {
  const int per_word = 32 / bits, words_per_group = group / per_word;
  const int64_t G = (K + group - 1) / group;
  std::vector<double> out(N * K);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      const int64_t g = k / group, i = k % group;
      const uint32_t word = q.words[n * G * words_per_group + g * words_per_group + i / per_word];
      const int v = (word >> (bits * (i % per_word))) & ((1u << bits) - 1);
      const double s = half_scale ? aae::half_to_float(q.half_scales[n * G + g]) : q.float_scales[n * G + g];
      out[n * K + k] = (v - zero) * s;
    }
  return out;
}

template <typename Format>
void expect_dot_matches(const void* const* t, const std::vector<double>& dense, int64_t N, int64_t K,
                        const std::vector<float>& x, double tol) {
  std::vector<float> row(K);
  for (int64_t n = 0; n < N; ++n) {
    double ref = 0, mag = 0;
    for (int64_t k = 0; k < K; ++k) ref += dense[n * K + k] * x[k], mag += std::fabs(dense[n * K + k] * x[k]);
    EXPECT_NEAR(Format::dot_row(t, n, x.data(), K), ref, tol * mag + 1e-12) << Format::kName << " row " << n;
    Format::dequant_row(t, n, row.data(), K);
    for (int64_t k = 0; k < K; ++k) ASSERT_EQ(row[k], static_cast<float>(dense[n * K + k])) << k;
    std::vector<float> part(K);
    Format::dequant_range(t, n, K, 3, K - 5, part.data());
    for (int64_t k = 0; k < K - 5; ++k) ASSERT_EQ(part[k], row[k + 3]) << k;
  }
}

TEST(ModellibWeightFormats, EveryFormatDotAndDequantMatchDouble) {
  const int64_t N = 7;
  std::mt19937 rng(3);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (int64_t K : {64, 80, 100}) {  // whole groups and a ragged last group
    std::vector<float> x(K);
    for (auto& v : x) v = dist(rng);
    std::vector<float> f32(N * K);
    std::vector<uint16_t> f16(N * K);
    std::vector<double> dense32(N * K), dense16(N * K);
    for (int64_t i = 0; i < N * K; ++i) {
      f32[i] = dist(rng) * 0.1f;
      dense32[i] = f32[i];
      f16[i] = aae::float_to_half(f32[i]);
      dense16[i] = aae::half_to_float(f16[i]);
    }
    const void* t32[] = {f32.data()};
    const void* t16[] = {f16.data()};
    expect_dot_matches<ml::FormatQ0F32>(t32, dense32, N, K, x, 1e-6);
    expect_dot_matches<ml::FormatQ0F16>(t16, dense16, N, K, x, 1e-6);
    QuantLinear q4 = make_quant(4, 32, 7, N, K, 4);
    const void* tq4h[] = {q4.words.data(), q4.half_scales.data()};
    const void* tq4f[] = {q4.words.data(), q4.float_scales.data()};
    expect_dot_matches<ml::FormatQ4F16_1>(tq4h, dequant(q4, 4, 32, 7, N, K, true), N, K, x, 1e-6);
    expect_dot_matches<ml::FormatQ4F32_1>(tq4f, dequant(q4, 4, 32, 7, N, K, false), N, K, x, 1e-6);
    QuantLinear q3 = make_quant(3, 40, 3, N, K, 5);
    const void* tq3[] = {q3.words.data(), q3.half_scales.data()};
    expect_dot_matches<ml::FormatQ3F16_1>(tq3, dequant(q3, 3, 40, 3, N, K, true), N, K, x, 1e-6);
    // bfloat16: the top half of a float.
    std::vector<uint16_t> bf16(N * K);
    std::vector<double> dense_bf16(N * K);
    for (int64_t i = 0; i < N * K; ++i) {
      bf16[i] = aae::float_to_bfloat16(f32[i]);
      dense_bf16[i] = aae::bfloat16_to_float(bf16[i]);
    }
    const void* tbf16[] = {bf16.data()};
    expect_dot_matches<ml::FormatQ0BF16>(tbf16, dense_bf16, N, K, x, 1e-6);
    // The KN ("_0") formats: the same codes and scales transposed, N appended as a third entry.
    auto transposed = [](const auto& v, int64_t rows, int64_t cols) {
      auto out = v;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) out[c * rows + r] = v[r * cols + c];
      return out;
    };
    const int64_t g4 = (K + 31) / 32, g3 = (K + 39) / 40;
    const auto q4_words = transposed(q4.words, N, g4 * 4), q3_words = transposed(q3.words, N, g3 * 4);
    const auto q4_scales = transposed(q4.half_scales, N, g4), q3_scales = transposed(q3.half_scales, N, g3);
    const void* tq4kn[] = {q4_words.data(), q4_scales.data(), &N};
    const void* tq3kn[] = {q3_words.data(), q3_scales.data(), &N};
    expect_dot_matches<ml::FormatQ4F16_0>(tq4kn, dequant(q4, 4, 32, 7, N, K, true), N, K, x, 1e-6);
    expect_dot_matches<ml::FormatQ3F16_0>(tq3kn, dequant(q3, 3, 40, 3, N, K, true), N, K, x, 1e-6);
  }
}

TEST(ModellibLinear, ReferenceMultiTokenPathMatchesDoubleAcrossSliceBoundaries) {
  const int64_t N = 5, K = 600, T = 3;  // slices of 256, 256, 88; 600 is not a multiple of 32
  QuantLinear q = make_quant(4, 32, 7, N, K, 8);
  const void* t[] = {q.words.data(), q.half_scales.data()};
  const std::vector<double> dense = dequant(q, 4, 32, 7, N, K, true);
  std::vector<uint16_t> bias(N);
  for (int64_t n = 0; n < N; ++n) bias[n] = aae::float_to_half(0.25f * static_cast<float>(n));
  std::mt19937 rng(9);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> X(T * K), Y(T * N, -1.0f), Y1(N);
  for (auto& v : X) v = dist(rng);
  const ml::LinearKernel reference = ml::LinearKernels<ml::FormatQ4F16_1>::get(ml::kLinearReference);
  ml::linear<ml::FormatQ4F16_1>(nullptr, reference, t, bias.data(), X.data(), Y.data(), T, N, K,
                                nullptr);
  for (int64_t tok = 0; tok < T; ++tok)
    for (int64_t n = 0; n < N; ++n) {
      double ref = aae::half_to_float(bias[n]), mag = 0;
      for (int64_t k = 0; k < K; ++k)
        ref += dense[n * K + k] * X[tok * K + k], mag += std::fabs(dense[n * K + k] * X[tok * K + k]);
      EXPECT_NEAR(Y[tok * N + n], ref, 1e-6 * mag) << tok << "," << n;
    }
  ml::linear<ml::FormatQ4F16_1>(nullptr, reference, t, bias.data(), X.data(), Y1.data(), 1, N, K,
                                nullptr);
  for (int64_t n = 0; n < N; ++n) EXPECT_NEAR(Y1[n], Y[n], 1e-4) << n;
}

TEST(ModellibLinear, Int8ActivationsFollowTheDocumentedQuantization) {
  // One group of 32: amax 2.54 gives d = 0.02; 0.01 is a tie that rounds to even (0), 0.03 to 2.
  std::vector<float> x(32, 0.0f);
  x[0] = 2.54f, x[1] = -2.54f, x[2] = 0.01f, x[3] = 0.03f, x[4] = 1.0f;
  using A = ml::Q8Acts<32>;
  alignas(64) unsigned char acts[A::row_bytes(32)];
  ml::prep_q8_natural<32, 7>(x.data(), 1, 32, acts);
  const int8_t* q = A::q(acts, 0, 32);
  EXPECT_EQ(q[0], 127);
  EXPECT_EQ(q[1], -127);
  EXPECT_EQ(q[4], 50);
  EXPECT_LE(std::abs(q[2]), 1);
  EXPECT_EQ(q[3], 2);
  EXPECT_FLOAT_EQ(A::d(acts, 0, 32)[0], 2.54f / 127.0f);
  int sum = 0;
  for (int i = 0; i < 32; ++i) sum += q[i];
  EXPECT_FLOAT_EQ(A::corr(acts, 0, 32)[0], 7.0f * (2.54f / 127.0f) * static_cast<float>(sum));
  EXPECT_EQ(ml::round_nearest_even(2.5f), 2);
  EXPECT_EQ(ml::round_nearest_even(3.5f), 4);
  EXPECT_EQ(ml::round_nearest_even(-2.5f), -2);
  EXPECT_EQ(ml::round_nearest_even(-126.6f), -127);
}

}  // namespace
