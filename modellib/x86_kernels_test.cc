// Focused tests of the x86-64 linear kernels (modellib/kernels/x86_*.h): the activation
// orders their preps promise, the q3 unpack tables, the TinyLlama shapes, ragged K / N / row
// ranges, and tiling (a GEMM equals its tokens' GEMVs). The shared suite
// (kernel_suite_test.cc) covers every variant broadly; these pin what is specific to x86.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "modellib/kernels/linear.h"
#include "modellib/testing/tiny_llama.h"
#include "runtime/base/half.h"

namespace ml = aae::modellib;
namespace mt = aae::modellib_testing;

namespace {

#if defined(__x86_64__)

// 64-byte aligned scratch.
struct Scratch {
  explicit Scratch(size_t bytes) : p(std::aligned_alloc(64, (bytes + 127) / 64 * 64)) {}
  ~Scratch() { std::free(p); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  void* p;
};

std::vector<float> random_x(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(n);
  for (auto& v : x) v = normal(rng);
  return x;
}

// Random weights in a group format: codes everywhere (padding too), scales in [0.001, 0.05].
template <typename Format>
struct GroupWeights {
  GroupWeights(int64_t N, int64_t K, uint32_t seed) {
    std::mt19937 rng(seed);
    const int64_t G = Format::groups(K);
    codes.resize(N * G * Format::kWordsPerGroup);
    std::uniform_int_distribution<uint32_t> code(0, Format::kMask);
    for (auto& w : codes) {
      w = 0;
      for (int j = 0; j < Format::kPerWord; ++j) w |= code(rng) << (j * (32 / Format::kPerWord));
    }
    std::uniform_real_distribution<float> scale(0.001f, 0.05f);
    scales.resize(N * G * (Format::kHalfParams ? 2 : 4));
    for (int64_t i = 0; i < N * G; ++i) {
      if (Format::kHalfParams) {
        reinterpret_cast<uint16_t*>(scales.data())[i] = aae::float_to_half(scale(rng));
      } else {
        reinterpret_cast<float*>(scales.data())[i] = scale(rng);
      }
    }
    ptrs[0] = codes.data();
    ptrs[1] = scales.data();
  }
  std::vector<uint32_t> codes;
  std::vector<uint8_t> scales;
  const void* ptrs[2];
};

bool host_has(uint64_t need) { return (mt::host_cpu_features() & need) == need; }

const uint64_t kAvx2 = AAE_CPU_X86_AVX2 | AAE_CPU_X86_FMA | AAE_CPU_X86_F16C;
const uint64_t kAvx512 = kAvx2 | AAE_CPU_X86_AVX512F | AAE_CPU_X86_AVX512BW | AAE_CPU_X86_AVX512VNNI;

// Runs `kernel` (prep, then rows over [n0, n1)) into Y [T, ldy] prefilled with NaN.
template <typename Format>
std::vector<float> run(const ml::LinearKernel& kernel, const void* const* w, const std::vector<float>& X,
                       int64_t T, int64_t K, int64_t ldy, int64_t n0, int64_t n1) {
  Scratch acts(static_cast<size_t>(ml::ActsBytes<Format>::of(T, K)) + 64);
  std::vector<float> Y(T * ldy, NAN);
  const void* input = X.data();
  if (kernel.prep != nullptr) {
    kernel.prep(X.data(), T, K, acts.p);
    input = acts.p;
  }
  kernel.rows(w, input, Y.data(), ldy, T, n0, n1, K);
  return Y;
}

// max over outputs of |y - oracle| / sum_k |W[n, k] x[t, k]| (dequantized W).
template <typename Format>
double worst_relative_error(const void* const* w, const std::vector<float>& X, const std::vector<float>& y,
                            const std::vector<float>& oracle, int64_t T, int64_t N, int64_t K, int64_t ldy,
                            int64_t n0, int64_t n1) {
  std::vector<float> row(K);
  double worst = 0;
  for (int64_t n = n0; n < n1; ++n) {
    Format::dequant_row(w, n, row.data(), K);
    for (int64_t t = 0; t < T; ++t) {
      double mag = 1e-12;
      for (int64_t k = 0; k < K; ++k) mag += std::fabs(double(row[k]) * X[t * K + k]);
      const double e = std::fabs(double(y[t * ldy + n]) - oracle[t * ldy + n]) / mag;
      if (!(e <= worst)) worst = e;  // NaN counts as worst
    }
  }
  return worst;
}

TEST(X86Q4Prep, StoresEachGroupEvensThenOddsExactlyAsTheScalarQuantizer) {
  if (!host_has(kAvx2)) GTEST_SKIP() << "no avx2/fma/f16c";
  const int64_t T = 3, K = 32 * 5 + 13;  // 5 full groups and a ragged one
  std::vector<float> X = random_x(T * K, 11);
  for (int64_t k = 0; k < K; ++k) X[1 * K + k] = 0.0f;  // amax == 0
  using A = ml::Q8Acts<32>;
  Scratch natural(A::row_bytes(K) * T), ordered(A::row_bytes(K) * T);
  ml::prep_q8_natural<32, 7>(X.data(), T, K, natural.p);
  ml::LinearKernels<ml::FormatQ4F16_1>::get(ml::kLinearX86Avx2).prep(X.data(), T, K, ordered.p);
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t g = 0; g < A::groups(K); ++g) {
      ASSERT_EQ(A::d(ordered.p, t, K)[g], A::d(natural.p, t, K)[g]) << t << " " << g;
      ASSERT_EQ(A::corr(ordered.p, t, K)[g], A::corr(natural.p, t, K)[g]) << t << " " << g;
      for (int p = 0; p < 32; ++p) {
        const int element = p < 16 ? 2 * p : 2 * (p - 16) + 1;
        ASSERT_EQ(A::q(ordered.p, t, K)[g * 32 + p], A::q(natural.p, t, K)[g * 32 + element])
            << "t " << t << " group " << g << " position " << p;
      }
    }
  }
}

