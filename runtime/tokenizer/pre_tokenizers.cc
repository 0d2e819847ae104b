// Splitting logic of the pre-tokenizers (JSON reading is in pre_tokenizers_json.cc).
#include "runtime/tokenizer/pre_tokenizers.h"

#include <cstdlib>
#include <functional>

#include "runtime/tokenizer/unicode.h"
#include "runtime/tokenizer/utf8.h"

namespace aae::tokenizer {
namespace {

// A stretch of a piece (byte offsets) and whether the pattern matched it. The segments of a
// piece cover it from start to end, in order.
struct Segment {
  size_t begin;
  size_t end;
  bool is_match;
};

std::shared_ptr<const Regex> compile_builtin(std::string_view pattern) {
  Result<Regex> regex = Regex::compile(pattern);
  if (!regex.ok()) std::abort();  // built-in patterns are constants known to compile (tested)
  return std::make_shared<const Regex>(std::move(regex).value());
}

const std::shared_ptr<const Regex>& gpt2_regex() {
  static const std::shared_ptr<const Regex> regex = compile_builtin(kGpt2Pattern);
  return regex;
}

const std::shared_ptr<const Regex>& whitespace_regex() {
  static const std::shared_ptr<const Regex> regex = compile_builtin("\\w+|[^\\w\\s]+");
  return regex;
}

std::vector<Segment> regex_segments(const Regex& regex, std::string_view text) {
  if (text.empty()) return {{0, 0, false}};
  DecodedUtf8 decoded = decode_utf8_with_offsets(text);
  auto found = regex.find_all(decoded.code_points);
  if (!found.ok()) return {{0, text.size(), false}};  // budget exhausted: leave unsplit
  std::vector<Segment> segments;
  size_t prev = 0;
  for (const auto& [b, e] : found.value()) {
    size_t begin = decoded.byte_offsets[b];
    size_t end = decoded.byte_offsets[e];
    if (prev != begin) segments.push_back({prev, begin, false});
    segments.push_back({begin, end, true});
    prev = end;
  }
  if (prev != text.size()) segments.push_back({prev, text.size(), false});
  return segments;
}

// Every code point for which `pred` holds is a match of its own.
std::vector<Segment> char_segments(std::string_view text,
                                   const std::function<bool(char32_t)>& pred) {
  DecodedUtf8 decoded = decode_utf8_with_offsets(text);
  std::vector<Segment> segments;
  size_t last = 0;
  for (size_t i = 0; i < decoded.code_points.size(); ++i) {
    if (!pred(decoded.code_points[i])) continue;
    size_t begin = decoded.byte_offsets[i];
    size_t end = decoded.byte_offsets[i + 1];
    if (last < begin) segments.push_back({last, begin, false});
    segments.push_back({begin, end, true});
    last = end;
  }
  if (last < text.size()) segments.push_back({last, text.size(), false});
  return segments;
}

std::vector<Segment> literal_segments(std::string_view text, std::string_view literal) {
  if (literal.empty()) return {{0, text.size(), false}};
  std::vector<Segment> segments;
  size_t prev = 0;
  for (size_t at = text.find(literal); at != std::string_view::npos;
       at = text.find(literal, at + literal.size())) {
    if (prev != at) segments.push_back({prev, at, false});
    segments.push_back({at, at + literal.size(), true});
    prev = at + literal.size();
  }
  if (prev != text.size()) segments.push_back({prev, text.size(), false});
  return segments;
}

// Applies a SplitDelimiterBehavior; returns the kept byte ranges (possibly empty ones).
std::vector<std::pair<size_t, size_t>> apply_behavior(std::vector<Segment> segments,
                                                      SplitBehavior behavior, bool invert) {
  if (invert) {
    for (Segment& s : segments) s.is_match = !s.is_match;
  }
  std::vector<std::pair<size_t, size_t>> out;
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::kRemoved:
      for (const Segment& s : segments) {
        if (!s.is_match) out.push_back({s.begin, s.end});
      }
      return out;
    case SplitBehavior::kIsolated:
      for (const Segment& s : segments) out.push_back({s.begin, s.end});
      return out;
    case SplitBehavior::kMergedWithPrevious:
      for (const Segment& s : segments) {
        if (s.is_match && !previous_match && !out.empty()) out.back().second = s.end;
        else out.push_back({s.begin, s.end});
        previous_match = s.is_match;
      }
      return out;
    case SplitBehavior::kMergedWithNext:
      for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
        if (it->is_match && !previous_match && !out.empty()) out.back().first = it->begin;
        else out.push_back({it->begin, it->end});
        previous_match = it->is_match;
      }
      return {out.rbegin(), out.rend()};
    case SplitBehavior::kContiguous:
      for (const Segment& s : segments) {
        if (s.is_match == previous_match && !out.empty()) out.back().second = s.end;
        else out.push_back({s.begin, s.end});
        previous_match = s.is_match;
      }
      return out;
  }
  return out;
}

