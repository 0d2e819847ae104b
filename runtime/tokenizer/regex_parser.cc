// Regex syntax -> Node tree. The supported syntax is the subset of Oniguruma/PCRE2 that
// tokenizer.json patterns use; see regex.h for the list. Anything else is a clear error rather
// than a silent misparse.
#include <string>

#include "runtime/tokenizer/regex_ast.h"
#include "runtime/tokenizer/unicode.h"
#include "runtime/tokenizer/utf8.h"

namespace aae::tokenizer::regex_internal {
namespace {

constexpr int kMaxNesting = 64;       // groups inside groups: bounds parser/compiler recursion
constexpr uint32_t kMaxRepeat = 1000;  // {n,m} bounds

std::unique_ptr<Node> make_node(NodeKind kind) {
  auto node = std::make_unique<Node>();
  node->kind = kind;
  return node;
}

class Parser {
 public:
  Parser(std::u32string pattern, std::string_view utf8) : p_(std::move(pattern)), utf8_(utf8) {}

  Result<ParsedPattern> run() {
    AAE_ASSIGN_OR_RETURN(auto root, parse_alternation(0));
    if (pos_ < p_.size()) return error("unmatched ')'");
    for (CharSet& set : sets_) set.finalize();
    return ParsedPattern{std::move(root), std::move(sets_)};
  }

 private:
  Error error(const std::string& what) const {
    return Error("invalid regex pattern '" + std::string(utf8_) + "' at code point " +
                     std::to_string(pos_) + ": " + what,
                 "tokenizer patterns use the Oniguruma/PCRE subset: classes, \\p{..}, groups, "
                 "(?i:..), lookahead, quantifiers");
  }
  bool at_end() const { return pos_ >= p_.size(); }
  char32_t peek(size_t ahead = 0) const {
    return pos_ + ahead < p_.size() ? p_[pos_ + ahead] : 0;
  }

  std::unique_ptr<Node> set_node(CharSet set) {
    auto node = make_node(NodeKind::kSet);
    node->set_id = static_cast<uint32_t>(sets_.size());
    sets_.push_back(std::move(set));
    return node;
  }
  std::unique_ptr<Node> literal_node(char32_t c) {
    CharSet set;
    set.ranges.push_back({c, c});
    if (icase_) {
      char32_t variants[3];
      int count = case_variants(c, variants);
      for (int i = 0; i < count; ++i) set.ranges.push_back({variants[i], variants[i]});
    }
    return set_node(std::move(set));
  }

  Result<std::unique_ptr<Node>> parse_alternation(int depth) {
    if (depth > kMaxNesting) return error("groups nested too deeply");
    std::vector<std::unique_ptr<Node>> branches;
    for (;;) {
      AAE_ASSIGN_OR_RETURN(auto seq, parse_sequence(depth));
      branches.push_back(std::move(seq));
      if (!at_end() && peek() == '|') {
        ++pos_;
        continue;
      }
      break;
    }
    if (branches.size() == 1) return std::move(branches[0]);
    auto alt = make_node(NodeKind::kAlt);
    alt->children = std::move(branches);
    return alt;
  }

  Result<std::unique_ptr<Node>> parse_sequence(int depth) {
    auto seq = make_node(NodeKind::kSeq);
    while (!at_end() && peek() != '|' && peek() != ')') {
      size_t atom_pos = pos_;
      AAE_ASSIGN_OR_RETURN(auto atom, parse_atom(depth));
      if (!atom) continue;  // a flag group like (?i) that only changed state
      AAE_ASSIGN_OR_RETURN(atom, parse_quantifier(std::move(atom), atom_pos));
      seq->children.push_back(std::move(atom));
    }
    return seq;
  }

  // Reads digits; returns false when there are none.
  bool read_number(uint32_t* out) {
    size_t start = pos_;
    uint64_t value = 0;
    while (!at_end() && peek() >= '0' && peek() <= '9') {
      value = value * 10 + (peek() - '0');
      if (value > 0xFFFFFF) value = 0xFFFFFF;
      ++pos_;
    }
    *out = static_cast<uint32_t>(value);
    return pos_ > start;
  }

