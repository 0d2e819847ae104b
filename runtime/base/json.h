// A small JSON reader for the runtime (which may use nothing but the C++ standard library).
// Parses RFC 8259 JSON into a tree of Values; objects keep their key order. Numbers keep
// both a double and, when the literal is an integer that fits, an exact int64.
//
// Writing JSON is the converter's job (it uses nlohmann-json); the runtime only reads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/base/status.h"

namespace aae::json {

enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

// "null", "boolean", "number", "string", "array", "object": for error messages.
const char* type_name(Type type);

class Value {
 public:
  using Array = std::vector<Value>;
  using Object = std::vector<std::pair<std::string, Value>>;

  Value() = default;  // null

  static Value make_bool(bool b);
  static Value make_number(double d);
  static Value make_integer(int64_t i);  // also sets the double
  static Value make_string(std::string s);
  static Value make_array(Array items);
  static Value make_object(Object members);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  // A number whose literal had no fraction/exponent and fits int64 (e.g. 3, -7; not 3.0).
  bool is_integer() const { return type_ == Type::kNumber && is_integer_; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  // Preconditions: the matching is_*() holds. (Callers check types and report errors first.)
  bool as_bool() const { return bool_; }
  double as_double() const { return number_; }
  int64_t as_int64() const { return integer_; }
  const std::string& as_string() const { return string_; }
  const Array& as_array() const { return array_; }
  const Object& as_object() const { return object_; }

  // Object member lookup (first match); nullptr when absent or when this is not an object.
  const Value* find(std::string_view key) const;

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  bool is_integer_ = false;
  double number_ = 0;
  int64_t integer_ = 0;
  std::string string_;
  Array array_;
  Object object_;
};

// Parses a whole document. Errors name the line and column ("line 3, column 14: expected ','");
// both are 1-based and the column counts bytes. Rejects trailing garbage, invalid escapes,
// unpaired surrogates, control characters and invalid UTF-8 in strings, leading zeros, numbers
// beyond double range (tiny ones round to 0), and nesting deeper than 512. A leading UTF-8
// byte order mark is skipped.
Result<Value> parse(std::string_view text);

// Reads and parses a file; errors name the file.
Result<Value> parse_file(const std::string& path);

// Typed access with JSON-path error messages, for readers of config files.
// `path` is the path of `object` itself (e.g. "records[3]"); errors look like
//   records[3].nbytes: expected an integer, found string
// A missing required key gives "records[3]: missing required field \"nbytes\"".
class ObjectReader {
 public:
  // Fails when `value` is not an object.
  static Result<ObjectReader> make(const Value& value, std::string path);

  const std::string& path() const { return path_; }
  std::string child_path(std::string_view key) const;
  bool has(std::string_view key) const { return object_->find(key) != nullptr; }
  const Value* find(std::string_view key) const { return object_->find(key); }

  Result<std::string> get_string(std::string_view key) const;
  // An integer literal, or a number with an integral value up to 2^53 (4096.0 from a Python
  // float); anything else is "expected an integer, found number 2.5".
  Result<int64_t> get_int64(std::string_view key) const;
  Result<double> get_double(std::string_view key) const;
  Result<bool> get_bool(std::string_view key) const;
  Result<const Value*> get_array(std::string_view key) const;
  Result<const Value*> get_object(std::string_view key) const;

  // Optional variants: the fallback when the key is absent (or null); an error on a wrong type.
  Result<std::string> get_string_or(std::string_view key, std::string fallback) const;
  Result<int64_t> get_int64_or(std::string_view key, int64_t fallback) const;
  Result<double> get_double_or(std::string_view key, double fallback) const;
  Result<bool> get_bool_or(std::string_view key, bool fallback) const;

 private:
  ObjectReader(const Value* object, std::string path) : object_(object), path_(std::move(path)) {}
  const Value* object_;
  std::string path_;
};

}  // namespace aae::json
