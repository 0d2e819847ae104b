// How every AAE executable shows an Error to a person, and "did you mean" suggestions.
#pragma once

#include <string>
#include <vector>

#include "runtime/base/status.h"

namespace aae::cli {

// Prints an Error as "error: / caused by: / hint:" to stderr (colour when stderr is a tty).
void print_error(const Error& error);

// The closest name in `candidates` to `word` (edit distance <= 2), or "".
// Forwards to aae::did_you_mean (runtime/base/did_you_mean.h), which non-CLI layers use.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace aae::cli
