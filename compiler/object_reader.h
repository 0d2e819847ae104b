// Reads compiled model libraries without any external tool: ELF64 relocatable objects and
// shared objects (x86_64, aarch64), Mach-O 64 objects (x86_64, arm64), and ar archives of them
// (GNU names with a "//" long-name table, BSD/darwin "#1/NN" names; symbol tables "/",
// "/SYM64/", "__.SYMDEF*" are optional and skipped). Only little-endian files are accepted.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/status.h"

namespace aae {

enum class ObjectFormat { kElf, kMachO };

struct ObjectSymbol {
  std::string name;     // as stored: Mach-O names keep their leading '_'
  bool defined = false;
  bool global = false;  // ELF GLOBAL/WEAK binding; Mach-O N_EXT
  bool weak = false;
  bool hidden = false;  // ELF STV_HIDDEN/STV_INTERNAL; Mach-O N_PEXT (private extern)
  uint32_t section = 0;  // ELF section index; Mach-O 1-based n_sect; 0 when undefined
  uint64_t value = 0;    // ELF st_value (offset in section for objects, address for .so);
                         // Mach-O n_value (an address)
  uint64_t size = 0;     // ELF st_size; 0 on Mach-O (nlist has no size)
};

struct ObjectSection {
  std::string name;      // ELF ".rodata"; Mach-O "__TEXT,__const"
  uint64_t address = 0;  // sh_addr / addr
  uint64_t size = 0;
  uint64_t file_offset = 0;
  bool zero_fill = false;  // SHT_NOBITS / S_ZEROFILL: no bytes in the file
};

struct ObjectFile {
  std::string label;          // "<file>" or "<archive>(<member>)", for messages
  ObjectFormat format = ObjectFormat::kElf;
  std::string architecture;   // "x86_64", "aarch64" (Mach-O arm64 too) or "unknown(<n>)"
  bool shared_object = false; // ELF ET_DYN
  std::vector<ObjectSymbol> symbols;  // no section/file symbols, no Mach-O debug (stab) entries
  std::vector<ObjectSection> sections;  // indexed like ObjectSymbol::section (Mach-O: n_sect-1)
  std::string bytes;          // the whole object, owned

  std::vector<std::string> defined_globals() const;
  // Defined global symbols that are not hidden: what the object exports to a final link.
  std::vector<std::string> exported() const;
  std::vector<std::string> undefined() const;
};

// One object (ELF or Mach-O) from its bytes. `label` names it in errors.
Result<ObjectFile> parse_object(std::string bytes, const std::string& label);

// Every object in an ar archive (members that are neither ELF nor Mach-O are an error naming
// the member), or the single object when `bytes` is an object.
Result<std::vector<ObjectFile>> parse_objects(std::string_view bytes, const std::string& label);

// Reads a file from disk and parses it as above.
Result<std::vector<ObjectFile>> read_objects(const std::string& path);

// The bytes of the defined symbol `name` (ELF: st_size bytes at the symbol; Mach-O has no
// sizes, so up to the next symbol's address in the same section, or the section's end).
// Errors: no such defined symbol (the message lists how many symbols there are), a symbol in a
// zero-fill section, or bounds outside the file.
Result<std::string> symbol_bytes(const ObjectFile& object, std::string_view name);

// Finds `name` among the objects and returns its bytes; errors list the objects searched.
Result<std::string> find_symbol_bytes(const std::vector<ObjectFile>& objects,
                                      std::string_view name);

}  // namespace aae
