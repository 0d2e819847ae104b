#include <algorithm>
#include <cstdio>

#include <unistd.h>

#include "tools/common/error_output.h"

#include "runtime/base/did_you_mean.h"

namespace aae::cli {

void print_error(const Error& error) {
  const bool color = ::isatty(STDERR_FILENO) != 0;
  const char* red = color ? "\033[1;31m" : "";
  const char* cyan = color ? "\033[1;36m" : "";
  const char* reset = color ? "\033[0m" : "";
  std::fprintf(stderr, "%serror:%s %s\n", red, reset, error.message().c_str());
  for (const auto& cause : error.causes())
    std::fprintf(stderr, "%scaused by:%s %s\n", red, reset, cause.c_str());
  if (!error.hint().empty()) std::fprintf(stderr, "%shint:%s %s\n", cyan, reset, error.hint().c_str());
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  return aae::did_you_mean(word, candidates);
}

}  // namespace aae::cli