  // {n}, {n,}, {n,m}, {,m}; anything else leaves pos_ unchanged and returns false (literal '{').
  Result<bool> parse_braces(uint32_t* min, uint32_t* max) {
    size_t start = pos_;
    ++pos_;
    bool has_min = read_number(min);
    if (!has_min) *min = 0;
    if (peek() == '}' && has_min) {
      ++pos_;
      *max = *min;
    } else if (peek() == ',') {
      ++pos_;
      bool has_max = read_number(max);
      if (!has_max) *max = kUnbounded;
      if (peek() != '}' || (!has_min && !has_max)) {
        pos_ = start;
        return false;
      }
      ++pos_;
    } else {
      pos_ = start;
      return false;
    }
    if (*min > kMaxRepeat || (*max != kUnbounded && *max > kMaxRepeat)) {
      return error("repeat count above " + std::to_string(kMaxRepeat));
    }
    if (*max < *min) return error("repeat {n,m} with m < n");
    return true;
  }

  Result<std::unique_ptr<Node>> parse_quantifier(std::unique_ptr<Node> atom, size_t atom_pos) {
    if (at_end()) return atom;
    uint32_t min = 0, max = 0;
    char32_t c = peek();
    if (c == '*') { min = 0; max = kUnbounded; ++pos_; }
    else if (c == '+') { min = 1; max = kUnbounded; ++pos_; }
    else if (c == '?') { min = 0; max = 1; ++pos_; }
    else if (c == '{') {
      AAE_ASSIGN_OR_RETURN(bool is_quantifier, parse_braces(&min, &max));
      if (!is_quantifier) return atom;
    } else {
      return atom;
    }
    if (atom->kind == NodeKind::kAssert || atom->kind == NodeKind::kLook) {
      pos_ = atom_pos;
      return error("quantifier after an assertion");
    }
    bool greedy = true;
    if (peek() == '?') { greedy = false; ++pos_; }
    else if (peek() == '+') return error("possessive quantifiers are not supported");
    char32_t next = peek();
    if (!at_end() && (next == '*' || next == '+' || next == '?')) {
      return error("quantifier does not follow a repeatable item");
    }
    if (next == '{') {
      uint32_t unused_min = 0, unused_max = 0;
      AAE_ASSIGN_OR_RETURN(bool stacked, parse_braces(&unused_min, &unused_max));
      if (stacked) return error("quantifier does not follow a repeatable item");
    }
    auto rep = make_node(NodeKind::kRepeat);
    rep->min = min;
    rep->max = max;
    rep->greedy = greedy;
    rep->children.push_back(std::move(atom));
    return rep;
  }

  Result<std::unique_ptr<Node>> parse_group(int depth) {
    ++pos_;  // '('
    bool saved_icase = icase_;
    std::unique_ptr<Node> wrapper;
    if (peek() == '?') {
      ++pos_;
      char32_t k = peek();
      if (k == ':') { ++pos_; }
      else if (k == '=' || k == '!') {
        ++pos_;
        wrapper = make_node(NodeKind::kLook);
        wrapper->negate = (k == '!');
      } else if (k == '>') {
        ++pos_;
        wrapper = make_node(NodeKind::kAtomic);
      } else if (k == '<' && (peek(1) == '=' || peek(1) == '!')) {
        return error("lookbehind is not supported");
      } else if (k == '<' || k == 'P' || k == '\'') {
        // Named capturing group: captures are not reported, so it is a plain group.
        if (k == 'P') ++pos_;
        char32_t close = peek() == '\'' ? '\'' : '>';
        ++pos_;
        while (!at_end() && peek() != close) ++pos_;
        if (at_end()) return error("unterminated group name");
        ++pos_;
      } else {
        // Inline flags: (?i) (?-i) (?i:...) (?i-i:...).
        bool on = true;
        for (;;) {
          char32_t f = peek();
          if (f == 'i') { icase_ = on; ++pos_; }
          else if (f == '-') { on = false; ++pos_; }
          else if (f == ')') {
            ++pos_;
            saved_icase = icase_;  // (?i) lasts to the end of the enclosing group
            return std::unique_ptr<Node>();
          } else if (f == ':') { ++pos_; break; }
          else if (at_end()) return error("unterminated group");
          else return error(std::string("unsupported group flag or syntax '(?") +
                            (f < 128 ? std::string(1, static_cast<char>(f)) : "?") + "'");
        }
      }
    }
    AAE_ASSIGN_OR_RETURN(auto inner, parse_alternation(depth + 1));
    if (at_end() || peek() != ')') return error("missing ')'");
    ++pos_;
    icase_ = saved_icase;
    if (!wrapper) return inner;
    wrapper->children.push_back(std::move(inner));
    return wrapper;
  }

