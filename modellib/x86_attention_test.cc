// attend_group_avx2 (modellib/kernels/x86_attention.h) against the portable per-head
// attend_one (attention.h), on random queries and caches: every block boundary of its 8-key
// blocks (1 .. 41 visible keys), GQA groups of 7 and 8 heads, fp16 and fp32 caches, and a
// sliding window with sinks.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "modellib/kernels/x86_attention.h"
#include "modellib/testing/tiny_llama.h"
#include "runtime/base/half.h"

namespace ml = aae::modellib;
namespace mt = aae::modellib_testing;

namespace {

#if defined(__x86_64__)

constexpr int64_t kD = 64;
constexpr int64_t kKvHeads = 2;  // the group under test reads kv head 1 of 2 (a strided cache)

bool host_has_avx2() {
  const uint64_t need = AAE_CPU_X86_AVX2 | AAE_CPU_X86_FMA | AAE_CPU_X86_F16C;
  return (mt::host_cpu_features() & need) == need;
}

template <typename Kv>
Kv to_kv(float v);
template <>
uint16_t to_kv<uint16_t>(float v) { return aae::float_to_half(v); }
template <>
float to_kv<float>(float v) { return v; }

// Max |avx2 - attend_one| over the group's outputs for a query at position p.
template <int64_t R, typename Kv>
float max_difference(int64_t p, int64_t window, int64_t sink, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int64_t rows = p + 1, stride = kKvHeads * kD;
  std::vector<Kv> k(rows * stride), v(rows * stride);
  // Scores of several units apart, so the softmax is neither flat nor one-hot.
  for (auto& x : k) x = to_kv<Kv>(normal(rng));
  for (auto& x : v) x = to_kv<Kv>(normal(rng));
  std::vector<float> q(R * kD), out(R * kD), expect(R * kD), scores(rows);
  for (auto& x : q) x = 2.0f * normal(rng);
  const float scale = 1.0f / std::sqrt(static_cast<float>(kD));
  const Kv* kh = k.data() + kD;  // kv head 1
  const Kv* vh = v.data() + kD;
  ml::x86::attend_group_avx2<R, kD>(q.data(), kh, vh, stride, p, window, sink, scale, out.data());
  for (int64_t r = 0; r < R; ++r)
    ml::attend_one(q.data() + r * kD, kh, vh, stride, p, window, sink, kD, scale, scores.data(),
                   expect.data() + r * kD);
  float worst = 0.0f;
  for (int64_t i = 0; i < R * kD; ++i) worst = std::fmax(worst, std::fabs(out[i] - expect[i]));
  return worst;
}

TEST(X86Attention, MatchesPerHeadAttentionAtEveryBlockBoundary) {
  if (!host_has_avx2()) GTEST_SKIP() << "no avx2/fma/f16c";
  for (int64_t p = 0; p <= 40; ++p) {
    EXPECT_LT((max_difference<8, uint16_t>(p, 0, 0, 100 + p)), 2e-5f) << "R 8 fp16, position " << p;
    EXPECT_LT((max_difference<7, uint16_t>(p, 0, 0, 200 + p)), 2e-5f) << "R 7 fp16, position " << p;
    EXPECT_LT((max_difference<8, float>(p, 0, 0, 300 + p)), 2e-5f) << "R 8 fp32, position " << p;
  }
}

TEST(X86Attention, SlidingWindowWithSinksMatchesPerHeadAttention) {
  if (!host_has_avx2()) GTEST_SKIP() << "no avx2/fma/f16c";
  // Window 12 with 4 sinks: positions past 12 see 4 sinks + the latest 8 (two separate ranges).
  for (int64_t p : {5, 11, 12, 13, 19, 20, 37}) {
    EXPECT_LT((max_difference<8, uint16_t>(p, 12, 4, 400 + p)), 2e-5f) << "position " << p;
    EXPECT_LT((max_difference<7, float>(p, 12, 4, 500 + p)), 2e-5f) << "position " << p;
  }
}

#else
TEST(X86Attention, NotAnX86Build) { GTEST_SKIP() << "not an x86-64 build"; }
#endif

}  // namespace
