#include "runtime/engine/bench_runner.h"

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace aae {
namespace {

TEST(BenchRunner, SpreadIsMedianMinAndMax) {
  const Spread s = spread_of({5, 1, 3, 9});
  EXPECT_DOUBLE_EQ(s.median, 4);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 9);
  EXPECT_DOUBLE_EQ(spread_of({}).median, 0);
}

TEST(BenchRunner, OptionErrorsAreCodedAndNameTheFlag) {
  testing::ScratchDir dir;
  BenchOptions options;
  options.model_dir = dir.path().string();
  EXPECT_TRUE(check_bench_options(options).ok());

  BenchOptions bad = options;
  bad.prompt_tokens = 0;
  Status status = check_bench_options(bad);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(status.error().message().find("--prompt-tokens must be >= 1, found 0"),
            std::string::npos);

  bad = options;
  bad.num_threads = -1;
  EXPECT_EQ(check_bench_options(bad).error().code(), ErrorCode::kInvalidArgument);

  bad = options;
  bad.model_dir = (dir / "missing").string();
  EXPECT_EQ(check_bench_options(bad).error().code(), ErrorCode::kNotFound);

  // run_bench checks the library as well, before touching anything else.
  auto report = run_bench(options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code(), ErrorCode::kInvalidArgument);
  options.model_lib_path = (dir / "lib.so").string();
  report = run_bench(options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(report.error().message().find("lib.so does not exist"), std::string::npos);
}

}  // namespace
}  // namespace aae
