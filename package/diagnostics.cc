#include "package/diagnostics.h"

#include <cctype>

#include <fmt/format.h>

namespace aae {

const char* severity_name(Severity severity) {
  switch (severity) {
    case Severity::kError: return "error";
    case Severity::kWarning: return "warning";
    case Severity::kNote: return "note";
  }
  return "error";
}

std::string Diagnostic::to_string() const {
  std::string out = severity_name(severity);
  out += ": ";
  if (!json_path.empty()) out += json_path + ": ";
  out += message;
  if (!hint.empty()) out += " (hint: " + hint + ")";
  return out;
}

void Diagnostics::add(Severity severity, std::string json_path, std::string message,
                      std::string hint) {
  items_.push_back({severity, std::move(json_path), std::move(message), std::move(hint)});
}

size_t Diagnostics::count(Severity severity) const {
  size_t n = 0;
  for (const Diagnostic& d : items_) n += d.severity == severity ? 1 : 0;
  return n;
}

Error Diagnostics::to_error(const std::string& file_label) const {
  const size_t errors = count(Severity::kError);
  Error error(fmt::format("{}: {} problem{} in the package config", file_label, errors,
                          errors == 1 ? "" : "s"),
              "fix every problem listed, then run again (warnings alone do not stop packaging)");
  for (const Diagnostic& d : items_) {
    if (d.severity != Severity::kError) continue;
    std::string line = d.json_path.empty() ? d.message : d.json_path + ": " + d.message;
    if (!d.hint.empty()) line += " (hint: " + d.hint + ")";
    error.add_cause(std::move(line));
  }
  error.with_code(ErrorCode::kInvalidArgument);
  return error;
}

std::string json_path_key(const std::string& base, const std::string& key) {
  bool identifier = !key.empty() && !std::isdigit(static_cast<unsigned char>(key[0]));
  for (char c : key) {
    identifier = identifier && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  }
  if (identifier) return base + "." + key;
  std::string quoted;
  for (char c : key) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return base + "[\"" + quoted + "\"]";
}

std::string json_path_index(const std::string& base, size_t index) {
  return fmt::format("{}[{}]", base, index);
}

}  // namespace aae
