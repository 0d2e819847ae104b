// The backtracking VM and the Regex methods that drive it.
#include <algorithm>

#include "runtime/tokenizer/regex.h"
#include "runtime/tokenizer/regex_ast.h"
#include "runtime/tokenizer/regex_program.h"

namespace aae::tokenizer {
namespace regex_internal {
namespace {

enum class RunResult { kMatch, kNoMatch, kOutOfSteps };

enum FrameKind : uint32_t { kResume, kAltNext, kGreedyBack, kLazyMore, kRestoreMark };

// One backtrack point. Meaning of the fields depends on kind:
//   kResume: continue at pc, pos.   kAltNext: alt instruction pc, branch index aux, at pos.
//   kGreedyBack: repeat instruction pc, current end pos, lowest allowed end aux.
//   kLazyMore: repeat instruction pc, current end pos, highest allowed end aux.
//   kRestoreMark: slot pc, old value pos.
struct Frame {
  FrameKind kind;
  uint32_t pc;
  size_t pos;
  size_t aux;
};

class Matcher {
 public:
  Matcher(const Program& prog, std::u32string_view text, uint64_t budget)
      : prog_(prog), text_(text.data()), n_(text.size()), budget_(budget),
        marks_(prog.mark_slots, SIZE_MAX) {}

  uint64_t steps() const { return steps_; }
  void add_budget(uint64_t steps) { budget_ += steps; }

  RunResult run(uint32_t pc, size_t pos, size_t* out_end) {
    const size_t base = stack_.size();
    const Inst* code = prog_.code.data();
    for (;;) {
      if (++steps_ > budget_) {
        stack_.resize(base);
        return RunResult::kOutOfSteps;
      }
      const Inst& in = code[pc];
      bool ok = true;
      switch (in.op) {
        case Op::kSet:
          if (pos < n_ && prog_.sets[in.a].matches(text_[pos])) {
            ++pos;
            ++pc;
          } else {
            ok = false;
          }
          break;
        case Op::kRepeatSet: {
          const CharSet& set = prog_.sets[in.a];
          size_t limit = in.max == kUnbounded ? n_ : std::min(n_, pos + in.max);
          size_t p = pos;
          size_t min_end = pos + in.min;
          if (in.greedy) {
            while (p < limit && set.matches(text_[p])) ++p;
            steps_ += (p - pos) / 16;
            if (p < min_end) { ok = false; break; }
            if (p > min_end) stack_.push_back({kGreedyBack, pc, p, min_end});
          } else {
            while (p < min_end && p < limit && set.matches(text_[p])) ++p;
            if (p < min_end) { ok = false; break; }
            if (p < limit) stack_.push_back({kLazyMore, pc, p, limit});
          }
          pos = p;
          ++pc;
          break;
        }
        case Op::kAlt: {
          const auto& branches = prog_.alts[in.a];
          size_t i = next_branch(branches, 0, pos);
          if (i >= branches.size()) { ok = false; break; }
          size_t j = next_branch(branches, i + 1, pos);
          if (j < branches.size()) stack_.push_back({kAltNext, pc, pos, j});
          pc = branches[i].target;
          break;
        }
        case Op::kSplit:
          stack_.push_back({kResume, in.b, pos, 0});
          pc = in.a;
          break;
        case Op::kJump:
          pc = in.a;
          break;
        case Op::kLook:
        case Op::kAtomic: {
          size_t sub_end = 0;
          RunResult r = run(pc + 1, pos, &sub_end);
          if (r == RunResult::kOutOfSteps) {
            stack_.resize(base);
            return r;
          }
          bool matched = r == RunResult::kMatch;
          if (in.op == Op::kLook) {
            ok = matched != in.greedy;  // greedy holds "negate"
          } else {
            ok = matched;
            if (matched) pos = sub_end;
          }
          pc = in.b;
          break;
        }
        case Op::kAssert:
          ok = check_assert(in.a, pos);
          ++pc;
          break;
        case Op::kMarkSet:
          stack_.push_back({kRestoreMark, in.a, marks_[in.a], 0});
          marks_[in.a] = pos;
          ++pc;
          break;
        case Op::kMarkCheck:
          ok = marks_[in.a] != pos;
          ++pc;
          break;
        case Op::kMatch:
          *out_end = pos;
          stack_.resize(base);
          return RunResult::kMatch;
      }
      if (ok) continue;
      // Backtrack.
      for (;;) {
        if (stack_.size() == base) return RunResult::kNoMatch;
        Frame f = stack_.back();
        stack_.pop_back();
        if (f.kind == kResume) {
          pc = f.pc;
          pos = f.pos;
          break;
        }
        if (f.kind == kAltNext) {
          const auto& branches = prog_.alts[code[f.pc].a];
          size_t j = next_branch(branches, f.aux + 1, f.pos);
          if (j < branches.size()) stack_.push_back({kAltNext, f.pc, f.pos, j});
          pc = branches[f.aux].target;
          pos = f.pos;
          break;
        }
        if (f.kind == kGreedyBack) {
          size_t cur = f.pos - 1;
          if (cur > f.aux) stack_.push_back({kGreedyBack, f.pc, cur, f.aux});
          pc = f.pc + 1;
          pos = cur;
          break;
        }
        if (f.kind == kLazyMore) {
          if (f.pos < f.aux && prog_.sets[code[f.pc].a].matches(text_[f.pos])) {
            size_t cur = f.pos + 1;
            if (cur < f.aux) stack_.push_back({kLazyMore, f.pc, cur, f.aux});
            pc = f.pc + 1;
            pos = cur;
            break;
          }
          continue;
        }
        marks_[f.pc] = f.pos;  // kRestoreMark
      }
    }
  }

