// "Did you mean" suggestions for mistyped names (commands, JSON keys). Lives in the runtime
// layer only because every other layer can reach it here; it is plain std code.
#pragma once

#include <string>
#include <vector>

namespace aae {

// The closest name in `candidates` to `word` (edit distance <= 2; the first of equally close
// ones), or "" when none is that close.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace aae
