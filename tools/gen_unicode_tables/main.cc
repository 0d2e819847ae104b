// gen_unicode_tables: reads the Unicode Character Database text files (Debian package
// `unicode-data` installs them in /usr/share/unicode) and prints runtime/tokenizer/
// unicode_tables.inc, the sorted range tables behind runtime/tokenizer/unicode.h.
//
//   gen_unicode_tables /usr/share/unicode > runtime/tokenizer/unicode_tables.inc
//
// Inputs: UnicodeData.txt (categories, combining classes, decompositions, simple lowercase),
// PropList.txt (White_Space), DerivedNormalizationProps.txt (Full_Composition_Exclusion, and
// the version line), SpecialCasing.txt (unconditional lowercase mappings).
// The output depends only on the input files, so regenerating must reproduce the committed file.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr uint32_t kMaxCodePoint = 0x10FFFF;

// Same order as aae::unicode::Category.
const char* const kCategoryNames[] = {"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl",
                                      "No", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc",
                                      "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn"};
constexpr uint8_t kCn = 29;

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(line);
  while (std::getline(in, part, sep)) parts.push_back(part);
  if (!line.empty() && line.back() == sep) parts.push_back("");
  return parts;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::vector<uint32_t> parse_hex_list(const std::string& s) {
  std::vector<uint32_t> out;
  std::istringstream in(s);
  std::string word;
  while (in >> word) out.push_back(static_cast<uint32_t>(std::stoul(word, nullptr, 16)));
  return out;
}

bool read_lines(const std::string& path, std::vector<std::string>* lines) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << "gen_unicode_tables: cannot open " << path << "\n";
    return false;
  }
  std::string line;
  while (std::getline(in, line)) lines->push_back(line);
  return true;
}

// Data lines of a UCD property file: "XXXX(..YYYY)? ; Property # comment" -> callback.
template <typename F>
bool for_each_property_line(const std::string& path, F&& f) {
  std::vector<std::string> lines;
  if (!read_lines(path, &lines)) return false;
  for (const auto& raw : lines) {
    std::string line = raw.substr(0, raw.find('#'));
    if (trim(line).empty()) continue;
    auto fields = split(line, ';');
    if (fields.size() < 2) continue;
    std::string range = trim(fields[0]);
    uint32_t first, last;
    size_t dots = range.find("..");
    if (dots == std::string::npos) {
      first = last = static_cast<uint32_t>(std::stoul(range, nullptr, 16));
    } else {
      first = static_cast<uint32_t>(std::stoul(range.substr(0, dots), nullptr, 16));
      last = static_cast<uint32_t>(std::stoul(range.substr(dots + 2), nullptr, 16));
    }
    f(first, last, trim(fields[1]));
  }
  return true;
}

struct Decomp {
  bool compatibility = false;
  std::vector<uint32_t> mapping;
};

// Prints entries `per_line` at a time, each already formatted.
void print_entries(const std::vector<std::string>& entries, int per_line) {
  for (size_t i = 0; i < entries.size(); ++i) {
    std::cout << (i % per_line == 0 ? "    " : " ") << entries[i] << ",";
    if (i % per_line == static_cast<size_t>(per_line - 1) || i + 1 == entries.size()) {
      std::cout << "\n";
    }
  }
}

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%X", v);
  return buf;
}

