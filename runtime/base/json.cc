// Recursive-descent JSON parser (RFC 8259). The parser walks a string_view once; strings are
// appended in runs between escapes so large files (a 3 MB vocab.json) parse without per-char
// copies. Line/column are computed only when an error is reported.
#include "runtime/base/json.h"
#include "runtime/base/utf8_encode.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

namespace aae::json {

const char* type_name(Type type) {
  switch (type) {
    case Type::kNull: return "null";
    case Type::kBool: return "boolean";
    case Type::kNumber: return "number";
    case Type::kString: return "string";
    case Type::kArray: return "array";
    case Type::kObject: return "object";
  }
  return "unknown";
}

Value Value::make_bool(bool b) {
  Value v;
  v.type_ = Type::kBool;
  v.bool_ = b;
  return v;
}

Value Value::make_number(double d) {
  Value v;
  v.type_ = Type::kNumber;
  v.number_ = d;
  return v;
}

Value Value::make_integer(int64_t i) {
  Value v;
  v.type_ = Type::kNumber;
  v.is_integer_ = true;
  v.integer_ = i;
  v.number_ = static_cast<double>(i);
  return v;
}

Value Value::make_string(std::string s) {
  Value v;
  v.type_ = Type::kString;
  v.string_ = std::move(s);
  return v;
}

Value Value::make_array(Array items) {
  Value v;
  v.type_ = Type::kArray;
  v.array_ = std::move(items);
  return v;
}

Value Value::make_object(Object members) {
  Value v;
  v.type_ = Type::kObject;
  v.object_ = std::move(members);
  return v;
}

const Value* Value::find(std::string_view key) const {
  if (type_ != Type::kObject) return nullptr;
  for (const auto& member : object_)
    if (member.first == key) return &member.second;
  return nullptr;
}

namespace {

constexpr int kMaxDepth = 512;

// Length of the well-formed UTF-8 sequence starting at s[0] (a byte >= 0x80), or 0 when it is
// malformed (bad lead byte, truncated, overlong, surrogate, or above U+10FFFF).
size_t utf8_sequence_length(const unsigned char* s, size_t available) {
  const unsigned char c = s[0];
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;  // no overlongs
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;  // <= U+10FFFF
  } else {
    return 0;
  }
  if (available < len) return 0;
  if (s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < len; ++i)
    if ((s[i] & 0xC0) != 0x80) return 0;
  return len;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<Value> parse_document() {
    // RFC 8259 §8.1 lets parsers ignore a leading byte order mark; editors on Windows add one.
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
    skip_whitespace();
    Value root;
    if (!parse_value(root, 0)) return error();
    skip_whitespace();
    if (pos_ != text_.size()) {
      fail("unexpected trailing characters after the JSON value");
      return error();
    }
    return root;
  }

 private:
  // Records the first failure at the current position; returns false for chaining.
  bool fail(std::string what) { return fail_at(pos_, std::move(what)); }
  bool fail_at(size_t offset, std::string what) {
    if (error_what_.empty()) {
      error_offset_ = offset;
      error_what_ = std::move(what);
    }
    return false;
  }

  Error error() const {
    // Line and column are 1-based; the column counts bytes.
    size_t line = 1, line_start = 0;
    const size_t end = std::min(error_offset_, text_.size());
    for (size_t i = 0; i < end; ++i) {
      if (text_[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    return Error("line " + std::to_string(line) + ", column " +
                 std::to_string(end - line_start + 1) + ": " + error_what_);
  }

  std::string describe_current() const {
    if (pos_ >= text_.size()) return "end of input";
    const unsigned char c = static_cast<unsigned char>(text_[pos_]);
    if (c < 0x20 || c >= 0x7F) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "byte 0x%02X", c);
      return buf;
    }
    return std::string("'") + static_cast<char>(c) + "'";
  }

  void skip_whitespace() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  bool consume_literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) {
      return fail("invalid literal (expected \"" + std::string(word) + "\")");
    }
    pos_ += word.size();
    return true;
  }

