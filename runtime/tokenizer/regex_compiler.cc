// Node tree -> Program: instruction layout and first-code-point sets for alternatives.
#include <algorithm>
#include <string>

#include "runtime/tokenizer/regex_ast.h"

namespace aae::tokenizer::regex_internal {
namespace {

constexpr size_t kMaxProgramSize = 200000;  // instructions; bounds {n,m} expansion

struct FirstInfo {
  bool nullable = true;
  bool unknown = false;
  uint64_t ascii_bits[2] = {0, 0};
  std::vector<uint32_t> set_ids;

  void add(const FirstInfo& other) {
    unknown |= other.unknown;
    ascii_bits[0] |= other.ascii_bits[0];
    ascii_bits[1] |= other.ascii_bits[1];
    for (uint32_t id : other.set_ids) {
      if (std::find(set_ids.begin(), set_ids.end(), id) == set_ids.end()) set_ids.push_back(id);
    }
  }
  FirstSet to_first_set() const {
    FirstSet f;
    f.any = nullable || unknown;
    if (!f.any) {
      f.ascii_bits[0] = ascii_bits[0];
      f.ascii_bits[1] = ascii_bits[1];
      f.set_ids = set_ids;
    }
    return f;
  }
};

class Compiler {
 public:
  explicit Compiler(Program* program) : prog_(program) {}

  FirstInfo first_of(const Node& node) const {
    FirstInfo info;
    switch (node.kind) {
      case NodeKind::kSet: {
        const CharSet& set = prog_->sets[node.set_id];
        info.nullable = false;
        info.ascii_bits[0] = set.ascii_bits[0];
        info.ascii_bits[1] = set.ascii_bits[1];
        info.set_ids.push_back(node.set_id);
        return info;
      }
      case NodeKind::kSeq:
        for (const auto& child : node.children) {
          FirstInfo c = first_of(*child);
          info.add(c);
          if (!c.nullable) {
            info.nullable = false;
            break;
          }
        }
        return info;
      case NodeKind::kAlt:
        info.nullable = false;
        for (const auto& child : node.children) {
          FirstInfo c = first_of(*child);
          info.add(c);
          info.nullable |= c.nullable;
        }
        return info;
      case NodeKind::kRepeat:
      case NodeKind::kAtomic: {
        info = first_of(*node.children[0]);
        if (node.kind == NodeKind::kRepeat && node.min == 0) info.nullable = true;
        return info;
      }
      case NodeKind::kLook:
      case NodeKind::kAssert:
      case NodeKind::kEmpty:
        return info;  // consumes nothing: the next item decides
    }
    return info;
  }

  Status compile(const Node& node) {
    if (prog_->code.size() > kMaxProgramSize) {
      return Error("invalid regex pattern '" + prog_->pattern +
                       "': compiled program too large (counted repeats of big groups)",
                   "reduce {n,m} counts");
    }
    switch (node.kind) {
      case NodeKind::kEmpty:
        return ok_status();
      case NodeKind::kSet:
        emit(Op::kSet, node.set_id);
        return ok_status();
      case NodeKind::kAssert:
        emit(Op::kAssert, node.assert_kind);
        return ok_status();
      case NodeKind::kSeq:
        for (const auto& child : node.children) AAE_TRY(compile(*child));
        return ok_status();
      case NodeKind::kAlt:
        return compile_alt(node);
      case NodeKind::kRepeat:
        return compile_repeat(node);
      case NodeKind::kLook:
      case NodeKind::kAtomic: {
        size_t at = emit(node.kind == NodeKind::kLook ? Op::kLook : Op::kAtomic, 0);
        prog_->code[at].greedy = node.negate;
        AAE_TRY(compile(*node.children[0]));
        emit(Op::kMatch, 0);
        prog_->code[at].b = here();
        return ok_status();
      }
    }
    return ok_status();
  }

 private:
  size_t emit(Op op, uint32_t a) {
    Inst inst;
    inst.op = op;
    inst.a = a;
    prog_->code.push_back(inst);
    return prog_->code.size() - 1;
  }
  uint32_t here() const { return static_cast<uint32_t>(prog_->code.size()); }

  Status compile_alt(const Node& node) {
    uint32_t alt_index = static_cast<uint32_t>(prog_->alts.size());
    prog_->alts.emplace_back();
    emit(Op::kAlt, alt_index);
    std::vector<size_t> exits;
    for (const auto& child : node.children) {
      AltBranch branch;
      branch.target = here();
      branch.guard = first_of(*child).to_first_set();
      prog_->alts[alt_index].push_back(std::move(branch));
      AAE_TRY(compile(*child));
      exits.push_back(emit(Op::kJump, 0));
    }
    for (size_t at : exits) prog_->code[at].a = here();
    return ok_status();
  }

  bool is_nullable(const Node& node) const { return first_of(node).nullable; }

  Status compile_repeat(const Node& node) {
    const Node& child = *node.children[0];
    if (child.kind == NodeKind::kSet) {
      size_t at = emit(Op::kRepeatSet, child.set_id);
      prog_->code[at].min = node.min;
      prog_->code[at].max = node.max;
      prog_->code[at].greedy = node.greedy;
      return ok_status();
    }
    for (uint32_t i = 0; i < node.min; ++i) AAE_TRY(compile(child));
    if (node.max == kUnbounded) {
      // loop: split(body, exit); [mark] body [check]; jump loop
      bool nullable = is_nullable(child);
      uint32_t slot = nullable ? prog_->mark_slots++ : 0;
      size_t loop = emit(Op::kSplit, 0);
      uint32_t body = here();
      if (nullable) emit(Op::kMarkSet, slot);
      AAE_TRY(compile(child));
      if (nullable) emit(Op::kMarkCheck, slot);
      emit(Op::kJump, static_cast<uint32_t>(loop));
      set_split(loop, body, here(), node.greedy);
      return ok_status();
    }
    std::vector<std::pair<size_t, uint32_t>> splits;  // (split pc, body pc)
    for (uint32_t i = node.min; i < node.max; ++i) {
      size_t split = emit(Op::kSplit, 0);
      splits.push_back({split, here()});
      AAE_TRY(compile(child));
    }
    for (const auto& [split, body] : splits) set_split(split, body, here(), node.greedy);
    return ok_status();
  }

  void set_split(size_t at, uint32_t body, uint32_t exit, bool greedy) {
    prog_->code[at].a = greedy ? body : exit;
    prog_->code[at].b = greedy ? exit : body;
  }

  Program* prog_;
};

}  // namespace

Result<std::shared_ptr<const Program>> compile_pattern(ParsedPattern parsed,
                                                       std::string_view utf8_pattern) {
  auto program = std::make_shared<Program>();
  program->pattern = std::string(utf8_pattern);
  program->sets = std::move(parsed.sets);
  Compiler compiler(program.get());
  AAE_TRY(compiler.compile(*parsed.root));
  Inst match;
  match.op = Op::kMatch;
  program->code.push_back(match);
  program->first = compiler.first_of(*parsed.root).to_first_set();
  return std::shared_ptr<const Program>(std::move(program));
}

}  // namespace aae::tokenizer::regex_internal
