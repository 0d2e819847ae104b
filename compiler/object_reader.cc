#include "compiler/object_reader.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "runtime/base/file_util.h"

namespace aae {
namespace {

constexpr uint16_t kElfMachineX86_64 = 62;
constexpr uint16_t kElfMachineAarch64 = 183;
constexpr uint32_t kMachOMagic64 = 0xfeedfacf;
constexpr uint32_t kMachOCpuX86_64 = 0x01000007;
constexpr uint32_t kMachOCpuArm64 = 0x0100000c;

// Bounds-checked little-endian reads over an object's bytes.
class Reader {
 public:
  Reader(std::string_view bytes, const std::string& label) : bytes_(bytes), label_(label) {}
  template <typename T>
  Result<T> get(uint64_t offset) const {
    if (offset > bytes_.size() || bytes_.size() - offset < sizeof(T)) {
      return Error(fmt::format("{}: truncated: reading {} bytes at offset {} of {}", label_,
                               sizeof(T), offset, bytes_.size()));
    }
    T value;
    std::memcpy(&value, bytes_.data() + offset, sizeof(T));
    return value;
  }
  Result<std::string_view> span(uint64_t offset, uint64_t size) const {
    if (offset > bytes_.size() || bytes_.size() - offset < size) {
      return Error(fmt::format("{}: truncated: {} bytes at offset {} run past the end ({})",
                               label_, size, offset, bytes_.size()));
    }
    return bytes_.substr(offset, size);
  }
  // NUL-terminated string at `offset` within [table, table + table_size).
  std::string c_string(uint64_t table, uint64_t table_size, uint64_t offset) const {
    if (offset >= table_size || table + table_size > bytes_.size()) return {};
    const char* start = bytes_.data() + table + offset;
    return std::string(start, strnlen(start, table_size - offset));
  }

