#include "runtime/engine/bench_runner.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <span>
#include <utility>

#include "runtime/engine/model_lib.h"
#include "runtime/engine/session.h"
#include "runtime/format/weights.h"

namespace aae {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kMaxBandwidthMib = int64_t{1} << 20;  // 1 TiB: far beyond any real probe
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Error coded(ErrorCode code, std::string message, std::string hint = {}) {
  return Error(std::move(message), std::move(hint)).with_code(code);
}

Status check_library_exists(const BenchOptions& o) {
  std::error_code ec;
  if (o.model_lib_path.empty()) {
    return coded(ErrorCode::kInvalidArgument, "no model library given",
                 "build one with: sphere_aae compile " + o.model_dir + " --device linux -o LIB.so");
  }
  if (!fs::exists(o.model_lib_path, ec)) {
    return coded(ErrorCode::kNotFound, "model library " + o.model_lib_path + " does not exist",
                 "build it with: sphere_aae compile " + o.model_dir + " --device linux -o LIB.so");
  }
  return ok_status();
}

Status check_fits(const BenchOptions& o, const ModelLib& lib) {
  const int64_t window = lib.info().context_window_size;
  // Written so that huge counts cannot overflow the sum.
  if (o.prompt_tokens <= window && o.gen_tokens <= window - o.prompt_tokens) return ok_status();
  return coded(ErrorCode::kContextOverflow,
               "--prompt-tokens " + std::to_string(o.prompt_tokens) + " + --gen-tokens " +
                   std::to_string(o.gen_tokens) + " exceed the context window of " +
                   lib.origin() + " (" + std::to_string(window) + " tokens): at most " +
                   std::to_string(window) + " in total",
               "lower --prompt-tokens/--gen-tokens, or compile with a larger window "
               "(sphere_aae compile --overrides \"context_window_size=N\")");
}

// Token ids in [0, vocab) from splitmix64: the same prompt on every platform for a seed.
std::vector<int32_t> synthetic_prompt(int64_t count, int64_t vocab, uint64_t seed) {
  std::vector<int32_t> ids(static_cast<size_t>(count));
  uint64_t state = seed;
  for (auto& id : ids) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    id = static_cast<int32_t>((z ^ (z >> 31)) % static_cast<uint64_t>(vocab));
  }
  return ids;
}

int32_t argmax(std::span<const float> logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

// One repeat: a fresh sequence, the prompt prefilled, then gen_tokens greedy steps.
Result<BenchRepeat> run_once(Session& session, const std::vector<int32_t>& prompt,
                             int64_t gen_tokens) {
  BenchRepeat r;
  AAE_TRY(session.reset());
  const auto prefill_start = Clock::now();
  AAE_TRY(session.prefill(prompt));
  r.prefill_seconds = seconds_since(prefill_start);
  const auto decode_start = Clock::now();
  for (int64_t i = 0; i < gen_tokens; ++i) AAE_TRY(session.decode(argmax(session.logits())));
  r.decode_seconds = seconds_since(decode_start);
  auto rate = [](int64_t n, double s) { return s > 0 ? static_cast<double>(n) / s : 0.0; };
  r.prefill_tok_s = rate(static_cast<int64_t>(prompt.size()), r.prefill_seconds);
  r.decode_tok_s = rate(gen_tokens, r.decode_seconds);
  return r;
}

}  // namespace

Status check_bench_options(const BenchOptions& o) {
  auto positive = [](int64_t value, const char* flag) -> Status {
    if (value >= 1) return ok_status();
    return coded(ErrorCode::kInvalidArgument,
                 std::string(flag) + " must be >= 1, found " + std::to_string(value));
  };
  AAE_TRY(positive(o.prompt_tokens, "--prompt-tokens"));
  AAE_TRY(positive(o.gen_tokens, "--gen-tokens"));
  AAE_TRY(positive(o.repeat, "--repeat"));
  AAE_TRY(positive(o.bandwidth_mib, "--bandwidth-mib"));
  if (o.bandwidth_mib > kMaxBandwidthMib) {
    return coded(ErrorCode::kInvalidArgument,
                 "--bandwidth-mib must be at most " + std::to_string(kMaxBandwidthMib) +
                     ", found " + std::to_string(o.bandwidth_mib));
  }
  if (o.num_threads < 0) {
    return coded(ErrorCode::kInvalidArgument,
                 "--threads must be >= 0 (0 = one per core), found " +
                     std::to_string(o.num_threads));
  }
  std::error_code ec;
  if (!fs::is_directory(o.model_dir, ec)) {
    return coded(ErrorCode::kNotFound, "model directory " + o.model_dir + " does not exist",
                 "convert a model first (sphere_aae convert_weight, then gen_config)");
  }
  return ok_status();
}

