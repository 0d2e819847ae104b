#include "tools/sphere_aae/serve_signals.h"

#include <utility>

namespace aae::cli {

SignalWatcher::SignalWatcher(std::initializer_list<int> signals,
                             std::function<void(int)> on_signal)
    : on_signal_(std::move(on_signal)) {
  sigemptyset(&watched_);
  for (int signo : signals) {
    sigaddset(&watched_, signo);
    if (wake_signal_ == 0) wake_signal_ = signo;
  }
  pthread_sigmask(SIG_BLOCK, &watched_, &previous_mask_);
  thread_ = std::thread([this] {
    for (;;) {
      int signo = 0;
      if (sigwait(&watched_, &signo) != 0) continue;
      if (stopping_.load()) return;
      on_signal_(signo);
    }
  });
}

SignalWatcher::~SignalWatcher() {
  stopping_.store(true);
  pthread_kill(thread_.native_handle(), wake_signal_);
  thread_.join();
  pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
}

}  // namespace aae::cli
