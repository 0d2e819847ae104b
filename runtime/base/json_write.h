// A small JSON writer for the runtime (which may use nothing but the C++ standard library):
// the chat completion responses of the C API and the CLI server are built with it.
//
// Output is always valid RFC 8259 JSON text in UTF-8: strings escape '"', '\\' and every
// control character (U+0000..U+001F, as \n, \t, ... or \u00XX), keep other UTF-8 as is, and
// replace each byte of an ill-formed UTF-8 sequence with U+FFFD; non-finite numbers are written
// as null (JSON has no NaN or infinity).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aae::json {

// Appends `text` as a quoted JSON string.
void append_quoted(std::string& out, std::string_view text);
// `text` as a quoted JSON string.
std::string quote(std::string_view text);

// Builds one JSON value. Commas and the ':' after a key are placed automatically; the caller
// pairs begin_/end_ calls and writes key() before each member value inside an object.
//
//   Writer w;
//   w.begin_object().key("n").integer(1).key("tags").begin_array().string("a").end_array();
//   w.end_object();
//   std::string text = w.take();   // {"n":1,"tags":["a"]}
class Writer {
 public:
  Writer& begin_object();
  Writer& end_object();
  Writer& begin_array();
  Writer& end_array();
  Writer& key(std::string_view name);
  Writer& string(std::string_view text);
  Writer& integer(int64_t value);
  // Shortest text that reads back as the same double; non-finite values become null.
  Writer& number(double value);
  Writer& boolean(bool value);
  Writer& null();
  // Inserts already-serialised JSON text as one value (the caller vouches for it).
  Writer& raw(std::string_view json_text);

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void before_value();
  std::string out_;
  // One entry per open container: true until its first element is written.
  std::vector<bool> first_;
  bool after_key_ = false;
};

}  // namespace aae::json
