// sphere_aae bench MODEL_DIR: prefill and decode speed of a converted model on this machine
// with synthetic tokens, against the measured memory-bandwidth roof, plus peak memory.
// docs/bench.md explains every number. Without --model-lib, the host library comes from the
// JIT cache like `sphere_aae generate`.
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "compiler/jit_cache.h"
#include "runtime/base/human_units.h"
#include "runtime/engine/bench_runner.h"
#include "tools/sphere_aae/command.h"

namespace aae::cli {
namespace {

struct BenchCliOptions {
  BenchOptions bench;
  std::string source_dir;
  bool json = false;
};

nlohmann::ordered_json report_json(const BenchReport& r, const std::string& model_dir) {
  nlohmann::ordered_json j;
  j["model_dir"] = model_dir;
  j["model_lib"] = r.model_lib;
  j["architecture"] = r.architecture;
  j["quantization"] = r.quantization;
  j["context_window_size"] = r.context_window_size;
  j["threads"] = r.threads;
  j["prompt_tokens"] = r.prompt_tokens;
  j["gen_tokens"] = r.gen_tokens;
  j["repeat"] = r.repeat;
  j["prefill_tok_s"] = r.prefill_tok_s.median;
  j["prefill_tok_s_min"] = r.prefill_tok_s.min;
  j["prefill_tok_s_max"] = r.prefill_tok_s.max;
  j["decode_tok_s"] = r.decode_tok_s.median;
  j["decode_tok_s_min"] = r.decode_tok_s.min;
  j["decode_tok_s_max"] = r.decode_tok_s.max;
  auto per_repeat = [&](double BenchRepeat::*field) {
    nlohmann::ordered_json values = nlohmann::ordered_json::array();
    for (const auto& rep : r.repeats) values.push_back(rep.*field);
    return values;
  };
  j["prefill_seconds_per_repeat"] = per_repeat(&BenchRepeat::prefill_seconds);
  j["prefill_tok_s_per_repeat"] = per_repeat(&BenchRepeat::prefill_tok_s);
  j["decode_seconds_per_repeat"] = per_repeat(&BenchRepeat::decode_seconds);
  j["decode_tok_s_per_repeat"] = per_repeat(&BenchRepeat::decode_tok_s);
  j["bandwidth_gb_s_per_repeat"] = per_repeat(&BenchRepeat::bandwidth_gb_s);
  j["roof_percent_per_repeat"] = per_repeat(&BenchRepeat::roof_percent);
  j["bandwidth_gb_s"] = r.bandwidth.gb_per_s;
  j["bandwidth_probe_bytes"] = r.bandwidth.bytes;
  j["bandwidth_pass_seconds"] = r.bandwidth.pass_seconds;
  j["bytes_per_token"] = r.traffic.bytes_per_token();
  j["weight_bytes_per_token"] = r.traffic.weight_bytes;
  j["kv_bytes_per_token"] = r.traffic.kv_bytes;
  j["tied_embedding"] = r.traffic.tied_embedding;
  j["roof_tok_s"] = r.roof_tok_s;
  j["roof_percent"] = r.roof_percent;
  j["peak_rss_bytes"] = r.peak.bytes;
  j["peak_rss_source"] = r.peak.source;
  j["peak_rss_includes_probe"] = r.peak_includes_probe;
  j["weight_bytes"] = r.weight_bytes;
  j["kv_cache_bytes"] = r.kv_cache_bytes;
  j["workspace_bytes"] = r.workspace_bytes;
  j["overhead_bytes"] = r.overhead_bytes;
  j["overhead_within_64_mib"] = r.overhead_within_budget();
  j["kernels"] = r.kernels;
  return j;
}

std::string bytes_text(double bytes) {
  return bytes < 0 ? "-" + human_bytes(-bytes) : human_bytes(bytes);
}
std::string bytes_text(int64_t bytes) { return bytes_text(static_cast<double>(bytes)); }

void print_table(const BenchReport& r) {
  std::string out;
  out += fmt::format("model library  {} ({}, {})\n", r.model_lib, r.architecture, r.quantization);
  out += fmt::format("run            {} prompt + {} generated tokens, {} threads, {} repeats\n",
                     r.prompt_tokens, r.gen_tokens, r.threads, r.repeat);
  if (r.kernels.empty()) out += "kernels        (not reported by this library)\n";
  for (size_t i = 0; i < r.kernels.size(); ++i) {
    // Each line starts with "kernels:", which the label already says.
    out += fmt::format("{:<14}{}\n", i == 0 ? "kernels" : "",
                       std::string_view(r.kernels[i]).substr(8));
  }
  const char* row = "{:<16}{:>12.1f}{:>12.1f}{:>12.1f}\n";
  out += fmt::format("\n{:<16}{:>12}{:>12}{:>12}\n", "tok/s", "median", "min", "max");
  out += fmt::format(fmt::runtime(row), "prefill", r.prefill_tok_s.median, r.prefill_tok_s.min,
                     r.prefill_tok_s.max);
  out += fmt::format(fmt::runtime(row), "decode", r.decode_tok_s.median, r.decode_tok_s.min,
                     r.decode_tok_s.max);
  const auto bandwidths = spread_of([&] {
    std::vector<double> v;
    for (const auto& rep : r.repeats) v.push_back(rep.bandwidth_gb_s);
    return v;
  }());
  out += fmt::format(
      "\nbandwidth      {:.2f} GB/s median ({:.2f}-{:.2f}; read, {} threads, {} array, probed "
      "before each repeat)\n",
      r.bandwidth.gb_per_s, bandwidths.min, bandwidths.max, r.threads,
      bytes_text(static_cast<int64_t>(r.bandwidth.bytes)));
  out += fmt::format("bytes/token    {} = weights {}{} + KV cache {}\n",
                     bytes_text(r.traffic.bytes_per_token()), bytes_text(r.traffic.weight_bytes),
                     r.traffic.tied_embedding ? " (tied embedding counted)" : "",
                     bytes_text(r.traffic.kv_bytes));
  out += fmt::format(
      "roof           {:.1f} tok/s at the median bandwidth; decode reaches {:.1f}% of the roof "
      "(median of the repeats, each against its own probe)\n\n",
      r.roof_tok_s, r.roof_percent);
  out += fmt::format("peak memory    {} ({}{})\n", bytes_text(r.peak.bytes), r.peak.source,
                     r.peak_includes_probe ? ", includes the bandwidth probe" : "");
  out += fmt::format("  weights      {}\n", bytes_text(r.weight_bytes));
  out += fmt::format("  KV cache     {}\n", bytes_text(r.kv_cache_bytes));
  out += fmt::format("  workspace    {}\n", bytes_text(r.workspace_bytes));
  out += fmt::format("  overhead     {} ({} the 64 MiB budget)\n", bytes_text(r.overhead_bytes),
                     r.overhead_within_budget() ? "within" : "OVER");
  std::fputs(out.c_str(), stdout);
}

Status run_bench_command(BenchCliOptions& options) {
  BenchOptions& bench = options.bench;
  if (bench.model_lib_path.empty()) {
    AAE_TRY(check_bench_options(bench));  // before a compile that may take a while
    AAE_ASSIGN_OR_RETURN(bench.model_lib_path,
                         cached_host_model_lib(bench.model_dir, options.source_dir));
  }
  AAE_ASSIGN_OR_RETURN(const BenchReport report, run_bench(bench));
  if (options.json) {
    std::fputs((report_json(report, bench.model_dir).dump(2) + "\n").c_str(), stdout);
  } else {
    print_table(report);
  }
  return std::fflush(stdout) == 0 ? ok_status() : Status(Error("cannot write to stdout"));
}

}  // namespace

CommandRunner setup_bench(CLI::App& app) {
  auto options = std::make_shared<BenchCliOptions>();
  BenchOptions& b = options->bench;
  app.add_option("MODEL_DIR", b.model_dir, "converted model (tensor cache and shards)")
      ->required();
  app.add_option("--model-lib", b.model_lib_path,
                 "a .so from 'sphere_aae compile' (default: compile one for this host now)");
  app.add_option("--prompt-tokens", b.prompt_tokens, "synthetic prompt length to prefill")
      ->capture_default_str();
  app.add_option("--gen-tokens", b.gen_tokens, "greedy decode steps after the prefill")
      ->capture_default_str();
  app.add_option("--threads", b.num_threads, "threads (0 = one per core; never more than cores)")
      ->capture_default_str();
  app.add_option("--repeat", b.repeat, "runs; medians are reported")->capture_default_str();
  app.add_option("--bandwidth-mib", b.bandwidth_mib, "size of the bandwidth probe's array")
      ->capture_default_str();
  app.add_option("--sphere-aae-source-dir", options->source_dir,
                 "folder holding modellib/ and include/sphere_aae/ when compiling (default: "
                 "$SPHERE_AAE_SOURCE_DIR, then the installed copy)");
  app.add_flag("--json", options->json, "print one JSON object instead of the table");
  return [options] { return run_bench_command(*options); };
}

}  // namespace aae::cli
