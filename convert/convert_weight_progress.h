// Progress output of convert_weight for a terminal or a log: on a tty one status line that
// updates in place; otherwise one line per parameter, e.g.
//   [12/227] model.layers.3.mlp.down_proj.weight [2048, 5632] -> q4f16_1
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "convert/convert_weight.h"

namespace aae {

class StreamProgress : public ProgressSink {
 public:
  // Writes to `out` (not owned). `interactive`: overwrite one line instead of appending.
  StreamProgress(std::FILE* out, bool interactive) : out_(out), interactive_(interactive) {}
  // stderr, interactive when stderr is a terminal.
  static StreamProgress for_stderr();

  void begin(const std::string& source, size_t total_params) override;
  void param_done(size_t index, size_t total, std::string_view name,
                  const std::vector<int64_t>& shape, std::string_view encoding) override;
  void warning(const std::string& message) override;
  void done(const ConvertSummary& summary, const std::filesystem::path& output) override;

 private:
  void end_status_line();

  std::FILE* out_;
  bool interactive_;
  bool status_line_open_ = false;  // an in-place line is on screen without its newline
};

// "[2048, 5632]".
std::string format_shape(const std::vector<int64_t>& shape);

}  // namespace aae