  Result<uint32_t> parse_hex(size_t min_digits, size_t max_digits) {
    uint32_t value = 0;
    size_t count = 0;
    while (count < max_digits && !at_end()) {
      char32_t c = peek();
      uint32_t d;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
      else break;
      value = value * 16 + d;
      ++count;
      ++pos_;
    }
    if (count < min_digits || value > 0x10FFFF) return error("bad hexadecimal escape");
    return value;
  }

  // \p{..} / \P{..} / \pL after the backslash and the letter were consumed.
  Status parse_property(bool negated, CharSet* set) {
    std::string name;
    if (peek() == '{') {
      ++pos_;
      if (peek() == '^') { negated = !negated; ++pos_; }
      while (!at_end() && peek() != '}') {
        if (peek() >= 128) return error("bad property name");
        name += static_cast<char>(peek());
        ++pos_;
      }
      if (at_end()) return error("unterminated \\p{");
      ++pos_;
    } else if (!at_end() && peek() < 128) {
      name = static_cast<char>(peek());
      ++pos_;
    }
    uint32_t mask = 0;
    if (name == "Any") {
      set->ranges.push_back({0, 0x10FFFF});
      if (negated) return error("\\P{Any} matches nothing");
      return ok_status();
    }
    if (!unicode::category_mask_from_name(name, &mask)) {
      return error("unknown Unicode property '" + name + "' (general categories only)");
    }
    if (negated) set->negated_category_masks.push_back(mask);
    else set->category_mask |= mask;
    return ok_status();
  }

  // Parses an escape after '\' into `set` (a class) or returns a literal in *literal.
  // *assert_kind is set for \b \B \A \z \Z outside classes. Returns error on unknown escapes.
  Status parse_escape(bool in_class, CharSet* set, bool* is_literal, char32_t* literal,
                      int* assert_kind) {
    if (at_end()) return error("pattern ends with '\\'");
    char32_t c = peek();
    ++pos_;
    *is_literal = false;
    *assert_kind = -1;
    switch (c) {
      case 'd': set->flags |= kDigit; return ok_status();
      case 'D': set->flags |= kNotDigit; return ok_status();
      case 's': set->flags |= kSpace; return ok_status();
      case 'S': set->flags |= kNotSpace; return ok_status();
      case 'w': set->flags |= kWord; return ok_status();
      case 'W': set->flags |= kNotWord; return ok_status();
      case 'p': return parse_property(false, set);
      case 'P': return parse_property(true, set);
      default: break;
    }
    *is_literal = true;
    switch (c) {
      case 'n': *literal = '\n'; return ok_status();
      case 'r': *literal = '\r'; return ok_status();
      case 't': *literal = '\t'; return ok_status();
      case 'f': *literal = '\f'; return ok_status();
      case 'v': *literal = '\v'; return ok_status();
      case 'a': *literal = 0x07; return ok_status();
      case 'e': *literal = 0x1B; return ok_status();
      case '0': *literal = 0; return ok_status();
      case 'x': {
        if (peek() == '{') {
          ++pos_;
          AAE_ASSIGN_OR_RETURN(*literal, parse_hex(1, 8));
          if (peek() != '}') return error("unterminated \\x{");
          ++pos_;
        } else {
          AAE_ASSIGN_OR_RETURN(*literal, parse_hex(1, 2));
        }
        return ok_status();
      }
      case 'u': {
        AAE_ASSIGN_OR_RETURN(*literal, parse_hex(4, 4));
        return ok_status();
      }
      default: break;
    }
    if (!in_class) {
      int kind = -1;
      if (c == 'b') kind = kWordBoundary;
      if (c == 'B') kind = kNotWordBoundary;
      if (c == 'A') kind = kTextStart;
      if (c == 'z') kind = kTextEnd;
      if (c == 'Z') kind = kTextEndOrFinalNewline;
      if (kind >= 0) {
        *is_literal = false;
        *assert_kind = kind;
        return ok_status();
      }
    } else if (c == 'b') {
      *literal = 0x08;
      return ok_status();
    }
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (alnum) {
      --pos_;
      return error(std::string("unsupported escape '\\") + static_cast<char>(c) + "'");
    }
    *literal = c;  // escaped punctuation or any non-ASCII character stands for itself
    return ok_status();
  }