TEST(X86Q3Prep, KeepsNaturalOrderBitForBit) {
  if (!host_has(kAvx2)) GTEST_SKIP() << "no avx2/fma/f16c";
  const int64_t T = 2, K = 40 * 7 + 9;
  const std::vector<float> X = random_x(T * K, 12);
  using A = ml::Q8Acts<40>;
  Scratch natural(A::row_bytes(K) * T), simd(A::row_bytes(K) * T);
  ml::prep_q8_natural<40, 3>(X.data(), T, K, natural.p);
  ml::LinearKernels<ml::FormatQ3F16_1>::get(ml::kLinearX86Avx2).prep(X.data(), T, K, simd.p);
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t i = 0; i < A::groups(K) * 40; ++i) ASSERT_EQ(A::q(simd.p, t, K)[i], A::q(natural.p, t, K)[i]) << i;
    for (int64_t g = 0; g < A::groups(K); ++g) {
      ASSERT_EQ(A::d(simd.p, t, K)[g], A::d(natural.p, t, K)[g]);
      ASSERT_EQ(A::corr(simd.p, t, K)[g], A::corr(natural.p, t, K)[g]);
    }
  }
}

// Each of the 40 codes of a q3 group is picked by exactly one (slot, lane) of the pshufb/mask
// tables, as code << s with s <= 7 (so the activation factor 2^(7-s) is an integer).
TEST(X86Q3Slots, SelectEveryCodeOfAGroupExactlyOnce) {
  const auto& slots = ml::x86::kQ3Slots;
  for (int c = 0; c < 40; ++c) {
    uint32_t words[4] = {0, 0, 0, 0};
    words[c / 10] = 7u << (3 * (c % 10));
    const uint8_t* bytes = reinterpret_cast<const uint8_t*>(words);
    int hits = 0;
    for (int j = 0; j < 5; ++j) {
      for (int l = 0; l < 8; ++l) {
        const uint8_t lo_i = slots.shuffle[j][2 * l], hi_i = slots.shuffle[j][2 * l + 1];
        const uint32_t lane = bytes[lo_i] | (hi_i & 0x80 ? 0u : uint32_t(bytes[hi_i]) << 8);
        const uint32_t picked = lane & slots.mask[j][l];
        if (picked == 0) continue;
        ++hits;
        EXPECT_EQ(8 * j + l, c);
        EXPECT_EQ(picked * slots.act_scale[j][l], 7u * 128u) << "code " << c;
      }
    }
    EXPECT_EQ(hits, 1) << "code " << c;
  }
}