 private:
  std::string_view bytes_;
  const std::string& label_;
};

std::string arch_name(uint32_t code, bool macho) {
  if (!macho && code == kElfMachineX86_64) return "x86_64";
  if (!macho && code == kElfMachineAarch64) return "aarch64";
  if (macho && code == kMachOCpuX86_64) return "x86_64";
  if (macho && code == kMachOCpuArm64) return "aarch64";
  return fmt::format("unknown({})", code);
}

Status parse_elf(ObjectFile& obj) {
  Reader r(obj.bytes, obj.label);
  if (obj.bytes[4] != 2 || obj.bytes[5] != 1) {
    return Error(obj.label + ": only 64-bit little-endian ELF is supported");
  }
  AAE_ASSIGN_OR_RETURN(uint16_t type, r.get<uint16_t>(16));
  AAE_ASSIGN_OR_RETURN(uint16_t machine, r.get<uint16_t>(18));
  AAE_ASSIGN_OR_RETURN(uint64_t shoff, r.get<uint64_t>(0x28));
  AAE_ASSIGN_OR_RETURN(uint16_t shentsize, r.get<uint16_t>(0x3a));
  AAE_ASSIGN_OR_RETURN(uint16_t shnum, r.get<uint16_t>(0x3c));
  AAE_ASSIGN_OR_RETURN(uint16_t shstrndx, r.get<uint16_t>(0x3e));
  obj.architecture = arch_name(machine, false);
  obj.shared_object = type == 3;
  if (shentsize != 64) return Error(obj.label + ": unexpected ELF section header size");
  struct Raw {
    uint32_t name, type, link;
    uint64_t addr, offset, size, entsize;
  };
  std::vector<Raw> raw(shnum);
  for (uint16_t i = 0; i < shnum; ++i) {
    const uint64_t h = shoff + uint64_t{i} * 64;
    AAE_ASSIGN_OR_RETURN(raw[i].name, r.get<uint32_t>(h));
    AAE_ASSIGN_OR_RETURN(raw[i].type, r.get<uint32_t>(h + 4));
    AAE_ASSIGN_OR_RETURN(raw[i].addr, r.get<uint64_t>(h + 16));
    AAE_ASSIGN_OR_RETURN(raw[i].offset, r.get<uint64_t>(h + 24));
    AAE_ASSIGN_OR_RETURN(raw[i].size, r.get<uint64_t>(h + 32));
    AAE_ASSIGN_OR_RETURN(raw[i].link, r.get<uint32_t>(h + 40));
    AAE_ASSIGN_OR_RETURN(raw[i].entsize, r.get<uint64_t>(h + 56));
  }
  const bool has_names = shstrndx < shnum;
  for (const Raw& s : raw) {
    ObjectSection sec;
    if (has_names) sec.name = r.c_string(raw[shstrndx].offset, raw[shstrndx].size, s.name);
    sec.address = s.addr;
    sec.size = s.size;
    sec.file_offset = s.offset;
    sec.zero_fill = s.type == 8;  // SHT_NOBITS
    obj.sections.push_back(std::move(sec));
  }
  // The full symbol table when present (objects, unstripped .so), else the dynamic one.
  const Raw* symtab = nullptr;
  for (const Raw& s : raw) {
    if (s.type == 2) symtab = &s;  // SHT_SYMTAB
  }
  if (symtab == nullptr) {
    for (const Raw& s : raw) {
      if (s.type == 11) symtab = &s;  // SHT_DYNSYM
    }
  }
  if (symtab == nullptr) return ok_status();
  if (symtab->entsize != 24 || symtab->link >= shnum) {
    return Error(obj.label + ": malformed ELF symbol table");
  }
  const Raw& strtab = raw[symtab->link];
  for (uint64_t i = 1; i < symtab->size / 24; ++i) {  // entry 0 is the null symbol
    const uint64_t e = symtab->offset + i * 24;
    AAE_ASSIGN_OR_RETURN(uint32_t name, r.get<uint32_t>(e));
    AAE_ASSIGN_OR_RETURN(uint8_t info, r.get<uint8_t>(e + 4));
    AAE_ASSIGN_OR_RETURN(uint8_t other, r.get<uint8_t>(e + 5));
    AAE_ASSIGN_OR_RETURN(uint16_t shndx, r.get<uint16_t>(e + 6));
    AAE_ASSIGN_OR_RETURN(uint64_t value, r.get<uint64_t>(e + 8));
    AAE_ASSIGN_OR_RETURN(uint64_t size, r.get<uint64_t>(e + 16));
    const int sym_type = info & 0xf, bind = info >> 4;
    if (sym_type == 3 || sym_type == 4) continue;  // STT_SECTION, STT_FILE
    ObjectSymbol sym;
    sym.name = r.c_string(strtab.offset, strtab.size, name);
    if (sym.name.empty()) continue;
    sym.defined = shndx != 0;
    sym.global = bind == 1 || bind == 2;
    sym.weak = bind == 2;
    sym.hidden = (other & 3) == 1 || (other & 3) == 2;  // STV_INTERNAL, STV_HIDDEN
    sym.section = shndx;
    sym.value = value;
    sym.size = size;
    obj.symbols.push_back(std::move(sym));
  }
  return ok_status();
}

Status parse_macho(ObjectFile& obj) {
  Reader r(obj.bytes, obj.label);
  AAE_ASSIGN_OR_RETURN(uint32_t cputype, r.get<uint32_t>(4));
  AAE_ASSIGN_OR_RETURN(uint32_t ncmds, r.get<uint32_t>(16));
  obj.architecture = arch_name(cputype, true);
  uint64_t cmd_offset = 32;
  uint32_t symoff = 0, nsyms = 0, stroff = 0, strsize = 0;
  bool have_symtab = false;
  for (uint32_t c = 0; c < ncmds; ++c) {
    AAE_ASSIGN_OR_RETURN(uint32_t cmd, r.get<uint32_t>(cmd_offset));
    AAE_ASSIGN_OR_RETURN(uint32_t cmdsize, r.get<uint32_t>(cmd_offset + 4));
    if (cmdsize < 8) return Error(obj.label + ": malformed Mach-O load command");
    if (cmd == 0x19) {  // LC_SEGMENT_64
      AAE_ASSIGN_OR_RETURN(uint32_t nsects, r.get<uint32_t>(cmd_offset + 64));
      for (uint32_t s = 0; s < nsects; ++s) {
        const uint64_t h = cmd_offset + 72 + uint64_t{s} * 80;
        AAE_ASSIGN_OR_RETURN(std::string_view sectname, r.span(h, 16));
        AAE_ASSIGN_OR_RETURN(std::string_view segname, r.span(h + 16, 16));
        ObjectSection sec;
        sec.name = std::string(segname.data(), strnlen(segname.data(), 16)) + "," +
                   std::string(sectname.data(), strnlen(sectname.data(), 16));
        AAE_ASSIGN_OR_RETURN(sec.address, r.get<uint64_t>(h + 32));
        AAE_ASSIGN_OR_RETURN(sec.size, r.get<uint64_t>(h + 40));
        AAE_ASSIGN_OR_RETURN(uint32_t offset, r.get<uint32_t>(h + 48));
        AAE_ASSIGN_OR_RETURN(uint32_t flags, r.get<uint32_t>(h + 64));
        sec.file_offset = offset;
        const uint32_t kind = flags & 0xff;
        sec.zero_fill = kind == 0x1 || kind == 0xc || kind == 0x12;  // ZEROFILL, GB_, TLV_
        obj.sections.push_back(std::move(sec));
      }
    } else if (cmd == 0x2) {  // LC_SYMTAB
      AAE_ASSIGN_OR_RETURN(symoff, r.get<uint32_t>(cmd_offset + 8));
      AAE_ASSIGN_OR_RETURN(nsyms, r.get<uint32_t>(cmd_offset + 12));
      AAE_ASSIGN_OR_RETURN(stroff, r.get<uint32_t>(cmd_offset + 16));
      AAE_ASSIGN_OR_RETURN(strsize, r.get<uint32_t>(cmd_offset + 20));
      have_symtab = true;
    }
    cmd_offset += cmdsize;
  }
  if (!have_symtab) return ok_status();
  for (uint32_t i = 0; i < nsyms; ++i) {
    const uint64_t e = symoff + uint64_t{i} * 16;
    AAE_ASSIGN_OR_RETURN(uint32_t strx, r.get<uint32_t>(e));
    AAE_ASSIGN_OR_RETURN(uint8_t type, r.get<uint8_t>(e + 4));
    AAE_ASSIGN_OR_RETURN(uint8_t sect, r.get<uint8_t>(e + 5));
    AAE_ASSIGN_OR_RETURN(uint16_t desc, r.get<uint16_t>(e + 6));
    AAE_ASSIGN_OR_RETURN(uint64_t value, r.get<uint64_t>(e + 8));
    if (type & 0xe0) continue;  // N_STAB debug entries
    ObjectSymbol sym;
    sym.name = r.c_string(stroff, strsize, strx);
    if (sym.name.empty()) continue;
    const int kind = type & 0x0e;
    sym.defined = kind == 0xe || kind == 0x2 || (kind == 0 && value != 0);  // SECT, ABS, common
    sym.global = (type & 0x01) != 0;
    sym.weak = (desc & 0x0080) != 0;  // N_WEAK_DEF
    sym.hidden = (type & 0x10) != 0;  // N_PEXT
    sym.section = kind == 0xe ? sect : 0;
    sym.value = value;
    obj.symbols.push_back(std::move(sym));
  }
  return ok_status();
}

bool is_elf(std::string_view b) { return b.size() >= 64 && b.substr(0, 4) == "\x7f" "ELF"; }
bool is_macho(std::string_view b) {
  uint32_t magic = 0;
  if (b.size() < 32) return false;
  std::memcpy(&magic, b.data(), 4);
  return magic == kMachOMagic64;
}

std::string trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.remove_suffix(1);
  return std::string(s);
}

Result<std::vector<ObjectFile>> parse_archive(std::string_view bytes, const std::string& label) {
  std::vector<ObjectFile> out;
  std::string_view long_names;
  uint64_t pos = 8;
  while (pos + 60 <= bytes.size()) {
    const std::string_view header = bytes.substr(pos, 60);
    if (header.substr(58, 2) != "`\n") {
      return Error(fmt::format("{}: bad archive member header at offset {}", label, pos));
    }
    std::string name = trim_right(header.substr(0, 16));
    const std::string size_text = trim_right(header.substr(48, 10));
    uint64_t size = 0;
    for (char c : size_text) {
      if (c < '0' || c > '9') {
        return Error(fmt::format("{}: bad member size \"{}\" at offset {}", label, size_text, pos));
      }
      size = size * 10 + static_cast<uint64_t>(c - '0');
    }
    uint64_t data = pos + 60;
    if (data + size > bytes.size()) {
      return Error(fmt::format("{}: member at offset {} runs past the end", label, pos));
    }
    uint64_t data_size = size;
    if (name.rfind("#1/", 0) == 0) {  // BSD: the name follows the header, counted in size
      const uint64_t name_len = std::strtoull(name.c_str() + 3, nullptr, 10);
      if (name_len > size) return Error(fmt::format("{}: bad BSD member name length", label));
      name = trim_right(bytes.substr(data, name_len));
      data += name_len;
      data_size -= name_len;
    } else if (name == "//") {
      long_names = bytes.substr(data, size);
      name.clear();
    } else if (name.size() > 1 && name[0] == '/' && name[1] >= '0' && name[1] <= '9') {
      const uint64_t off = std::strtoull(name.c_str() + 1, nullptr, 10);
      if (off >= long_names.size()) return Error(fmt::format("{}: bad long member name", label));
      const std::string_view rest = long_names.substr(off);
      name = std::string(rest.substr(0, std::min(rest.find("/\n"), rest.find('\n'))));
    } else if (!name.empty() && name.back() == '/' && name != "/") {
      name.pop_back();  // GNU short name "foo.o/"
    }
    const bool symbol_table = name == "/" || name == "/SYM64/" || name == "/SYM64" ||
                              name.rfind("__.SYMDEF", 0) == 0;
    if (!name.empty() && !symbol_table) {
      const std::string member_label = fmt::format("{}({})", label, name);
      AAE_ASSIGN_OR_RETURN(ObjectFile obj,
                           parse_object(std::string(bytes.substr(data, data_size)), member_label));
      out.push_back(std::move(obj));
    }
    pos = pos + 60 + size + (size & 1);
  }
  return out;
}

}  // namespace

