// Which model libraries a compiled file holds: the descriptors and metadata found in a .o, .a
// or .so of any device, read with compiler/object_reader.h (no nm, nothing is run). Used by
// `sphere_aae inspect LIB`, by build_system_lib and by packaging checks.
#pragma once

#include <string>
#include <vector>

#include "compiler/object_reader.h"
#include "runtime/base/status.h"

namespace aae {

struct ModelLibEntry {
  std::string model_lib;      // the symbol prefix (no Mach-O '_')
  std::string member;         // archive member name, or "" for a plain .o/.so
  std::string object_label;   // "<file>" or "<file>(<member>)", for messages
  ObjectFormat format = ObjectFormat::kElf;
  std::string architecture;   // "x86_64", "aarch64"
  bool shared_object = false;
  std::string metadata_json;  // bytes of <model_lib>___aae_model_metadata, without the NUL
};

// "ELF" or "Mach-O".
const char* object_format_name(ObjectFormat format);

// Model libraries of the objects, in object order then symbol order: every defined global
// "<name>___aae_model_lib" descriptor. Errors: a descriptor without its metadata symbol, or
// metadata that is not NUL-terminated inside its section.
Result<std::vector<ModelLibEntry>> model_libs_in(const std::vector<ObjectFile>& objects);

// Reads `path` (.o, .a or .so; ELF or Mach-O) and lists its model libraries.
Result<std::vector<ModelLibEntry>> list_model_libs(const std::string& path);

// Undefined symbols of the objects that no object among them defines (what a final link must
// supply), sorted, without duplicates. Names as stored (Mach-O keeps its '_').
std::vector<std::string> unresolved_imports(const std::vector<ObjectFile>& objects);

// Ok when every name in `expected` is in `path`; else an error naming the missing ones and
// listing what the file holds.
Status check_model_libs(const std::string& path, const std::vector<std::string>& expected);

}  // namespace aae