void emit_split(const PreTokenizer::Piece& piece, const std::vector<Segment>& segments,
                SplitBehavior behavior, bool invert, std::vector<PreTokenizer::Piece>& out) {
  for (const auto& [begin, end] : apply_behavior(segments, behavior, invert)) {
    if (begin == end) continue;
    out.push_back({piece.text.substr(begin, end - begin), piece.at_input_start && begin == 0});
  }
}

bool is_punctuation_char(char32_t c) {
  if (c < 128) {
    return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
           (c >= '{' && c <= '~');
  }
  return unicode::is_punctuation(c);
}

std::string replace_all(std::string_view text, char c, std::string_view with) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    if (ch == c) out += with;
    else out += ch;
  }
  return out;
}

std::string to_byte_level(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 2);
  for (unsigned char b : text) append_utf8(out, byte_level_char(b));
  return out;
}

}  // namespace

void PreTokenizer::apply_one(const Piece& piece, std::vector<Piece>& out) const {
  const std::string_view text = piece.text;
  switch (kind_) {
    case Kind::kByteLevel: {
      Piece prefixed = piece;
      if (add_prefix_space_ && !text.empty() && text[0] != ' ') prefixed.text = " " + piece.text;
      std::vector<Piece> parts;
      if (use_regex_) {
        emit_split(prefixed, regex_segments(*gpt2_regex(), prefixed.text),
                   SplitBehavior::kIsolated, false, parts);
      } else if (!prefixed.text.empty()) {
        parts.push_back(std::move(prefixed));
      }
      for (Piece& part : parts) out.push_back({to_byte_level(part.text), part.at_input_start});
      return;
    }
    case Kind::kSplit:
      emit_split(piece, regex_ ? regex_segments(*regex_, text) : literal_segments(text, literal_),
                 behavior_, invert_, out);
      return;
    case Kind::kMetaspace: {
      std::string replacement;
      append_utf8(replacement, delimiter_);
      Piece replaced{replace_all(text, ' ', replacement), piece.at_input_start};
      bool starts_with_rep = std::string_view(replaced.text).substr(0, replacement.size()) ==
                             replacement;
      bool prepend = !starts_with_rep && !replaced.text.empty() && (prepend_scheme_ == PrependScheme::kAlways ||
                                          (prepend_scheme_ == PrependScheme::kFirst &&
                                           piece.at_input_start));
      if (prepend) replaced.text = replacement + replaced.text;
      if (!split_) {
        if (!replaced.text.empty()) out.push_back(std::move(replaced));
        return;
      }
      char32_t rep = delimiter_;
      emit_split(replaced, char_segments(replaced.text, [rep](char32_t c) { return c == rep; }),
                 SplitBehavior::kMergedWithNext, false, out);
      return;
    }
    case Kind::kWhitespace:
      emit_split(piece, regex_segments(*whitespace_regex(), text), SplitBehavior::kRemoved, true,
                 out);
      return;
    case Kind::kWhitespaceSplit:
      emit_split(piece, char_segments(text, unicode::is_white_space), SplitBehavior::kRemoved,
                 false, out);
      return;
    case Kind::kPunctuation:
      emit_split(piece, char_segments(text, is_punctuation_char), behavior_, false, out);
      return;
    case Kind::kDigits:
      emit_split(piece, char_segments(text, unicode::is_number),
                 individual_digits_ ? SplitBehavior::kIsolated : SplitBehavior::kContiguous,
                 false, out);
      return;
    case Kind::kBertPreTokenizer: {
      std::vector<Piece> words;
      emit_split(piece, char_segments(text, unicode::is_white_space), SplitBehavior::kRemoved,
                 false, words);
      for (const Piece& word : words) {
        emit_split(word, char_segments(word.text, is_punctuation_char),
                   SplitBehavior::kIsolated, false, out);
      }
      return;
    }
    case Kind::kCharDelimiterSplit: {
      char32_t delimiter = delimiter_;
      emit_split(piece, char_segments(text, [delimiter](char32_t c) { return c == delimiter; }),
                 SplitBehavior::kRemoved, false, out);
      return;
    }
    case Kind::kSequence: {
      std::vector<Piece> pieces{piece};
      for (const PreTokenizer& step : steps_) step.apply(pieces);
      for (Piece& p : pieces) out.push_back(std::move(p));
      return;
    }
  }
}

