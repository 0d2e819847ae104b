#include "compiler/model_lib_archive.h"

#include <algorithm>

#include <fmt/format.h>

namespace aae {
namespace {

constexpr std::string_view kDescriptorSuffix = "___aae_model_lib";
constexpr std::string_view kMetadataSuffix = "___aae_model_metadata";

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// object_reader labels archive members "<archive>(<member>)".
std::string member_of(const ObjectFile& object, const std::string& file_label) {
  const std::string& label = object.label;
  if (label.size() > file_label.size() + 2 && label.compare(0, file_label.size(), file_label) == 0 &&
      label[file_label.size()] == '(' && label.back() == ')') {
    return label.substr(file_label.size() + 1, label.size() - file_label.size() - 2);
  }
  return "";
}

}  // namespace

const char* object_format_name(ObjectFormat format) {
  return format == ObjectFormat::kMachO ? "Mach-O" : "ELF";
}

Result<std::vector<ModelLibEntry>> model_libs_in(const std::vector<ObjectFile>& objects,
                                                 const std::string& file_label) {
  std::vector<ModelLibEntry> entries;
  for (const ObjectFile& object : objects) {
    const bool mach_o = object.format == ObjectFormat::kMachO;
    for (const std::string& symbol : object.defined_globals()) {
      if (!ends_with(symbol, kDescriptorSuffix)) continue;
      std::string_view name = symbol;
      if (mach_o && !name.empty() && name[0] == '_') name.remove_prefix(1);
      name.remove_suffix(kDescriptorSuffix.size());
      if (name.empty()) continue;
      ModelLibEntry entry;
      entry.model_lib = std::string(name);
      entry.member = member_of(object, file_label);
      entry.object_label = object.label;
      entry.format = object.format;
      entry.architecture = object.architecture;
      entry.shared_object = object.shared_object;
      const std::string metadata_symbol =
          (mach_o ? "_" : "") + entry.model_lib + std::string(kMetadataSuffix);
      auto bytes = symbol_bytes(object, metadata_symbol);
      if (!bytes.ok()) {
        return Error(bytes.error())
            .context(fmt::format("{}: model library \"{}\" has a descriptor but no readable "
                                 "metadata", object.label, entry.model_lib),
                     "the object was not written by sphere_aae compile, or it is damaged");
      }
      const size_t nul = bytes->find('\0');
      if (nul == std::string::npos) {
        return Error(fmt::format("{}: metadata of \"{}\" is not NUL-terminated", object.label,
                                 entry.model_lib),
                     "the object is damaged; compile it again");
      }
      entry.metadata_json = bytes->substr(0, nul);
      entries.push_back(std::move(entry));
    }
  }
  return entries;
}

Result<std::vector<ModelLibEntry>> model_libs_in(const std::vector<ObjectFile>& objects) {
  return model_libs_in(objects, "");
}

Result<std::vector<ModelLibEntry>> list_model_libs(const std::string& path) {
  AAE_ASSIGN_OR_RETURN(std::vector<ObjectFile> objects, read_objects(path));
  return model_libs_in(objects, path);
}

std::vector<std::string> unresolved_imports(const std::vector<ObjectFile>& objects) {
  std::vector<std::string> defined, undefined;
  for (const ObjectFile& object : objects) {
    for (const ObjectSymbol& symbol : object.symbols) {
      if (symbol.defined && symbol.global) defined.push_back(symbol.name);
    }
  }
  std::sort(defined.begin(), defined.end());
  for (const ObjectFile& object : objects) {
    for (const std::string& name : object.undefined()) {
      if (!std::binary_search(defined.begin(), defined.end(), name)) undefined.push_back(name);
    }
  }
  std::sort(undefined.begin(), undefined.end());
  undefined.erase(std::unique(undefined.begin(), undefined.end()), undefined.end());
  return undefined;
}

Status check_model_libs(const std::string& path, const std::vector<std::string>& expected) {
  AAE_ASSIGN_OR_RETURN(std::vector<ModelLibEntry> entries, list_model_libs(path));
  std::vector<std::string> missing, found;
  for (const auto& entry : entries) {
    found.push_back(fmt::format("{} ({} {}, {})", entry.model_lib,
                                object_format_name(entry.format), entry.architecture,
                                entry.object_label));
  }
  for (const auto& name : expected) {
    const bool present = std::any_of(entries.begin(), entries.end(),
                                     [&](const ModelLibEntry& e) { return e.model_lib == name; });
    if (!present) missing.push_back(name);
  }
  if (missing.empty()) return ok_status();
  Error error(fmt::format("{}: {} model librar{} missing: {}", path, missing.size(),
                          missing.size() == 1 ? "y is" : "ies are", fmt::join(missing, ", ")),
              "compile the missing models for this device and rebuild the library "
              "(sphere_aae compile, then the system library)");
  if (found.empty()) {
    error.add_cause("the file holds no model library");
  } else {
    error.add_cause(fmt::format("the file holds: {}", fmt::join(found, "; ")));
  }
  return error;
}

}  // namespace aae
