#include "runtime/engine/memory_bandwidth.h"

#include <gtest/gtest.h>

namespace aae {
namespace {

TEST(MemoryBandwidth, SumsA16MiBBufferCorrectlyAtAPlausibleRate) {
  ThreadPool pool(0);
  auto result = measure_read_bandwidth(pool, size_t{16} << 20, 5);
  ASSERT_TRUE(result.ok()) << result.error().message();
  const uint64_t words = (size_t{16} << 20) / 8;
  EXPECT_EQ(result->sum, words / 2 * (words - 1));  // 0 + 1 + ... + (words - 1)
  EXPECT_EQ(result->bytes, size_t{16} << 20);
  ASSERT_EQ(result->pass_seconds.size(), 5u);
  EXPECT_GT(result->gb_per_s, 0.1);
  EXPECT_NEAR(result->gb_per_s, 16.0 * (1 << 20) / result->median_seconds / 1e9, 1e-9);
}

TEST(MemoryBandwidth, OddSizesAndOneThreadStillSumEveryWord) {
  ThreadPool pool(1);
  auto result = measure_read_bandwidth(pool, 8 * 1001 + 5, 1);  // the 5 stray bytes are dropped
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(result->bytes, 8u * 1001);
  EXPECT_EQ(result->sum, 1001u * 1000 / 2);
}

TEST(MemoryBandwidth, RejectsAnEmptyBufferOrNoPasses) {
  ThreadPool pool(1);
  EXPECT_EQ(measure_read_bandwidth(pool, 7).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(measure_read_bandwidth(pool, 64, 0).error().code(), ErrorCode::kInvalidArgument);
}

TEST(MemoryBandwidth, MedianOfOddAndEvenCounts) {
  EXPECT_DOUBLE_EQ(median_of({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(median_of({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(median_of({}), 0);
}

}  // namespace
}  // namespace aae