 private:
  size_t next_branch(const std::vector<AltBranch>& branches, size_t from, size_t pos) const {
    for (size_t i = from; i < branches.size(); ++i) {
      if (prog_.first_allows(branches[i].guard, text_, n_, pos)) return i;
    }
    return branches.size();
  }

  bool check_assert(uint32_t kind, size_t pos) const {
    switch (kind) {
      case kTextStart: return pos == 0;
      case kTextEnd: return pos == n_;
      case kTextEndOrFinalNewline: return pos == n_ || (pos + 1 == n_ && text_[pos] == '\n');
      case kWordBoundary:
      case kNotWordBoundary: {
        bool before = pos > 0 && is_word_char(text_[pos - 1]);
        bool after = pos < n_ && is_word_char(text_[pos]);
        return (before != after) == (kind == kWordBoundary);
      }
      default: return false;
    }
  }

  const Program& prog_;
  const char32_t* text_;
  size_t n_;
  uint64_t budget_;
  uint64_t steps_ = 0;
  std::vector<size_t> marks_;
  std::vector<Frame> stack_;
};

// Leftmost match at or after `start`.
RunResult search_from(const Program& prog, Matcher& m, std::u32string_view text, size_t start,
                      size_t* begin, size_t* end) {
  for (size_t p = start; p <= text.size(); ++p) {
    if (!prog.first_allows(prog.first, text.data(), text.size(), p)) continue;
    RunResult r = m.run(0, p, end);
    if (r == RunResult::kNoMatch) continue;
    *begin = p;
    return r;
  }
  return RunResult::kNoMatch;
}

Error out_of_steps(const Program& prog) {
  return Error("regex '" + prog.pattern + "' exceeded its backtracking step budget",
               "the pattern backtracks catastrophically on this input; simplify nested "
               "quantifiers");
}

}  // namespace
}  // namespace regex_internal

using regex_internal::Matcher;
using regex_internal::RunResult;

Result<Regex> Regex::compile(std::string_view utf8_pattern) {
  AAE_ASSIGN_OR_RETURN(auto parsed, regex_internal::parse_pattern(utf8_pattern));
  AAE_ASSIGN_OR_RETURN(auto program,
                       regex_internal::compile_pattern(std::move(parsed), utf8_pattern));
  Regex regex;
  regex.program_ = std::move(program);
  return regex;
}

const std::string& Regex::pattern() const { return program_->pattern; }

Result<bool> Regex::search(std::u32string_view text, size_t start, size_t* begin,
                           size_t* end) const {
  if (start > text.size()) return false;
  Matcher m(*program_, text, step_budget_ + 256 * (text.size() - start));
  RunResult r = regex_internal::search_from(*program_, m, text, start, begin, end);
  if (r == RunResult::kOutOfSteps) return regex_internal::out_of_steps(*program_);
  return r == RunResult::kMatch;
}

bool Regex::find(std::u32string_view text, size_t start, size_t* begin, size_t* end) const {
  Result<bool> r = search(text, start, begin, end);
  return r.ok() && r.value();
}

Result<std::vector<std::pair<size_t, size_t>>> Regex::find_all(std::u32string_view text) const {
  std::vector<std::pair<size_t, size_t>> matches;
  Matcher m(*program_, text, step_budget_ + 256 * text.size());
  size_t search_at = 0;
  bool have_last = false;
  size_t last_end = 0;
  while (search_at <= text.size()) {
    size_t b = 0, e = 0;
    RunResult r = regex_internal::search_from(*program_, m, text, search_at, &b, &e);
    if (r == RunResult::kOutOfSteps) return regex_internal::out_of_steps(*program_);
    if (r == RunResult::kNoMatch) break;
    if (b == e && have_last && last_end == e) {
      ++search_at;  // no empty match right after the previous match
      continue;
    }
    matches.push_back({b, e});
    search_at = e;
    last_end = e;
    have_last = true;
  }
  return matches;
}

bool Regex::find_utf8(std::string_view text, size_t start_byte, size_t* begin_byte,
                      size_t* end_byte) const {
  if (start_byte > text.size()) return false;
  DecodedUtf8 decoded = decode_utf8_with_offsets(text);
  const auto& offsets = decoded.byte_offsets;
  size_t start = std::lower_bound(offsets.begin(), offsets.end(), start_byte) - offsets.begin();
  if (start > 0 && (start >= offsets.size() || offsets[start] != start_byte)) --start;
  size_t b = 0, e = 0;
  if (!find(decoded.code_points, start, &b, &e)) return false;
  *begin_byte = offsets[b];
  *end_byte = offsets[e];
  return true;
}

}  // namespace aae::tokenizer
