#include "hub/download_progress.h"

#include <unistd.h>

namespace aae::hub {

DownloadProgress::DownloadProgress(std::FILE* out, std::string label, int64_t total_bytes)
    : out_(out), label_(std::move(label)), total_bytes_(total_bytes) {
  if (!out_) return;
  tty_ = ::isatty(fileno(out_)) != 0;
  start_ = std::chrono::steady_clock::now();
  thread_ = std::thread([this] { run(); });
}

DownloadProgress::~DownloadProgress() {
  if (!out_) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  print(true);
}

void DownloadProgress::run() {
  // Bytes already on disk from an earlier run do not count towards the rate.
  start_bytes_ = done_bytes_.load();
  auto period = tty_ ? std::chrono::milliseconds(250) : std::chrono::milliseconds(5000);
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, period, [this] { return stop_; })) print(false);
}

void DownloadProgress::print(bool final_line) {
  int64_t done = done_bytes_.load();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = seconds > 0 ? static_cast<double>(done - start_bytes_) / seconds : 0;
  std::string eta = "--";
  if (rate > 0 && total_bytes_ >= done) {
    eta = std::to_string(static_cast<int64_t>((total_bytes_ - done) / rate)) + "s";
  }
  std::string line = label_ + ": " + human_bytes(static_cast<double>(done)) + " / " +
                     human_bytes(static_cast<double>(total_bytes_)) + ", " +
                     human_bytes(rate) + "/s, eta " + eta;
  if (tty_) {
    std::fprintf(out_, "\r\033[K%s%s", line.c_str(), final_line ? "\n" : "");
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

}  // namespace aae::hub
