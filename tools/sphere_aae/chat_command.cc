// sphere_aae chat MODEL_DIR: an interactive conversation in the terminal with the model's
// conv_template. Each line read from stdin is one user message; the reply streams to stdout
// and ends with a newline. The conversation grows turn by turn (ChatEngine reuses the KV cache
// of the prefix it already holds, so a turn prefills only the new text). Lines starting with
// '/' are commands: /reset, /stats, /exit (EOF also quits).
//
// Output stays plain when stdin is not a terminal (pipes, tests): no banner, no prompt marker,
// only replies and command output on stdout. On a terminal a banner goes to stderr and ">>> "
// marks the prompt. Ctrl-C during a reply cancels it; Ctrl-C at the prompt, or a second one
// while a reply is being cancelled, quits (exit code 130).
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/chat/chat_completion.h"
#include "tools/sphere_aae/command.h"
#include "tools/sphere_aae/serve_engine.h"
#include "tools/sphere_aae/serve_signals.h"

namespace aae::cli {
namespace {

struct ChatCliOptions {
  ChatModelFlags model;
  std::optional<double> temperature;
  std::optional<int64_t> max_tokens;
  std::string system;
};

// What /stats shows: the last turn's usage (token counts and prefill/decode wall times).
struct TurnStats {
  bool valid = false;
  ChatUsage usage;
  FinishReason finish = FinishReason::kStop;
};

void print_stats(const TurnStats& stats) {
  if (!stats.valid) {
    std::printf("stats: no reply yet\n");
    return;
  }
  auto rate = [](int64_t n, double s) { return s > 0 ? static_cast<double>(n) / s : 0.0; };
  const ChatUsage& u = stats.usage;
  std::printf("prompt tokens: %lld (prefilled %lld, cached %lld)\n",
              static_cast<long long>(u.prompt_tokens), static_cast<long long>(u.prefilled_tokens),
              static_cast<long long>(u.cached_prompt_tokens));
  std::printf("completion tokens: %lld (finish: %s)\n",
              static_cast<long long>(u.completion_tokens), finish_reason_name(stats.finish));
  std::printf("prefill: %.1f tok/s, decode: %.1f tok/s\n",
              rate(u.prefilled_tokens, u.prefill_seconds),
              rate(u.completion_tokens, u.decode_seconds));
}

// Shared with the signal thread: which phase the main loop is in.
struct ChatSignalState {
  std::atomic<ChatEngine*> engine{nullptr};
  std::atomic<bool> generating{false};
  std::atomic<bool> cancel_sent{false};
};

void on_interrupt(ChatSignalState& state) {
  ChatEngine* engine = state.engine.load();
  if (engine != nullptr && state.generating.load() && !state.cancel_sent.exchange(true)) {
    engine->cancel();
    return;
  }
  std::fputc('\n', stdout);
  std::fflush(stdout);
  ::_exit(130);
}

class ChatSession {
 public:
  ChatSession(ChatEngine& engine, const ChatCliOptions& options, ChatSignalState& signals)
      : engine_(engine), options_(options), signals_(signals) {
    reset_messages();
  }

  // Runs one user turn; errors (a too-long conversation, ...) are reported and the turn is
  // dropped, so the session goes on.
  void user_turn(const std::string& text) {
    messages_.push_back({"user", text});
    ChatCompletionRequest request;
    request.messages = messages_;
    request.temperature = options_.temperature;
    request.max_tokens = options_.max_tokens;

    auto on_delta = [&](std::string_view delta) {
      // complete() clears a cancel() that came before it started; repeat it.
      if (signals_.cancel_sent.load()) engine_.cancel();
      std::fwrite(delta.data(), 1, delta.size(), stdout);
      std::fflush(stdout);
    };
    signals_.cancel_sent.store(false);
    signals_.generating.store(true);
    Result<ChatCompletion> completion = engine_.complete(request, on_delta);
    signals_.generating.store(false);
    std::fputc('\n', stdout);
    std::fflush(stdout);

    if (!completion.ok()) {
      messages_.pop_back();
      Error error = std::move(completion).error();
      if (error.code() == ErrorCode::kContextOverflow) {
        error.with_hint("type /reset to start a new conversation, or send a shorter message");
      }
      print_error(error);
      return;
    }
    stats_ = {true, completion->usage, completion->finish_reason};
    if (completion->finish_reason == FinishReason::kCancelled) {
      std::fprintf(stderr, "[reply cancelled]\n");
    }
    // A cancelled reply stays in the conversation as far as it got: it is what the user saw.
    messages_.push_back({"assistant", completion->content});
  }

