// Internal to the regex engine: the syntax tree the parser builds and the compiler lowers.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "runtime/base/status.h"
#include "runtime/tokenizer/regex_program.h"

namespace aae::tokenizer::regex_internal {

enum class NodeKind { kEmpty, kSet, kSeq, kAlt, kRepeat, kLook, kAtomic, kAssert };

struct Node {
  NodeKind kind = NodeKind::kEmpty;
  uint32_t set_id = 0;       // kSet: index into the set table
  uint32_t assert_kind = 0;  // kAssert
  uint32_t min = 0, max = 0;  // kRepeat (max may be kUnbounded)
  bool greedy = true;         // kRepeat
  bool negate = false;        // kLook
  std::vector<std::unique_ptr<Node>> children;  // kSeq/kAlt: all; kRepeat/kLook/kAtomic: one
};

struct ParsedPattern {
  std::unique_ptr<Node> root;
  std::vector<CharSet> sets;  // finalized
};

// Parses a UTF-8 pattern. Errors name the pattern and the code point offset of the problem.
Result<ParsedPattern> parse_pattern(std::string_view utf8_pattern);

// Lowers a parsed pattern to a program ending in kMatch.
Result<std::shared_ptr<const Program>> compile_pattern(ParsedPattern parsed,
                                                       std::string_view utf8_pattern);

}  // namespace aae::tokenizer::regex_internal
