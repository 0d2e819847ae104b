// Problems found while checking a package config: every one is collected (nothing stops at the
// first), each tied to the JSON path it is about, so a user fixes the whole file in one pass.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "runtime/base/status.h"

namespace aae {

enum class Severity {
  kError,    // packaging cannot proceed
  kWarning,  // probably a mistake (an unknown key, an unused entry); packaging proceeds
  kNote,     // accepted but has no effect here (MLC-only settings)
};

const char* severity_name(Severity severity);  // "error", "warning", "note"

struct Diagnostic {
  Severity severity = Severity::kError;
  std::string json_path;  // JSONPath into the config, e.g. "$.model_list[1].model_id"; "$" = root
  std::string message;    // lowercase, says what was expected and what was found
  std::string hint;       // what to do about it; may be empty

  // "error: $.model_list[1].model_id: ... (hint: ...)" on one line.
  std::string to_string() const;
};

class Diagnostics {
 public:
  void add(Severity severity, std::string json_path, std::string message, std::string hint = {});
  void error(std::string json_path, std::string message, std::string hint = {}) {
    add(Severity::kError, std::move(json_path), std::move(message), std::move(hint));
  }
  void warning(std::string json_path, std::string message, std::string hint = {}) {
    add(Severity::kWarning, std::move(json_path), std::move(message), std::move(hint));
  }
  void note(std::string json_path, std::string message, std::string hint = {}) {
    add(Severity::kNote, std::move(json_path), std::move(message), std::move(hint));
  }

  // In the order found (the order of the file, root keys first).
  const std::vector<Diagnostic>& items() const { return items_; }
  size_t count(Severity severity) const;
  bool has_errors() const { return count(Severity::kError) > 0; }

  // One Error listing every error diagnostic as a cause: "<file_label>: N problems in the package
  // config", code kInvalidArgument. Warnings and notes are left out (callers print them).
  Error to_error(const std::string& file_label) const;

 private:
  std::vector<Diagnostic> items_;
};

// JSONPath helpers: `base` + ".key" for identifier-like keys, else `base` + "[\"key\"]";
// `base` + "[index]".
std::string json_path_key(const std::string& base, const std::string& key);
std::string json_path_index(const std::string& base, size_t index);

}  // namespace aae
