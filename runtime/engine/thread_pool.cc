#include "runtime/engine/thread_pool.h"

#include <algorithm>
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
}  // namespace

ThreadPool::ThreadPool(int num_threads) {
  if (num_threads <= 0) num_threads = static_cast<int>(std::thread::hardware_concurrency());
  num_threads = std::max(num_threads, 1);
  workers_.reserve(num_threads - 1);
  for (int i = 1; i < num_threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
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
  {
    std::lock_guard<std::mutex> lock(mutex_);
    task_ = task;
    ctx_ = ctx;
    n_ = n;
    parts_ = parts;
    pending_ = parts - 1;  // workers 1 .. parts-1; the caller takes range 0
    ++generation_;
  }
  wake_.notify_all();
  {
    ScopedCurrentPool scope(this);
    task(ctx, 0, n / parts);
  }
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return pending_ == 0; });
}

void ThreadPool::worker_loop(int index) {
  current_pool = this;
  uint64_t seen = 0;
  for (;;) {
    AaeTaskFn task;
    void* ctx;
    int64_t n;
    int parts;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      task = task_;
      ctx = ctx_;
      n = n_;
      parts = parts_;
    }
    // A worker beyond this job's parts sits it out; pending_ only counts the others, so the
    // next job cannot start before every participating worker has finished this one.
    if (index >= parts) continue;
    task(ctx, n * index / parts, n * (index + 1) / parts);
    std::lock_guard<std::mutex> lock(mutex_);
    if (--pending_ == 0) done_.notify_one();
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