void print_table(const char* type, const char* name, const char* count_name,
                 const std::vector<std::string>& entries, int per_line) {
  std::cout << "\nconst " << type << " " << name << "[] = {\n";
  print_entries(entries, per_line);
  std::cout << "};\n";
  if (count_name != nullptr) {
    std::cout << "const size_t " << count_name << " = sizeof(" << name << ") / sizeof(" << name
              << "[0]);\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: gen_unicode_tables <ucd-dir>   (e.g. /usr/share/unicode)\n";
    return 2;
  }
  const std::string dir = argv[1];

  // --- UnicodeData.txt: categories, combining classes, decompositions, simple lowercase.
  std::vector<std::string> lines;
  if (!read_lines(dir + "/UnicodeData.txt", &lines)) return 1;
  std::vector<uint8_t> category(kMaxCodePoint + 1, kCn);
  std::vector<uint8_t> ccc(kMaxCodePoint + 1, 0);
  std::map<uint32_t, Decomp> decomps;
  std::map<uint32_t, uint32_t> lower;
  uint32_t range_first = 0;
  for (const auto& line : lines) {
    if (trim(line).empty()) continue;
    auto f = split(line, ';');
    if (f.size() < 15) {
      std::cerr << "gen_unicode_tables: malformed UnicodeData.txt line: " << line << "\n";
      return 1;
    }
    uint32_t cp = static_cast<uint32_t>(std::stoul(f[0], nullptr, 16));
    uint8_t cat = kCn;
    for (uint8_t i = 0; i < 30; ++i) {
      if (f[2] == kCategoryNames[i]) cat = i;
    }
    if (cat == kCn) {
      std::cerr << "gen_unicode_tables: unknown category " << f[2] << "\n";
      return 1;
    }
    uint8_t cls = static_cast<uint8_t>(std::stoul(f[3]));
    // "<CJK Ideograph, First>" ... "<CJK Ideograph, Last>" pairs cover whole ranges.
    if (f[1].find(", First>") != std::string::npos) {
      range_first = cp;
      continue;
    }
    uint32_t first = f[1].find(", Last>") != std::string::npos ? range_first : cp;
    for (uint32_t c = first; c <= cp; ++c) {
      category[c] = cat;
      ccc[c] = cls;
    }
    if (!f[5].empty()) {
      Decomp d;
      std::string m = f[5];
      if (m[0] == '<') {
        d.compatibility = true;
        m = m.substr(m.find('>') + 1);
      }
      d.mapping = parse_hex_list(m);
      decomps[cp] = d;
    }
    if (!f[13].empty()) lower[cp] = static_cast<uint32_t>(std::stoul(f[13], nullptr, 16));
  }

  // --- PropList.txt: White_Space.
  std::vector<std::pair<uint32_t, uint32_t>> white_space;
  if (!for_each_property_line(dir + "/PropList.txt", [&](uint32_t a, uint32_t b,
                                                         const std::string& prop) {
        if (prop == "White_Space") white_space.push_back({a, b});
      })) {
    return 1;
  }

  // --- DerivedNormalizationProps.txt: Full_Composition_Exclusion.
  std::set<uint32_t> excluded;
  if (!for_each_property_line(dir + "/DerivedNormalizationProps.txt",
                              [&](uint32_t a, uint32_t b, const std::string& prop) {
                                if (prop != "Full_Composition_Exclusion") return;
                                for (uint32_t c = a; c <= b; ++c) excluded.insert(c);
                              })) {
    return 1;
  }
  std::string version = "unknown";
  {
    std::vector<std::string> dnp;
    read_lines(dir + "/DerivedNormalizationProps.txt", &dnp);
    const std::string prefix = "# DerivedNormalizationProps-";
    if (!dnp.empty() && dnp[0].rfind(prefix, 0) == 0) {
      version = dnp[0].substr(prefix.size());
      version = version.substr(0, version.find(".txt"));
    }
  }

  // --- SpecialCasing.txt: unconditional lowercase mappings (4 fields, no condition list).
  std::map<uint32_t, std::vector<uint32_t>> special_lower;
  {
    std::vector<std::string> sc;
    if (!read_lines(dir + "/SpecialCasing.txt", &sc)) return 1;
    for (const auto& raw : sc) {
      std::string line = raw.substr(0, raw.find('#'));
      if (trim(line).empty()) continue;
      auto f = split(line, ';');
      // code; lower; title; upper; [conditions;] -> an unconditional entry has an empty 5th field.
      if (f.size() < 5 || !trim(f[4]).empty()) continue;
      uint32_t cp = static_cast<uint32_t>(std::stoul(trim(f[0]), nullptr, 16));
      auto mapping = parse_hex_list(f[1]);
      if (mapping.size() > 1) special_lower[cp] = mapping;
    }
  }

  // --- Output.
  std::cout << "// GENERATED FILE - do not edit. Regenerate with:\n"
               "//   gen_unicode_tables /usr/share/unicode > runtime/tokenizer/unicode_tables.inc\n"
               "// (tools/gen_unicode_tables; input: the Unicode Character Database, Debian "
               "package unicode-data).\n"
               "#include \"runtime/tokenizer/unicode_tables.h\"\n\n"
               "namespace aae::unicode::tables {\n\n"
            << "const char kUnicodeVersion[] = \"" << version << "\";\n";

  std::vector<std::string> entries;
  for (uint32_t c = 0; c < 128; ++c) entries.push_back(std::to_string(category[c]));
  print_table("uint8_t", "kAsciiCategories", nullptr, entries, 16);

  entries.clear();
  for (uint32_t c = 0; c <= kMaxCodePoint;) {
    uint32_t e = c;
    while (e < kMaxCodePoint && category[e + 1] == category[c]) ++e;
    if (category[c] != kCn) {
      entries.push_back("{" + hex(c) + ", " + hex(e) + ", " + std::to_string(category[c]) + "}");
    }
    c = e + 1;
  }
  print_table("CategoryRange", "kCategoryRanges", "kCategoryRangeCount", entries, 4);

  entries.clear();
  for (auto [a, b] : white_space) entries.push_back("{" + hex(a) + ", " + hex(b) + "}");
  print_table("Range", "kWhiteSpaceRanges", "kWhiteSpaceRangeCount", entries, 6);

  entries.clear();
  for (uint32_t c = 0; c <= kMaxCodePoint;) {
    uint32_t e = c;
    while (e < kMaxCodePoint && ccc[e + 1] == ccc[c]) ++e;
    if (ccc[c] != 0) {
      entries.push_back("{" + hex(c) + ", " + hex(e) + ", " + std::to_string(ccc[c]) + "}");
    }
    c = e + 1;
  }
  print_table("CombiningClassRange", "kCombiningClassRanges", "kCombiningClassRangeCount",
              entries, 4);

  entries.clear();
  std::vector<std::string> data;
  for (const auto& [cp, d] : decomps) {
    entries.push_back("{" + hex(cp) + ", " + std::to_string(data.size()) + ", " +
                      std::to_string(d.mapping.size()) + ", " + (d.compatibility ? "1" : "0") +
                      "}");
    for (uint32_t m : d.mapping) data.push_back(hex(m));
  }
  if (data.size() > 0xFFFF) {
    std::cerr << "gen_unicode_tables: decomposition data exceeds 16-bit offsets\n";
    return 1;
  }
  print_table("Decomposition", "kDecompositions", "kDecompositionCount", entries, 4);
  print_table("uint32_t", "kDecompositionData", nullptr, data, 10);

  std::vector<std::pair<std::pair<uint32_t, uint32_t>, uint32_t>> comps;
  for (const auto& [cp, d] : decomps) {
    if (d.compatibility || d.mapping.size() != 2 || excluded.count(cp)) continue;
    comps.push_back({{d.mapping[0], d.mapping[1]}, cp});
  }
  std::sort(comps.begin(), comps.end());
  entries.clear();
  for (const auto& [pair, cp] : comps) {
    entries.push_back("{" + hex(pair.first) + ", " + hex(pair.second) + ", " + hex(cp) + "}");
  }
  print_table("Composition", "kCompositions", "kCompositionCount", entries, 4);

  entries.clear();
  for (auto [cp, l] : lower) {
    if (l != cp) entries.push_back("{" + hex(cp) + ", " + hex(l) + "}");
  }
  print_table("CaseMapping", "kLowercaseMappings", "kLowercaseMappingCount", entries, 6);

  entries.clear();
  for (const auto& [cp, m] : special_lower) {
    if (m.size() > 3) {
      std::cerr << "gen_unicode_tables: lowercase mapping longer than 3 for " << hex(cp) << "\n";
      return 1;
    }
    std::string e = "{" + hex(cp) + ", {";
    for (size_t i = 0; i < 3; ++i) e += (i ? ", " : "") + hex(i < m.size() ? m[i] : 0);
    e += "}, " + std::to_string(m.size()) + "}";
    entries.push_back(e);
  }
  print_table("SpecialLowercase", "kSpecialLowercases", "kSpecialLowercaseCount", entries, 2);

  std::cout << "\n}  // namespace aae::unicode::tables\n";
  return std::cout.good() ? 0 : 1;
}