  bool parse_value(Value& out, int depth) {
    if (pos_ >= text_.size()) return fail("unexpected end of input, expected a value");
    switch (text_[pos_]) {
      case '{': return parse_object(out, depth + 1);
      case '[': return parse_array(out, depth + 1);
      case '"': {
        std::string s;
        if (!parse_string(s)) return false;
        out = Value::make_string(std::move(s));
        return true;
      }
      case 't':
        if (!consume_literal("true")) return false;
        out = Value::make_bool(true);
        return true;
      case 'f':
        if (!consume_literal("false")) return false;
        out = Value::make_bool(false);
        return true;
      case 'n':
        if (!consume_literal("null")) return false;
        out = Value();
        return true;
      default: {
        const char c = text_[pos_];
        if (c == '-' || (c >= '0' && c <= '9')) return parse_number(out);
        return fail("unexpected " + describe_current() + ", expected a value");
      }
    }
  }

  bool parse_object(Value& out, int depth) {
    if (depth > kMaxDepth) return fail("nesting deeper than 512 levels");
    ++pos_;  // '{'
    Value::Object members;
    skip_whitespace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      out = Value::make_object(std::move(members));
      return true;
    }
    while (true) {
      skip_whitespace();
      if (pos_ >= text_.size() || text_[pos_] != '"')
        return fail("unexpected " + describe_current() + ", expected a string key");
      std::string key;
      if (!parse_string(key)) return false;
      skip_whitespace();
      if (pos_ >= text_.size() || text_[pos_] != ':')
        return fail("unexpected " + describe_current() + ", expected ':'");
      ++pos_;
      skip_whitespace();
      members.emplace_back(std::move(key), Value());
      if (!parse_value(members.back().second, depth)) return false;
      skip_whitespace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        break;
      }
      return fail("unexpected " + describe_current() + ", expected ',' or '}'");
    }
    out = Value::make_object(std::move(members));
    return true;
  }

  bool parse_array(Value& out, int depth) {
    if (depth > kMaxDepth) return fail("nesting deeper than 512 levels");
    ++pos_;  // '['
    Value::Array items;
    skip_whitespace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      out = Value::make_array(std::move(items));
      return true;
    }
    while (true) {
      skip_whitespace();
      items.emplace_back();
      if (!parse_value(items.back(), depth)) return false;
      skip_whitespace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        break;
      }
      return fail("unexpected " + describe_current() + ", expected ',' or ']'");
    }
    out = Value::make_array(std::move(items));
    return true;
  }

  // Reads 4 hex digits at pos_ into *unit.
  bool parse_hex4(uint32_t* unit) {
    if (text_.size() - pos_ < 4) return fail("truncated \\u escape");
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_ + i];
      uint32_t digit;
      if (c >= '0' && c <= '9')
        digit = c - '0';
      else if (c >= 'a' && c <= 'f')
        digit = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        digit = c - 'A' + 10;
      else
        return fail_at(pos_ + i, "invalid hex digit in \\u escape");
      value = value * 16 + digit;
    }
    pos_ += 4;
    *unit = value;
    return true;
  }

  // Parses "..." at pos_ into `out` (UTF-8), validating UTF-8 and escapes.
  bool parse_string(std::string& out) {
    const size_t start = pos_;
    ++pos_;  // opening quote
    while (true) {
      // Copy the longest run of ordinary bytes in one append.
      size_t run = pos_;
      while (run < text_.size()) {
        const unsigned char c = static_cast<unsigned char>(text_[run]);
        if (c == '"' || c == '\\' || c < 0x20) break;
        if (c < 0x80) {
          ++run;
          continue;
        }
        const size_t len = utf8_sequence_length(
            reinterpret_cast<const unsigned char*>(text_.data()) + run, text_.size() - run);
        if (len == 0) {
          out.append(text_.data() + pos_, run - pos_);
          pos_ = run;
          return fail("invalid UTF-8 in string");
        }
        run += len;
      }
      out.append(text_.data() + pos_, run - pos_);
      pos_ = run;
      if (pos_ >= text_.size()) return fail_at(start, "unterminated string");
      const unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return fail("unescaped control character " + describe_current() + " in string");
      // Backslash escape.
      ++pos_;
      if (pos_ >= text_.size()) return fail_at(start, "unterminated string");
      const char e = text_[pos_];
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          const size_t escape_start = pos_ - 1;
          ++pos_;
          uint32_t unit;
          if (!parse_hex4(&unit)) return false;
          if (unit >= 0xDC00 && unit <= 0xDFFF)
            return fail_at(escape_start, "unpaired low surrogate in \\u escape");
          if (unit >= 0xD800 && unit <= 0xDBFF) {
            if (text_.substr(pos_, 2) != "\\u")
              return fail_at(escape_start, "unpaired high surrogate in \\u escape");
            pos_ += 2;
            uint32_t low;
            if (!parse_hex4(&low)) return false;
            if (low < 0xDC00 || low > 0xDFFF)
              return fail_at(escape_start, "unpaired high surrogate in \\u escape");
            unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, unit);
          continue;  // pos_ already past the escape
        }
        default: return fail("invalid escape '\\" + std::string(1, e) + "'");
      }
      ++pos_;
    }
  }

  bool parse_number(Value& out) {
    const size_t start = pos_;
    const char* s = text_.data();
    const size_t n = text_.size();
    auto is_digit = [&](size_t i) { return i < n && s[i] >= '0' && s[i] <= '9'; };
    size_t i = pos_;
    if (s[i] == '-') ++i;
    if (!is_digit(i)) return fail_at(i, "expected a digit in number");
    if (s[i] == '0') {
      ++i;
      if (is_digit(i)) return fail_at(start, "leading zeros are not allowed in numbers");
    } else {
      while (is_digit(i)) ++i;
    }
    bool integral = true;
    if (i < n && s[i] == '.') {
      integral = false;
      ++i;
      if (!is_digit(i)) return fail_at(i, "expected a digit after '.'");
      while (is_digit(i)) ++i;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
      integral = false;
      ++i;
      if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
      if (!is_digit(i)) return fail_at(i, "expected a digit in exponent");
      while (is_digit(i)) ++i;
    }
    pos_ = i;
    const char* first = s + start;
    const char* last = s + i;
    if (integral) {
      int64_t value = 0;
      const auto [ptr, ec] = std::from_chars(first, last, value);
      if (ec == std::errc() && ptr == last) {
        out = Value::make_integer(value);
        return true;
      }
      // Too big for int64: keep it as a double.
    }
    double d = 0;
    const auto [ptr, ec] = std::from_chars(first, last, d);  // locale-independent
    if (ec == std::errc::result_out_of_range) {
      if (!underflows(first, last)) return fail_at(start, "number out of range");
      d = *first == '-' ? -0.0 : 0.0;
    } else if (ec != std::errc() || ptr != last) {
      return fail_at(start, "invalid number");
    }
    out = Value::make_number(d);
    return true;
  }

  // Whether an out-of-range decimal literal is tiny (rounds to zero) rather than huge: the
  // decimal exponent of its first non-zero digit, plus the e-exponent, is negative.
  static bool underflows(const char* first, const char* last) {
    const char* p = first;
    if (*p == '-') ++p;
    int64_t magnitude = -1;  // floor(log10(|mantissa|)) once the first non-zero digit is found
    bool nonzero = false;
    for (; p < last && *p >= '0' && *p <= '9'; ++p) {
      if (*p != '0') nonzero = true;
      if (nonzero) ++magnitude;
    }
    if (!nonzero && p < last && *p == '.') {
      ++p;
      magnitude = -1;
      for (; p < last && *p == '0'; ++p) --magnitude;
      nonzero = p < last && *p >= '1' && *p <= '9';
    }
    if (!nonzero) return true;  // zero never overflows
    while (p < last && *p != 'e' && *p != 'E') ++p;
    int64_t exponent = 0;
    if (p < last) {
      ++p;
      bool negative = false;
      if (*p == '+' || *p == '-') negative = *p++ == '-';
      for (; p < last && exponent < 1'000'000'000; ++p) exponent = exponent * 10 + (*p - '0');
      if (negative) exponent = -exponent;
    }
    return magnitude + exponent < 0;
  }

  std::string_view text_;
  size_t pos_ = 0;
  size_t error_offset_ = 0;
  std::string error_what_;
};