// The x86 variants of a format against the scalar int8 oracle (int8 formats) or the reference
// (float formats) on one shape, rows [n0, n1) of N, T tokens; outputs outside stay NaN.
template <typename Format>
void expect_matches_oracle(uint32_t variant, int64_t N, int64_t K, int64_t T, int64_t n0, int64_t n1) {
  using Kernels = ml::LinearKernels<Format>;
  const ml::LinearKernel kernel = Kernels::get(variant);
  const bool i8 = kernel.prep != nullptr;
  const ml::LinearKernel oracle = Kernels::get(i8 ? ml::kLinearScalarI8 : ml::kLinearReference);
  const std::vector<float> X = random_x(T * K, 21);
  const int64_t ldy = N + 5;
  auto check = [&](const void* const* w) {
    const auto y = run<Format>(kernel, w, X, T, K, ldy, n0, n1);
    const auto ref = run<Format>(oracle, w, X, T, K, ldy, n0, n1);
    EXPECT_LE(worst_relative_error<Format>(w, X, y, ref, T, N, K, ldy, n0, n1), 1e-5)
        << Format::kName << " " << kernel.name << " N=" << N << " K=" << K << " T=" << T;
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t n = 0; n < ldy; ++n) {
        if (n < n0 || n >= n1) {
          ASSERT_TRUE(std::isnan(y[t * ldy + n])) << "wrote row " << n << " token " << t;
        }
      }
    }
  };
  if constexpr (Format::kTensors == 2) {
    GroupWeights<Format> w(N, K, 5);
    check(w.ptrs);
  } else {
    std::vector<uint8_t> blob(N * K * (Format::kHalfParams ? 2 : 4));
    std::mt19937 rng(6);
    std::normal_distribution<float> normal(0.0f, 0.05f);
    for (int64_t i = 0; i < N * K; ++i) {
      if (Format::kHalfParams) {
        reinterpret_cast<uint16_t*>(blob.data())[i] = aae::float_to_half(normal(rng));
      } else {
        reinterpret_cast<float*>(blob.data())[i] = normal(rng);
      }
    }
    const void* ptrs[2] = {blob.data(), nullptr};
    check(ptrs);
  }
}

template <typename Format>
void expect_all_x86_match(int64_t N, int64_t K, int64_t T, int64_t n0, int64_t n1) {
  if (host_has(kAvx2)) expect_matches_oracle<Format>(ml::kLinearX86Avx2, N, K, T, n0, n1);
  if (host_has(kAvx512)) expect_matches_oracle<Format>(ml::kLinearX86Avx512, N, K, T, n0, n1);
}

TEST(X86Linear, TinyLlamaDownShapeMatchesTheOracle) {
  if (!host_has(kAvx2)) GTEST_SKIP() << "no avx2/fma/f16c";
  for (int64_t T : {1, 4}) {  // decode GEMV, and one full prefill tile
    expect_all_x86_match<ml::FormatQ4F16_1>(2048, 5632, T, 0, 2048);
    expect_all_x86_match<ml::FormatQ3F16_1>(2048, 5632, T, 0, 2048);
    expect_all_x86_match<ml::FormatQ0F16>(2048, 5632, T, 0, 2048);
  }
}