void PreTokenizer::apply(std::vector<Piece>& pieces) const {
  std::vector<Piece> out;
  out.reserve(pieces.size());
  for (const Piece& piece : pieces) apply_one(piece, out);
  pieces = std::move(out);
}

std::vector<std::string> PreTokenizer::pre_tokenize(std::string_view text,
                                                    bool is_first_section) const {
  std::vector<Piece> pieces{{std::string(text), is_first_section}};
  apply(pieces);
  std::vector<std::string> out;
  out.reserve(pieces.size());
  for (Piece& piece : pieces) out.push_back(std::move(piece.text));
  return out;
}

PreTokenizer PreTokenizer::byte_level(bool add_prefix_space, bool use_regex) {
  PreTokenizer p;
  p.kind_ = Kind::kByteLevel;
  p.add_prefix_space_ = add_prefix_space;
  p.use_regex_ = use_regex;
  return p;
}

Result<PreTokenizer> PreTokenizer::split_regex(std::string_view pattern, SplitBehavior behavior,
                                               bool invert) {
  AAE_ASSIGN_OR_RETURN(Regex regex, Regex::compile(pattern));
  PreTokenizer p;
  p.kind_ = Kind::kSplit;
  p.regex_ = std::make_shared<const Regex>(std::move(regex));
  p.behavior_ = behavior;
  p.invert_ = invert;
  return p;
}

PreTokenizer PreTokenizer::split_string(std::string literal, SplitBehavior behavior, bool invert) {
  PreTokenizer p;
  p.kind_ = Kind::kSplit;
  p.literal_ = std::move(literal);
  p.behavior_ = behavior;
  p.invert_ = invert;
  return p;
}

PreTokenizer PreTokenizer::metaspace(char32_t replacement, PrependScheme scheme, bool split) {
  PreTokenizer p;
  p.kind_ = Kind::kMetaspace;
  p.delimiter_ = replacement;
  p.prepend_scheme_ = scheme;
  p.split_ = split;
  return p;
}

PreTokenizer PreTokenizer::whitespace() {
  PreTokenizer p;
  p.kind_ = Kind::kWhitespace;
  return p;
}

PreTokenizer PreTokenizer::whitespace_split() {
  PreTokenizer p;
  p.kind_ = Kind::kWhitespaceSplit;
  return p;
}

PreTokenizer PreTokenizer::punctuation(SplitBehavior behavior) {
  PreTokenizer p;
  p.kind_ = Kind::kPunctuation;
  p.behavior_ = behavior;
  return p;
}

PreTokenizer PreTokenizer::digits(bool individual_digits) {
  PreTokenizer p;
  p.kind_ = Kind::kDigits;
  p.individual_digits_ = individual_digits;
  return p;
}

PreTokenizer PreTokenizer::bert() {
  PreTokenizer p;
  p.kind_ = Kind::kBertPreTokenizer;
  return p;
}

PreTokenizer PreTokenizer::char_delimiter_split(char32_t delimiter) {
  PreTokenizer p;
  p.kind_ = Kind::kCharDelimiterSplit;
  p.delimiter_ = delimiter;
  return p;
}

PreTokenizer PreTokenizer::sequence(std::vector<PreTokenizer> steps) {
  PreTokenizer p;
  p.kind_ = Kind::kSequence;
  p.steps_ = std::move(steps);
  return p;
}

}  // namespace aae::tokenizer
