#include "runtime/engine/thread_pool.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace aae {
namespace {

// Counts how often each index of [0, n) is visited, and which threads ran ranges.
struct Coverage {
  std::vector<std::atomic<int>> hits;
  std::atomic<int> calls{0};
  explicit Coverage(int64_t n) : hits(static_cast<size_t>(n)) {}
  static void task(void* ctx, int64_t begin, int64_t end) {
    auto* self = static_cast<Coverage*>(ctx);
    self->calls.fetch_add(1);
    for (int64_t i = begin; i < end; ++i) self->hits[static_cast<size_t>(i)].fetch_add(1);
  }
};

TEST(ThreadPool, ParallelForVisitsEveryIndexExactlyOnce) {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads, ThreadLimit::kExact);
    EXPECT_EQ(pool.num_threads(), threads);
    for (int64_t n : {0, 1, 2, 3, 7, 64, 1001}) {
      Coverage c(n);
      pool.parallel_for(n, &Coverage::task, &c);
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_EQ(c.hits[static_cast<size_t>(i)].load(), 1)
            << "threads " << threads << " n " << n << " index " << i;
      }
      EXPECT_LE(c.calls.load(), std::max<int64_t>(1, std::min<int64_t>(n, threads)));
    }
  }
}

TEST(ThreadPool, SmallJobsRunInlineOnTheCaller) {
  ThreadPool pool(4);
  struct Ctx {
    std::thread::id caller, ran;
  } ctx{std::this_thread::get_id(), {}};
  pool.parallel_for(
      1, [](void* p, int64_t, int64_t) { static_cast<Ctx*>(p)->ran = std::this_thread::get_id(); },
      &ctx);
  EXPECT_EQ(ctx.ran, ctx.caller);
}

TEST(ThreadPool, UsesSeveralThreadsForLargeJobs) {
  ThreadPool pool(3, ThreadLimit::kExact);
  struct Ctx {
    std::mutex mu;
    std::vector<std::thread::id> ids;
  } ctx;
  pool.parallel_for(
      3,
      [](void* p, int64_t, int64_t) {
        auto* c = static_cast<Ctx*>(p);
        std::lock_guard<std::mutex> lock(c->mu);
        c->ids.push_back(std::this_thread::get_id());
      },
      &ctx);
  ASSERT_EQ(ctx.ids.size(), 3u);
  EXPECT_NE(ctx.ids[0], ctx.ids[1]);
  EXPECT_NE(ctx.ids[1], ctx.ids[2]);
  EXPECT_NE(ctx.ids[0], ctx.ids[2]);
}

TEST(ThreadPool, NestedParallelForRunsInlineInsteadOfDeadlocking) {
  ThreadPool pool(2);
  struct Ctx {
    ThreadPool* pool;
    std::atomic<int64_t> inner_sum{0};
  } ctx{&pool};
  pool.parallel_for(
      4,
      [](void* p, int64_t begin, int64_t end) {
        auto* c = static_cast<Ctx*>(p);
        for (int64_t i = begin; i < end; ++i) {
          Coverage inner(10);
          c->pool->parallel_for(10, &Coverage::task, &inner);
          int64_t hits = 0;
          for (auto& h : inner.hits) hits += h.load();
          c->inner_sum += hits;
        }
      },
      &ctx);
  EXPECT_EQ(ctx.inner_sum.load(), 40);
}

TEST(ThreadPool, ManyBackToBackJobsAllComplete) {
  ThreadPool pool(3);
  std::atomic<int64_t> total{0};
  for (int round = 0; round < 2000; ++round) {
    pool.parallel_for(
        5,
        [](void* p, int64_t begin, int64_t end) {
          static_cast<std::atomic<int64_t>*>(p)->fetch_add(end - begin);
        },
        &total);
  }
  EXPECT_EQ(total.load(), 2000 * 5);
}

TEST(ThreadPool, NeverUsesMoreThreadsThanCores) {
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  if (cores <= 0) GTEST_SKIP() << "hardware_concurrency() unknown here";
  EXPECT_EQ(ThreadPool(0).num_threads(), cores);
  EXPECT_EQ(ThreadPool(cores + 5).num_threads(), cores);
  EXPECT_EQ(ThreadPool(1).num_threads(), 1);
  EXPECT_EQ(ThreadPool(cores + 5, ThreadLimit::kExact).num_threads(), cores + 5);
}