std::string found_description(const Value& value) {
  if (value.is_number() && !value.is_integer()) {
    std::ostringstream out;
    out.precision(17);
    out << "number " << value.as_double();
    return out.str();
  }
  return type_name(value.type());
}

}  // namespace

Result<Value> parse(std::string_view text) { return Parser(text).parse_document(); }

Result<Value> parse_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error("cannot read " + path + ": " + std::strerror(errno),
                 "check that the file exists and is readable");
  }
  std::string text;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size > 0) {
    text.resize(static_cast<size_t>(size));
    in.read(text.data(), size);
  }
  if (!in) return Error("cannot read " + path + ": read failed");
  auto parsed = parse(text);
  if (!parsed.ok()) {
    const Error& inner = parsed.error();
    return Error(path + ": " + inner.message(), inner.hint());
  }
  return parsed;
}

// ---- ObjectReader ----

namespace {
std::string prefix(const std::string& path) { return path.empty() ? "" : path + ": "; }
}  // namespace

Result<ObjectReader> ObjectReader::make(const Value& value, std::string path) {
  if (!value.is_object()) {
    return Error(prefix(path) + "expected an object, found " + type_name(value.type()));
  }
  return ObjectReader(&value, std::move(path));
}

std::string ObjectReader::child_path(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  std::string out = path_;
  out += '.';
  out += key;
  return out;
}

