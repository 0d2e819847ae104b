// Signals for the long-running commands (chat, serve) without async-signal-safety traps: the
// signals are blocked in every thread and a dedicated thread receives them with sigwait(), so
// the callback may lock mutexes, call ChatEngine::cancel() or httplib::Server::stop().
#pragma once

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <functional>
#include <initializer_list>
#include <thread>

namespace aae::cli {

class SignalWatcher {
 public:
  // Blocks `signals` in the calling thread. Construct it before starting any other thread
  // (engine workers, HTTP workers): threads inherit the mask, so a process-directed signal can
  // only reach the watcher. `on_signal(signo)` runs on the watcher thread, once per delivery.
  SignalWatcher(std::initializer_list<int> signals, std::function<void(int)> on_signal);
  // Stops and joins the watcher thread, then restores the caller's signal mask.
  ~SignalWatcher();

  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  sigset_t watched_;
  sigset_t previous_mask_;
  int wake_signal_ = 0;  // the first watched signal, sent to the thread to stop it
  std::atomic<bool> stopping_{false};
  std::function<void(int)> on_signal_;
  std::thread thread_;
};

}  // namespace aae::cli