Spread spread_of(const std::vector<double>& values) {
  if (values.empty()) return {};
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  return Spread{median_of(values), *lo, *hi};
}

Result<BenchReport> run_bench(const BenchOptions& options) {
  AAE_TRY(check_bench_options(options));
  AAE_TRY(check_library_exists(options));
  // dlopen searches the library path for a name without '/': "lib.so" must mean ./lib.so.
  std::error_code ec;
  const fs::path absolute_lib = fs::absolute(options.model_lib_path, ec);
  AAE_ASSIGN_OR_RETURN(ModelLib lib,
                       ModelLib::open_shared(ec ? options.model_lib_path : absolute_lib.string()));
  AAE_TRY(check_fits(options, lib));
  AAE_ASSIGN_OR_RETURN(const KvShape kv, kv_shape_from_metadata(lib.descriptor().metadata_json,
                                                                lib.info(), lib.origin()));
  BenchReport report;
  report.model_lib = lib.origin();
  report.architecture = lib.info().architecture;
  report.quantization = lib.info().quantization;
  report.context_window_size = lib.info().context_window_size;
  report.prompt_tokens = options.prompt_tokens;
  report.gen_tokens = options.gen_tokens;
  report.repeat = options.repeat;
  report.kv_cache_bytes = lib.info().kv_cache_bytes;
  report.workspace_bytes = lib.info().workspace_bytes;

  auto weights = ModelWeights::open(options.model_dir);
  if (!weights.ok()) {
    Error error = std::move(weights).error();
    error.context("cannot open the weights of " + options.model_dir);
    return error;
  }
  report.weight_bytes = tensor_cache_bytes(weights->cache());
  report.traffic = decode_traffic(weights->cache(), lib.info(), kv, options.prompt_tokens,
                                  options.gen_tokens);

  std::mutex log_mutex;  // a library may log from a worker thread
  SessionOptions session_options;
  session_options.num_threads = options.num_threads;
  session_options.log = [&](int, std::string_view message) {
    if (message.rfind("kernels:", 0) != 0) return;
    std::lock_guard<std::mutex> lock(log_mutex);
    report.kernels.emplace_back(message);
  };
  AAE_ASSIGN_OR_RETURN(Session session, Session::create(std::move(lib), std::move(weights).value(),
                                                        session_options));
  report.threads = session.num_threads();

  const std::vector<int32_t> prompt =
      synthetic_prompt(options.prompt_tokens, session.vocab_size(), options.seed);
  const double bytes_per_token = report.traffic.bytes_per_token();
  // The probe's own pool of the same size; its array is freed (and the peak counter reset)
  // before each repeat runs, so it never counts as the model's memory.
  ThreadPool probe_pool(options.num_threads);
  std::vector<ReadBandwidth> probes;
  std::vector<double> prefill_rates, decode_rates, bandwidths, percents;
  for (int i = 0; i < options.repeat; ++i) {
    AAE_ASSIGN_OR_RETURN(ReadBandwidth probe,
                         measure_read_bandwidth(probe_pool,
                                                static_cast<size_t>(options.bandwidth_mib) << 20));
    report.peak_includes_probe = !reset_peak_rss();
    AAE_ASSIGN_OR_RETURN(BenchRepeat r, run_once(session, prompt, options.gen_tokens));
    r.bandwidth_gb_s = probe.gb_per_s;
    r.roof_percent = probe.gb_per_s > 0 && bytes_per_token > 0
                         ? 100.0 * r.decode_tok_s * bytes_per_token / (probe.gb_per_s * 1e9)
                         : 0;
    prefill_rates.push_back(r.prefill_tok_s);
    decode_rates.push_back(r.decode_tok_s);
    bandwidths.push_back(probe.gb_per_s);
    percents.push_back(r.roof_percent);
    probes.push_back(std::move(probe));
    report.repeats.push_back(r);
  }
  report.prefill_tok_s = spread_of(prefill_rates);
  report.decode_tok_s = spread_of(decode_rates);
  std::sort(probes.begin(), probes.end(),
            [](const ReadBandwidth& a, const ReadBandwidth& b) { return a.gb_per_s < b.gb_per_s; });
  report.bandwidth = probes[probes.size() / 2];
  report.bandwidth.gb_per_s = median_of(bandwidths);
  report.roof_tok_s = bytes_per_token > 0 ? report.bandwidth.gb_per_s * 1e9 / bytes_per_token : 0;
  report.roof_percent = median_of(percents);

  AAE_ASSIGN_OR_RETURN(report.peak, peak_rss());
  report.overhead_bytes = report.peak.bytes - report.weight_bytes - report.kv_cache_bytes;
  return report;
}

}  // namespace aae