// Each index i of a job contributes bit i, so the job's total is 2^n - 1 exactly when every
// index was covered once (a doubled range carries into another bit, a missing one leaves a 0).
struct BitSum {
  std::atomic<uint64_t> total{0};
  static void task(void* ctx, int64_t begin, int64_t end) {
    uint64_t bits = 0;
    for (int64_t i = begin; i < end; ++i) bits += uint64_t{1} << i;
    static_cast<BitSum*>(ctx)->total.fetch_add(bits);
  }
};

void run_tiny_jobs(ThreadPool& pool, int jobs) {
  BitSum sum;
  for (int job = 0; job < jobs; ++job) {
    const int64_t n = 2 + job % 40;
    sum.total.store(0);
    pool.parallel_for(n, &BitSum::task, &sum);
    ASSERT_EQ(sum.total.load(), (uint64_t{1} << n) - 1) << "job " << job << " n " << n;
  }
}

TEST(ThreadPool, HundredThousandTinyJobsCoverEveryRangeExactlyOnce) {
  ThreadPool pool(0);
  run_tiny_jobs(pool, 100000);
}

// More threads than n and than cores: workers beyond `parts` sit jobs out and often see the
// next job being written while they read this one.
TEST(ThreadPool, WorkersSittingJobsOutNeverRunAStaleRange) {
  ThreadPool pool(4, ThreadLimit::kExact);
  BitSum sum;
  for (int job = 0; job < 5000; ++job) {
    const int64_t n = 2 + job % 3;  // 2..4 ranges: some workers sit out
    sum.total.store(0);
    pool.parallel_for(n, &BitSum::task, &sum);
    ASSERT_EQ(sum.total.load(), (uint64_t{1} << n) - 1) << "job " << job;
  }
}

TEST(ThreadPool, WorkersThatWentToSleepWakeForTheNextJob) {
  ThreadPool pool(0);
  struct Ctx {
    std::mutex mu;
    std::set<std::thread::id> ids;
    BitSum sum;
  } ctx;
  auto task = [](void* p, int64_t begin, int64_t end) {
    auto* c = static_cast<Ctx*>(p);
    {
      std::lock_guard<std::mutex> lock(c->mu);
      c->ids.insert(std::this_thread::get_id());
    }
    BitSum::task(&c->sum, begin, end);
  };
  for (int round = 0; round < 3; ++round) {
    // Far beyond the spin budget: every worker (and nothing else) is asleep on the condvar.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ctx.ids.clear();
    ctx.sum.total.store(0);
    pool.parallel_for(32, task, &ctx);
    EXPECT_EQ(ctx.sum.total.load(), (uint64_t{1} << 32) - 1) << "round " << round;
    EXPECT_EQ(static_cast<int>(ctx.ids.size()), pool.num_threads()) << "round " << round;
  }
}

TEST(HostServices, ForwardsLogMessagesAtOrAboveTheMinimumLevel) {
  std::vector<std::pair<int, std::string>> seen;
  HostServices host(1, 0x5, [&](int level, std::string_view m) {
    seen.emplace_back(level, std::string(m));
  });
  const AaeHostApi* api = host.api();
  EXPECT_EQ(api->abi_version, static_cast<uint32_t>(AAE_MODEL_LIB_ABI_VERSION));
  EXPECT_EQ(api->cpu_features, 0x5u);
  api->log(api->user, AAE_LOG_DEBUG, "dropped");
  api->log(api->user, AAE_LOG_WARNING, "kept");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].first, AAE_LOG_WARNING);
  EXPECT_EQ(seen[0].second, "kept");
}

TEST(HostServices, ParallelForThroughTheCTableCoversTheRange) {
  HostServices host(2, 0);
  const AaeHostApi* api = host.api();
  api->log(api->user, AAE_LOG_ERROR, "no callback: silently dropped");
  Coverage c(33);
  api->parallel_for(api->user, 33, &Coverage::task, &c);
  for (auto& h : c.hits) EXPECT_EQ(h.load(), 1);
}

}  // namespace
}  // namespace aae
