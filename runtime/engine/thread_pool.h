// The host services a model library calls back into (AaeHostApi in
// include/sphere_aae/aae_model_lib.h): a pool of persistent worker threads behind
// parallel_for, and log forwarding to an optional callback.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "sphere_aae/aae_model_lib.h"

namespace aae {

// How the requested thread count relates to the machine.
enum class ThreadLimit {
  kAtMostCores,  // clamp to std::thread::hardware_concurrency() (when it reports > 0)
  kExact,        // exactly as asked: only for tests of the pool on small machines
};

// `num_threads` threads in all: the calling thread plus num_threads - 1 persistent workers
// (created once; a decode step calls parallel_for ~110 times, so per-call thread creation or
// condition-variable wake-ups would cost more than much of the work).
//
// Threads: num_threads <= 0 means one per core. With kAtMostCores (the default) the count is
// clamped to std::thread::hardware_concurrency() when that is > 0: idle workers spin, and a
// spinning thread without a core of its own only steals time from the threads doing the work.
//
// Waiting: a job is published through atomics (a sequence counter guarding task/ctx/n/parts).
// Idle workers spin on the counter with a CPU pause for up to kSpinMicros, then sleep on a
// condition variable until the next job; the caller likewise spins on the count of unfinished
// workers before sleeping. So back-to-back jobs cost well under a microsecond to hand out,
// while a pool left idle (between requests) costs no CPU after kSpinMicros. Each waiter's spin
// budget adapts: it shrinks while spins keep failing (a machine busy with other processes,
// where spinning costs more than sleeping) and grows back when waits get short; spinning
// threads also yield their core every few microseconds.
class ThreadPool {
 public:
  static constexpr int64_t kSpinMicros = 100;

  explicit ThreadPool(int num_threads, ThreadLimit limit = ThreadLimit::kAtMostCores);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls task(ctx, begin, end) over disjoint ranges covering [0, n) and returns when all are
  // done: parts = min(n, num_threads()) ranges [n*i/parts, n*(i+1)/parts); the caller runs
  // range 0 and worker i range i; workers >= parts sit the job out. Runs inline (one call over
  // [0, n)) when n < 2, the pool has one thread, or it is called from inside a task of this
  // pool. Calls from several threads are serialised. Allocates nothing.
  void parallel_for(int64_t n, AaeTaskFn task, void* ctx);

 private:
  void worker_loop(int index);
  // Blocks until the sequence counter holds a published job other than `seen` (returns it) or
  // the pool stops (returns `seen`). *spin_ns: the calling worker's spin budget.
  uint64_t wait_for_job(uint64_t seen, int64_t* spin_ns);
  void wait_for_workers();

  std::vector<std::thread> workers_;
  std::mutex call_mutex_;  // one job at a time
  int64_t caller_spin_ns_ = kSpinMicros * 1000;  // the caller's spin budget; call_mutex_

  // The job. seq_ is odd while the caller rewrites the fields and even once the job is
  // published; a worker that read the fields re-checks seq_, so it never mixes two jobs.
  alignas(64) std::atomic<uint64_t> seq_{0};
  std::atomic<AaeTaskFn> task_{nullptr};
  std::atomic<void*> ctx_{nullptr};
  std::atomic<int64_t> n_{0};
  std::atomic<int> parts_{0};

  alignas(64) std::atomic<int> pending_{0};  // participating workers still running the job

  // Sleeping. The flags say who may be inside a wait, so the hot path only takes the mutex
  // when someone actually sleeps.
  alignas(64) std::mutex sleep_mutex_;
  std::condition_variable wake_;  // workers: a job was published or the pool stops
  std::condition_variable done_;  // the caller: pending_ reached 0
  std::atomic<int> sleeping_workers_{0};
  std::atomic<bool> caller_sleeping_{false};
  std::atomic<bool> stop_{false};
};

// Receives the library's log messages (level AAE_LOG_*; the text without a newline).
using LogCallback = std::function<void(int level, std::string_view message)>;

// Owns an AaeHostApi whose `user` points back at this object. Messages below `min_log_level`
// are dropped (default: debug is dropped); with no callback everything is dropped.
// num_threads as for ThreadPool (<= 0: one per core, never more than the cores).
class HostServices {
 public:
  HostServices(int num_threads, uint64_t cpu_features, LogCallback log = {},
               int min_log_level = AAE_LOG_INFO);
  HostServices(const HostServices&) = delete;
  HostServices& operator=(const HostServices&) = delete;

  const AaeHostApi* api() const { return &api_; }
  ThreadPool& pool() { return pool_; }

 private:
  static void log_thunk(void* user, int level, const char* message);
  static void parallel_for_thunk(void* user, int64_t n, AaeTaskFn task, void* ctx);

  ThreadPool pool_;
  LogCallback log_;
  int min_log_level_;
  AaeHostApi api_;
};

}  // namespace aae