std::vector<std::string> ObjectFile::defined_globals() const {
  std::vector<std::string> names;
  for (const auto& s : symbols) {
    if (s.defined && s.global) names.push_back(s.name);
  }
  return names;
}

std::vector<std::string> ObjectFile::exported() const {
  std::vector<std::string> names;
  for (const auto& s : symbols) {
    if (s.defined && s.global && !s.hidden) names.push_back(s.name);
  }
  return names;
}

std::vector<std::string> ObjectFile::undefined() const {
  std::vector<std::string> names;
  for (const auto& s : symbols) {
    if (!s.defined) names.push_back(s.name);
  }
  return names;
}

Result<ObjectFile> parse_object(std::string bytes, const std::string& label) {
  ObjectFile obj;
  obj.label = label;
  const bool elf = is_elf(bytes), macho = is_macho(bytes);
  obj.bytes = std::move(bytes);
  if (elf) {
    obj.format = ObjectFormat::kElf;
    AAE_TRY(parse_elf(obj));
  } else if (macho) {
    obj.format = ObjectFormat::kMachO;
    AAE_TRY(parse_macho(obj));
  } else {
    return Error(label + ": neither a 64-bit ELF nor a 64-bit Mach-O object",
                 "model libraries are ELF (linux, android) or Mach-O (iphone) objects");
  }
  return obj;
}

