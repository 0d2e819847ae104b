// Download progress on stderr: a live line (bytes, rate, ETA) on a terminal, a plain line
// every few seconds otherwise. Reads a byte counter the transfer threads advance.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

#include "runtime/base/human_units.h"
#include <thread>

namespace aae::hub {

class DownloadProgress {
 public:
  // `out` may be null (silent). `total_bytes` is what the download will hold when done.
  DownloadProgress(std::FILE* out, std::string label, int64_t total_bytes);
  ~DownloadProgress();  // stops the reporter thread and prints the final line

  std::atomic<int64_t>& counter() { return done_bytes_; }

 private:
  void run();
  void print(bool final_line);

  std::FILE* out_;
  std::string label_;
  int64_t total_bytes_;
  int64_t start_bytes_ = 0;
  std::atomic<int64_t> done_bytes_{0};
  bool tty_ = false;
  std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace aae::hub