TEST(X86Linear, RaggedKAndRowRangesMatchTheOracle) {
  if (!host_has(kAvx2)) GTEST_SKIP() << "no avx2/fma/f16c";
  // K: not a multiple of either group (32, 40) nor of the SIMD steps; rows: a range that
  // starts and ends inside a 4-row tile; T: full and partial token tiles.
  for (int64_t K : {8, 300, 1000 + 17}) {
    for (int64_t T : {1, 2, 7}) {
      expect_all_x86_match<ml::FormatQ4F16_1>(37, K, T, 3, 30);
      expect_all_x86_match<ml::FormatQ4F32_1>(37, K, T, 3, 30);
      expect_all_x86_match<ml::FormatQ3F16_1>(37, K, T, 3, 30);
      expect_all_x86_match<ml::FormatQ0F16>(37, K, T, 3, 30);
      expect_all_x86_match<ml::FormatQ0F32>(37, K, T, 3, 30);
    }
  }
}

// A GEMM's tiles compute each token as its own GEMV would (same int dots; float order only).
template <typename Format>
void expect_gemm_equals_gemvs(uint32_t variant) {
  const int64_t N = 23, K = 640 + 40, T = 9, ldy = N;
  const ml::LinearKernel kernel = ml::LinearKernels<Format>::get(variant);
  GroupWeights<Format> w(N, K, 8);
  const std::vector<float> X = random_x(T * K, 9);
  const auto gemm = run<Format>(kernel, w.ptrs, X, T, K, ldy, 0, N);
  for (int64_t t = 0; t < T; ++t) {
    const std::vector<float> x(X.begin() + t * K, X.begin() + (t + 1) * K);
    const auto gemv = run<Format>(kernel, w.ptrs, x, 1, K, ldy, 0, N);
    for (int64_t n = 0; n < N; ++n)
      EXPECT_NEAR(gemm[t * ldy + n], gemv[n], 1e-5 * (std::fabs(gemv[n]) + 1e-3)) << kernel.name << " t " << t << " n " << n;
  }
}

TEST(X86Linear, PrefillTilesEqualPerTokenDecode) {
  if (!host_has(kAvx2)) GTEST_SKIP() << "no avx2/fma/f16c";
  expect_gemm_equals_gemvs<ml::FormatQ4F16_1>(ml::kLinearX86Avx2);
  expect_gemm_equals_gemvs<ml::FormatQ3F16_1>(ml::kLinearX86Avx2);
  if (!host_has(kAvx512)) return;
  expect_gemm_equals_gemvs<ml::FormatQ4F16_1>(ml::kLinearX86Avx512);
  expect_gemm_equals_gemvs<ml::FormatQ3F16_1>(ml::kLinearX86Avx512);
}

TEST(X86Linear, VariantsAskOnlyForTheFeaturesTheyUse) {
  const uint64_t f = AAE_CPU_X86_AVX2 | AAE_CPU_X86_FMA | AAE_CPU_X86_F16C | AAE_CPU_X86_AVX512F;
  const int64_t ks[] = {2048};
  // AVX-512F alone runs the float kernels; the int8 ones also need BW and VNNI.
  EXPECT_EQ(ml::LinearKernels<ml::FormatQ0F16>::pick(f, ks, 1), ml::kLinearX86Avx512);
  EXPECT_EQ(ml::LinearKernels<ml::FormatQ4F16_1>::pick(f, ks, 1), ml::kLinearX86Avx2);
  EXPECT_EQ(ml::LinearKernels<ml::FormatQ4F16_1>::pick(f | AAE_CPU_X86_AVX512BW | AAE_CPU_X86_AVX512VNNI, ks, 1),
            ml::kLinearX86Avx512);
  EXPECT_EQ(ml::LinearKernels<ml::FormatQ3F16_1>::pick(AAE_CPU_X86_AVX2 | AAE_CPU_X86_FMA, ks, 1),
            ml::kLinearReference);  // no F16C: no x86 variant
}

#else
TEST(X86Linear, NotAnX86Build) { GTEST_SKIP() << "not an x86-64 build"; }
#endif

}  // namespace
