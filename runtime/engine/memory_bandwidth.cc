#include "runtime/engine/memory_bandwidth.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <new>
#include <string>

namespace aae {
namespace {

struct SumJob {
  const uint64_t* words = nullptr;
  std::atomic<uint64_t> sum{0};

  // Eight accumulators: one add chain would be bound by add latency, not by memory.
  static void run(void* ctx, int64_t begin, int64_t end) {
    auto* job = static_cast<SumJob*>(ctx);
    const uint64_t* w = job->words;
    uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    int64_t i = begin;
    for (; i + 8 <= end; i += 8) {
      a0 += w[i];
      a1 += w[i + 1];
      a2 += w[i + 2];
      a3 += w[i + 3];
      a4 += w[i + 4];
      a5 += w[i + 5];
      a6 += w[i + 6];
      a7 += w[i + 7];
    }
    for (; i < end; ++i) a0 += w[i];
    job->sum.fetch_add(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)),
                       std::memory_order_relaxed);
  }
};

void fill_words(void* ctx, int64_t begin, int64_t end) {
  auto* words = static_cast<uint64_t*>(ctx);
  for (int64_t i = begin; i < end; ++i) words[i] = static_cast<uint64_t>(i);
}

}  // namespace

double median_of(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

Result<ReadBandwidth> measure_read_bandwidth(ThreadPool& pool, size_t bytes, int passes) {
  const size_t count = bytes / sizeof(uint64_t);
  if (count == 0 || passes < 1) {
    return Error("bandwidth probe needs at least 8 bytes and one pass, got " +
                 std::to_string(bytes) + " bytes and " + std::to_string(passes) + " passes")
        .with_code(ErrorCode::kInvalidArgument);
  }
  std::unique_ptr<uint64_t[]> words(new (std::nothrow) uint64_t[count]);
  if (!words) {
    return Error("cannot allocate " + std::to_string(count * sizeof(uint64_t) >> 20) +
                     " MiB for the bandwidth probe",
                 "pass a smaller --bandwidth-mib");
  }
  const int64_t n = static_cast<int64_t>(count);
  pool.parallel_for(n, &fill_words, words.get());
  // sum of 0 .. count-1, mod 2^64 like the unsigned additions
  const uint64_t c = count;
  const uint64_t expected = c % 2 == 0 ? (c / 2) * (c - 1) : c * ((c - 1) / 2);

  ReadBandwidth result;
  result.bytes = count * sizeof(uint64_t);
  for (int pass = 0; pass < passes; ++pass) {
    SumJob job;
    job.words = words.get();
    const auto start = std::chrono::steady_clock::now();
    pool.parallel_for(n, &SumJob::run, &job);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const uint64_t sum = job.sum.load();
    if (sum != expected) {
      return Error("bandwidth probe pass " + std::to_string(pass) + " summed " +
                   std::to_string(sum) + ", expected " + std::to_string(expected),
                   "the thread pool lost or repeated a range");
    }
    result.sum = sum;
    result.pass_seconds.push_back(seconds);
  }
  result.median_seconds = median_of(result.pass_seconds);
  // A pass shorter than the clock's resolution would divide by zero; report it as unmeasurable.
  result.gb_per_s = result.median_seconds > 0
                        ? static_cast<double>(result.bytes) / result.median_seconds / 1e9
                        : 0;
  return result;
}

}  // namespace aae