Result<std::vector<ObjectFile>> parse_objects(std::string_view bytes, const std::string& label) {
  if (bytes.substr(0, 8) == "!<arch>\n") return parse_archive(bytes, label);
  if (bytes.substr(0, 8) == "!<thin>\n") {
    return Error(label + ": thin archives are not supported", "create the archive without T");
  }
  AAE_ASSIGN_OR_RETURN(ObjectFile obj, parse_object(std::string(bytes), label));
  std::vector<ObjectFile> out;
  out.push_back(std::move(obj));
  return out;
}

Result<std::vector<ObjectFile>> read_objects(const std::string& path) {
  AAE_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
  return parse_objects(bytes, path);
}

Result<std::string> symbol_bytes(const ObjectFile& obj, std::string_view name) {
  const ObjectSymbol* sym = nullptr;
  for (const auto& s : obj.symbols) {
    if (s.defined && s.name == name) sym = &s;
  }
  if (sym == nullptr) {
    return Error(fmt::format("{}: no defined symbol \"{}\" (among {} symbols)", obj.label, name,
                             obj.symbols.size()));
  }
  uint64_t start = 0, size = 0;
  const ObjectSection* sec = nullptr;
  if (obj.format == ObjectFormat::kElf) {
    if (sym->section == 0 || sym->section >= obj.sections.size()) {
      return Error(fmt::format("{}: symbol \"{}\" is not in a section", obj.label, name));
    }
    sec = &obj.sections[sym->section];
    // Relocatable objects store offsets within the section; linked files store addresses.
    start = sec->file_offset + sym->value - (obj.shared_object ? sec->address : 0);
    size = sym->size;
  } else {
    if (sym->section == 0 || sym->section > obj.sections.size()) {
      return Error(fmt::format("{}: symbol \"{}\" is not in a section", obj.label, name));
    }
    sec = &obj.sections[sym->section - 1];
    uint64_t end = sec->address + sec->size;
    for (const auto& s : obj.symbols) {
      if (s.defined && s.section == sym->section && s.value > sym->value) end = std::min(end, s.value);
    }
    start = sec->file_offset + (sym->value - sec->address);
    size = end - sym->value;
  }
  if (sec->zero_fill) {
    return Error(fmt::format("{}: symbol \"{}\" is in zero-fill section {}", obj.label, name,
                             sec->name));
  }
  if (start > obj.bytes.size() || obj.bytes.size() - start < size) {
    return Error(fmt::format("{}: symbol \"{}\" ({} bytes at {}) lies outside the file", obj.label,
                             name, size, start));
  }
  return obj.bytes.substr(start, size);
}

Result<std::string> find_symbol_bytes(const std::vector<ObjectFile>& objects,
                                      std::string_view name) {
  std::vector<std::string> searched;
  for (const auto& obj : objects) {
    for (const auto& s : obj.symbols) {
      if (s.defined && s.name == name) return symbol_bytes(obj, name);
    }
    searched.push_back(obj.label);
  }
  return Error(fmt::format("no object defines \"{}\"", name),
               fmt::format("searched: {}", fmt::format("{}", fmt::join(searched, ", "))));
}

}  // namespace aae
