#include "convert/convert_weight_progress.h"

#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace aae {

std::string format_shape(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

StreamProgress StreamProgress::for_stderr() {
  return StreamProgress(stderr, ::isatty(STDERR_FILENO) != 0);
}

void StreamProgress::end_status_line() {
  if (!status_line_open_) return;
  std::fputc('\n', out_);
  status_line_open_ = false;
}

void StreamProgress::begin(const std::string& source, size_t total_params) {
  fmt::print(out_, "converting {}: {} parameters\n", source, total_params);
  std::fflush(out_);
}

void StreamProgress::param_done(size_t index, size_t total, std::string_view name,
                                const std::vector<int64_t>& shape, std::string_view encoding) {
  const std::string line =
      fmt::format("[{}/{}] {} {} -> {}", index, total, name, format_shape(shape), encoding);
  if (interactive_) {
    // Return to column 0 and clear the line, so a shorter name leaves no leftovers.
    fmt::print(out_, "\r\033[K{}", line);
    status_line_open_ = true;
    if (index == total) end_status_line();
  } else {
    fmt::print(out_, "{}\n", line);
  }
  std::fflush(out_);
}

void StreamProgress::warning(const std::string& message) {
  end_status_line();
  fmt::print(out_, "warning: {}\n", message);
  std::fflush(out_);
}

void StreamProgress::done(const ConvertSummary& summary, const std::filesystem::path& output) {
  end_status_line();
  fmt::print(out_,
             "wrote {}: {} parameters as {} tensors, {:.1f} MiB, {:.3f} bits/param, {} shard{}, "
             "{:.1f} s\n",
             output.string(), summary.source_params, summary.tensors,
             static_cast<double>(summary.bytes) / (1024.0 * 1024.0), summary.bits_per_param,
             summary.shards, summary.shards == 1 ? "" : "s", summary.seconds);
  std::fflush(out_);
}

}  // namespace aae