namespace {
Error missing(const ObjectReader& reader, std::string_view key) {
  return Error(prefix(reader.path()) + "missing required field \"" + std::string(key) + "\"");
}
Error wrong_type(const ObjectReader& reader, std::string_view key, const char* expected,
                 const Value& found) {
  return Error(reader.child_path(key) + ": expected " + expected + ", found " +
               found_description(found));
}

// An integer literal, or a number literal with an integral value that a double holds exactly
// (|x| <= 2^53), e.g. 4096.0 written by a Python float.
bool integral_value(const Value& v, int64_t* out) {
  if (v.is_integer()) {
    *out = v.as_int64();
    return true;
  }
  if (!v.is_number()) return false;
  const double d = v.as_double();
  if (std::trunc(d) != d || std::fabs(d) > 9007199254740992.0) return false;
  *out = static_cast<int64_t>(d);
  return true;
}
}  // namespace

Result<std::string> ObjectReader::get_string(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return missing(*this, key);
  if (!v->is_string()) return wrong_type(*this, key, "a string", *v);
  return v->as_string();
}

Result<int64_t> ObjectReader::get_int64(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return missing(*this, key);
  int64_t out;
  if (!integral_value(*v, &out)) return wrong_type(*this, key, "an integer", *v);
  return out;
}

Result<double> ObjectReader::get_double(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return missing(*this, key);
  if (!v->is_number()) return wrong_type(*this, key, "a number", *v);
  return v->as_double();
}

Result<bool> ObjectReader::get_bool(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return missing(*this, key);
  if (!v->is_bool()) return wrong_type(*this, key, "a boolean", *v);
  return v->as_bool();
}

Result<const Value*> ObjectReader::get_array(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return missing(*this, key);
  if (!v->is_array()) return wrong_type(*this, key, "an array", *v);
  return v;
}

Result<const Value*> ObjectReader::get_object(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return missing(*this, key);
  if (!v->is_object()) return wrong_type(*this, key, "an object", *v);
  return v;
}

Result<std::string> ObjectReader::get_string_or(std::string_view key, std::string fallback) const {
  const Value* v = find(key);
  if (!v || v->is_null()) return fallback;
  return get_string(key);
}

Result<int64_t> ObjectReader::get_int64_or(std::string_view key, int64_t fallback) const {
  const Value* v = find(key);
  if (!v || v->is_null()) return fallback;
  return get_int64(key);
}

Result<double> ObjectReader::get_double_or(std::string_view key, double fallback) const {
  const Value* v = find(key);
  if (!v || v->is_null()) return fallback;
  return get_double(key);
}

Result<bool> ObjectReader::get_bool_or(std::string_view key, bool fallback) const {
  const Value* v = find(key);
  if (!v || v->is_null()) return fallback;
  return get_bool(key);
}

}  // namespace aae::json
