#include "runtime/engine/thread_pool.h"

#include <sched.h>

#include <algorithm>
#include <chrono>
#include <utility>

namespace aae {
namespace {

// The pool whose task the current thread is running, so a nested parallel_for runs inline
// instead of waiting for workers that are busy with the outer job.
thread_local const ThreadPool* current_pool = nullptr;

struct ScopedCurrentPool {
  const ThreadPool* saved;
  explicit ScopedCurrentPool(const ThreadPool* pool) : saved(current_pool) { current_pool = pool; }
  ~ScopedCurrentPool() { current_pool = saved; }
};

// Tells the core this is a spin-wait (saves power, frees the sibling hyperthread).
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

constexpr int64_t kMaxSpinNanos = ThreadPool::kSpinMicros * 1000;

// Spins until done() holds or *budget_ns passed. True when done() held, and then the budget
// doubles (up to kSpinMicros); on false the caller sleeps and then calls after_sleep.
//
// Why adapt: on a machine with more runnable threads than cores (other processes), the thread
// being waited for is often not running at all, so spins fail, and a failed spin is worse than
// sleeping at once: it burns this thread's share of the CPU, and a thread that slept is
// scheduled promptly when woken while one that spun waits for its turn (measured on a loaded
// 2-core machine: tiny jobs 10-20x slower than with condition variables alone). Waiters whose
// spins keep failing therefore go to sleep almost at once, and spin again as soon as waits get
// short. Each clock check also yields the core, in case the thread waited for is queued
// behind this one; with nothing else runnable sched_yield returns at once. The clock is read
// every kChecksEvery iterations only: reading it costs more than a pause.
template <typename Done>
bool spin_until(Done& done, int64_t* budget_ns, std::chrono::steady_clock::time_point start) {
  constexpr int kChecksEvery = 64;
  const auto deadline = start + std::chrono::nanoseconds(*budget_ns);
  for (;;) {
    for (int i = 0; i < kChecksEvery; ++i) {
      if (done()) {
        *budget_ns = std::min(kMaxSpinNanos, *budget_ns * 2 + 1000);
        return true;
      }
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    sched_yield();
  }
  return false;
}

// After a failed spin and a sleep that began at `start`: a wait that ended within kSpinMicros
// would have been caught by spinning that long, so the budget grows to cover it (twice the
// wait); a longer wait means spinning was wasted, so the budget shrinks to a quarter. Without
// the first rule a budget that once shrank below the usual gap between jobs (a decode step's
// ~110 jobs come a few microseconds apart) never recovers, and every job pays a futex sleep
// and wake-up on each side (measured on a TinyLlama-shaped model, 2 threads: ~100-150 context
// switches per generated token without this rule, ~5 with it).
void after_sleep(int64_t* budget_ns, std::chrono::steady_clock::time_point start) {
  const int64_t waited =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count();
  *budget_ns = waited <= kMaxSpinNanos ? std::min(kMaxSpinNanos, 2 * waited + 1000) : *budget_ns / 4;
}

bool is_published(uint64_t seq, uint64_t seen) { return seq != seen && (seq & 1) == 0; }

}  // namespace

ThreadPool::ThreadPool(int num_threads, ThreadLimit limit) {
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  if (num_threads <= 0) num_threads = cores;
  if (limit == ThreadLimit::kAtMostCores && cores > 0) num_threads = std::min(num_threads, cores);
  num_threads = std::max(num_threads, 1);
  workers_.reserve(static_cast<size_t>(num_threads - 1));
  for (int i = 1; i < num_threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(sleep_mutex_);
    stop_.store(true);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::parallel_for(int64_t n, AaeTaskFn task, void* ctx) {
  if (n <= 0) return;
  if (n < 2 || workers_.empty() || current_pool == this) {
    task(ctx, 0, n);
    return;
  }
  std::lock_guard<std::mutex> call_lock(call_mutex_);
  const int parts = static_cast<int>(std::min<int64_t>(n, num_threads()));

  // Publish. Every worker of the previous job has finished (pending_ was 0), so the only
  // readers of the fields now are workers that sat that job out; the odd seq_ makes them
  // retry. Field stores are release so a reader that sees a new field also sees the odd seq_.
  const uint64_t seq = seq_.load(std::memory_order_relaxed);
  seq_.store(seq + 1, std::memory_order_relaxed);
  task_.store(task, std::memory_order_release);
  ctx_.store(ctx, std::memory_order_release);
  n_.store(n, std::memory_order_release);
  parts_.store(parts, std::memory_order_release);
  pending_.store(parts - 1, std::memory_order_relaxed);  // workers 1 .. parts-1
  // seq_cst store, then seq_cst load of the sleeper count: paired with the worker's increment
  // then re-check in wait_for_job, one of the two always sees the other (no lost wake-up).
  seq_.store(seq + 2, std::memory_order_seq_cst);
  if (sleeping_workers_.load(std::memory_order_seq_cst) > 0) {
    std::lock_guard<std::mutex> lock(sleep_mutex_);
    wake_.notify_all();
  }
  {
    ScopedCurrentPool scope(this);
    task(ctx, 0, n / parts);
  }
  wait_for_workers();
}

void ThreadPool::wait_for_workers() {
  auto finished = [this] { return pending_.load(std::memory_order_acquire) == 0; };
  const auto start = std::chrono::steady_clock::now();
  if (spin_until(finished, &caller_spin_ns_, start)) return;
  std::unique_lock<std::mutex> lock(sleep_mutex_);
  caller_sleeping_.store(true, std::memory_order_seq_cst);
  done_.wait(lock, [this] { return pending_.load(std::memory_order_seq_cst) == 0; });
  caller_sleeping_.store(false, std::memory_order_relaxed);
  after_sleep(&caller_spin_ns_, start);
}

uint64_t ThreadPool::wait_for_job(uint64_t seen, int64_t* spin_ns) {
  uint64_t seq = seen;
  auto ready = [&] {
    seq = seq_.load(std::memory_order_seq_cst);
    return stop_.load(std::memory_order_relaxed) || is_published(seq, seen);
  };
  const auto start = std::chrono::steady_clock::now();
  if (!spin_until(ready, spin_ns, start)) {
    std::unique_lock<std::mutex> lock(sleep_mutex_);
    sleeping_workers_.fetch_add(1, std::memory_order_seq_cst);
    wake_.wait(lock, ready);
    sleeping_workers_.fetch_sub(1, std::memory_order_relaxed);
    lock.unlock();
    after_sleep(spin_ns, start);
  }
  return stop_.load(std::memory_order_relaxed) ? seen : seq;
}

void ThreadPool::worker_loop(int index) {
  current_pool = this;
  uint64_t seen = 0;
  int64_t spin_ns = kMaxSpinNanos;  // this worker's spin budget (spin_until)
  for (;;) {
    const uint64_t seq = wait_for_job(seen, &spin_ns);
    if (seq == seen) return;  // stopping
    const AaeTaskFn task = task_.load(std::memory_order_acquire);
    void* const ctx = ctx_.load(std::memory_order_acquire);
    const int64_t n = n_.load(std::memory_order_acquire);
    const int parts = parts_.load(std::memory_order_acquire);
    seen = seq;
    // Changed: the caller is already writing a newer job, so it did not wait for this worker,
    // so this worker sat job `seq` out; the fields may be half new. Wait for the new job.
    if (seq_.load(std::memory_order_acquire) != seq) continue;
    if (index >= parts) continue;  // not counted in pending_
    task(ctx, n * index / parts, n * (index + 1) / parts);
    if (pending_.fetch_sub(1, std::memory_order_seq_cst) == 1 &&
        caller_sleeping_.load(std::memory_order_seq_cst)) {
      std::lock_guard<std::mutex> lock(sleep_mutex_);
      done_.notify_one();
    }
  }
}

HostServices::HostServices(int num_threads, uint64_t cpu_features, LogCallback log,
                           int min_log_level)
    : pool_(num_threads), log_(std::move(log)), min_log_level_(min_log_level) {
  api_.abi_version = AAE_MODEL_LIB_ABI_VERSION;
  api_.cpu_features = cpu_features;
  api_.user = this;
  api_.log = &HostServices::log_thunk;
  api_.parallel_for = &HostServices::parallel_for_thunk;
}

void HostServices::log_thunk(void* user, int level, const char* message) {
  auto* self = static_cast<HostServices*>(user);
  if (!self->log_ || level < self->min_log_level_ || message == nullptr) return;
  self->log_(level, message);
}

void HostServices::parallel_for_thunk(void* user, int64_t n, AaeTaskFn task, void* ctx) {
  static_cast<HostServices*>(user)->pool_.parallel_for(n, task, ctx);
}

}  // namespace aae