  Result<std::unique_ptr<Node>> parse_class() {
    ++pos_;  // '['
    CharSet set;
    set.icase = icase_;
    if (peek() == '^') { set.negated = true; ++pos_; }
    bool first = true;
    for (;;) {
      if (at_end()) return error("missing ']'");
      char32_t c = peek();
      if (c == ']' && !first) { ++pos_; break; }
      first = false;
      if (c == '[') {
        if (peek(1) == ':') return error("POSIX classes [:name:] are not supported");
        return error("nested character classes are not supported");
      }
      bool is_literal = true;
      char32_t lo = c;
      ++pos_;
      if (c == '\\') {
        int assert_kind;
        AAE_TRY(parse_escape(true, &set, &is_literal, &lo, &assert_kind));
        if (!is_literal) continue;
      }
      if (peek() == '-' && peek(1) != ']' && pos_ + 1 < p_.size()) {
        ++pos_;
        char32_t hi = peek();
        ++pos_;
        if (hi == '\\') {
          CharSet scratch;
          bool hi_literal;
          int assert_kind;
          AAE_TRY(parse_escape(true, &scratch, &hi_literal, &hi, &assert_kind));
          if (!hi_literal) return error("class escape as a range end");
        }
        if (hi < lo) return error("range out of order in character class");
        set.ranges.push_back({lo, hi});
      } else {
        set.ranges.push_back({lo, lo});
      }
    }
    return set_node(std::move(set));
  }

  Result<std::unique_ptr<Node>> parse_atom(int depth) {
    char32_t c = peek();
    switch (c) {
      case '(':
        return parse_group(depth);
      case '[':
        return parse_class();
      case '.': {
        ++pos_;
        CharSet set;
        set.negated = true;
        set.ranges.push_back({'\n', '\n'});
        return set_node(std::move(set));
      }
      case '^':
      case '$': {
        ++pos_;
        auto node = make_node(NodeKind::kAssert);
        node->assert_kind = c == '^' ? kTextStart : kTextEndOrFinalNewline;
        return node;
      }
      case '*':
      case '+':
      case '?':
        return error("quantifier does not follow a repeatable item");
      case '\\': {
        ++pos_;
        CharSet set;
        set.icase = icase_;
        bool is_literal;
        char32_t literal;
        int assert_kind;
        AAE_TRY(parse_escape(false, &set, &is_literal, &literal, &assert_kind));
        if (assert_kind >= 0) {
          auto node = make_node(NodeKind::kAssert);
          node->assert_kind = static_cast<uint32_t>(assert_kind);
          return node;
        }
        if (is_literal) return literal_node(literal);
        return set_node(std::move(set));
      }
      default:
        ++pos_;
        return literal_node(c);
    }
  }

  std::u32string p_;
  std::string_view utf8_;
  size_t pos_ = 0;
  bool icase_ = false;
  std::vector<CharSet> sets_;
};

}  // namespace

Result<ParsedPattern> parse_pattern(std::string_view utf8_pattern) {
  if (!is_valid_utf8(utf8_pattern)) {
    return Error("invalid regex pattern: not valid UTF-8",
                 "the pattern string in tokenizer.json must be UTF-8");
  }
  std::vector<char32_t> cps = code_points(utf8_pattern);
  Parser parser(std::u32string(cps.begin(), cps.end()), utf8_pattern);
  return parser.run();
}

}  // namespace aae::tokenizer::regex_internal