  Status reset() {
    reset_messages();
    stats_ = {};
    return engine_.reset();
  }

  const TurnStats& stats() const { return stats_; }

 private:
  void reset_messages() {
    messages_.clear();
    if (!options_.system.empty()) messages_.push_back({"system", options_.system});
  }

  ChatEngine& engine_;
  const ChatCliOptions& options_;
  ChatSignalState& signals_;
  std::vector<ChatMessage> messages_;
  TurnStats stats_;
};

// Strips a trailing carriage return (input typed on Windows or pasted from one).
void trim_line_end(std::string& line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
}

Status run_chat(const ChatCliOptions& options) {
  AAE_ASSIGN_OR_RETURN(std::string lib_path, resolve_model_lib(options.model));
  const bool terminal = ::isatty(STDIN_FILENO) != 0;

  // The engine is declared before the watcher so the watcher (which may call cancel()) is
  // joined before the engine is destroyed; the watcher is started before the engine's threads.
  std::optional<ChatEngine> engine;
  ChatSignalState signal_state;
  SignalWatcher watcher({SIGINT}, [&](int) { on_interrupt(signal_state); });

  EngineOptions engine_options;
  engine_options.model_dir = options.model.model_dir;
  engine_options.model_lib_path = lib_path;
  engine_options.num_threads = options.model.threads;
  AAE_ASSIGN_OR_RETURN(ChatEngine opened, ChatEngine::open(engine_options));
  engine.emplace(std::move(opened));
  signal_state.engine.store(&*engine);

  ChatSession session(*engine, options, signal_state);
  if (terminal) {
    std::fprintf(stderr,
                 "chatting with %s (conv_template %s). Commands: /reset /stats /exit; Ctrl-C "
                 "stops a reply.\n",
                 options.model.model_dir.c_str(), engine->conv_template().name.c_str());
  }
  std::string line;
  for (;;) {
    if (terminal) {
      std::fputs(">>> ", stdout);
      std::fflush(stdout);
    }
    if (!std::getline(std::cin, line)) break;
    trim_line_end(line);
    if (line.empty()) continue;
    if (line == "/exit" || line == "/quit") break;
    if (line == "/reset") {
      AAE_TRY(session.reset());
      std::printf("conversation reset\n");
      std::fflush(stdout);
      continue;
    }
    if (line == "/stats") {
      print_stats(session.stats());
      std::fflush(stdout);
      continue;
    }
    if (line[0] == '/') {
      std::fprintf(stderr, "unknown command %s; commands: /reset /stats /exit\n", line.c_str());
      continue;
    }
    session.user_turn(line);
  }
  if (terminal) std::fputc('\n', stdout);
  std::fflush(stdout);
  return ok_status();
}

}  // namespace

CommandRunner setup_chat(CLI::App& app) {
  auto options = std::make_shared<ChatCliOptions>();
  add_chat_model_options(app, options->model);
  app.add_option("--temperature", options->temperature,
                 "0 = greedy (default: the chat config's)")
      ->check(CLI::Range(0.0, 2.0));
  app.add_option("--max-tokens", options->max_tokens,
                 "most tokens per reply (default: until a stop or the context window)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--system", options->system,
                 "system message (default: the conv_template's own)");
  return [options] { return run_chat(*options); };
}

}  // namespace aae::cli
