// The host services a model library calls back into (AaeHostApi in
// include/sphere_aae/aae_model_lib.h): a pool of persistent worker threads behind
// parallel_for, and log forwarding to an optional callback.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "sphere_aae/aae_model_lib.h"

namespace aae {

// `num_threads` threads in all: the calling thread plus num_threads - 1 workers that sleep
// between jobs (created once; a decode step calls parallel_for dozens of times, so spawning
// threads per call would cost more than the work).
class ThreadPool {
 public:
  explicit ThreadPool(int num_threads);  // <= 0: std::thread::hardware_concurrency()
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls task(ctx, begin, end) over disjoint ranges covering [0, n) and returns when all are
  // done. Runs inline (one call over [0, n)) when n < 2, the pool has one thread, or it is
  // called from inside a task of this pool. Calls from several threads are serialised.
  void parallel_for(int64_t n, AaeTaskFn task, void* ctx);

 private:
  void worker_loop(int index);

  std::vector<std::thread> workers_;
  std::mutex call_mutex_;  // one job at a time
  std::mutex mutex_;       // guards everything below
  std::condition_variable wake_, done_;
  uint64_t generation_ = 0;
  int pending_ = 0;  // workers still running the current job
  bool stop_ = false;
  AaeTaskFn task_ = nullptr;
  void* ctx_ = nullptr;
  int64_t n_ = 0;
  int parts_ = 0;
};

// Receives the library's log messages (level AAE_LOG_*; the text without a newline).
using LogCallback = std::function<void(int level, std::string_view message)>;

// Owns an AaeHostApi whose `user` points back at this object. Messages below `min_log_level`
// are dropped (default: debug is dropped); with no callback everything is dropped.
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
