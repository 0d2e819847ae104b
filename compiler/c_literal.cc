#include "compiler/c_literal.h"

#include <cstdio>

namespace aae {
namespace {

void append_escaped(std::string& out, std::string_view piece) {
  char prev = 0;
  for (char ch : piece) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '"') {
      out += "\\\"";
    } else if (ch == '\\') {
      out += "\\\\";
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\t') {
      out += "\\t";
    } else if (ch == '?' && prev == '?') {
      out += "\\?";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", c);
      out += buf;
    } else {
      out += ch;
    }
    prev = ch;
  }
}

}  // namespace

std::string c_string_literal(std::string_view text, size_t chunk, std::string_view indent) {
  if (chunk == 0) chunk = 1;
  std::string out;
  if (text.empty()) return std::string(indent) + "\"\"";
  for (size_t pos = 0; pos < text.size(); pos += chunk) {
    if (pos) out += '\n';
    out += indent;
    out += '"';
    append_escaped(out, text.substr(pos, chunk));
    out += '"';
  }
  return out;
}

}  // namespace aae
