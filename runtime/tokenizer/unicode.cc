// Property lookups over the generated tables (unicode_tables.inc) and UTF-8 <-> UTF-32.
// Normalization lives in unicode_normalize.cc.
#include "runtime/tokenizer/unicode.h"

#include <algorithm>
#include <cctype>

#include "runtime/tokenizer/unicode_tables.h"
#include "runtime/tokenizer/utf8.h"

namespace aae::unicode {
namespace {

using tables::kCategoryRangeCount;
using tables::kCategoryRanges;

// Binary search: the range containing cp in a table of sorted, disjoint [first, last] ranges.
template <typename T>
const T* find_range(const T* table, size_t count, char32_t cp) {
  const T* end = table + count;
  const T* it = std::upper_bound(table, end, static_cast<uint32_t>(cp),
                                 [](uint32_t v, const T& r) { return v < r.first; });
  if (it == table) return nullptr;
  --it;
  return cp <= it->last ? it : nullptr;
}

Category lookup_category(char32_t cp) {
  const auto* r = find_range(kCategoryRanges, kCategoryRangeCount, cp);
  return r ? static_cast<Category>(r->category) : Category::kCn;
}

constexpr uint32_t kLetterMask = 0x1Fu;                  // Lu Ll Lt Lm Lo
constexpr uint32_t kMarkMask = 0x7u << 5;                // Mn Mc Me
constexpr uint32_t kNumberMask = 0x7u << 8;              // Nd Nl No
constexpr uint32_t kPunctuationMask = 0x7Fu << 11;      // Pc Pd Ps Pe Pi Pf Po
constexpr uint32_t kSymbolMask = 0xFu << 18;             // Sm Sc Sk So
constexpr uint32_t kSeparatorMask = 0x7u << 22;          // Zs Zl Zp
constexpr uint32_t kOtherMask = 0x1Fu << 25;             // Cc Cf Cs Co Cn
constexpr uint32_t kCasedLetterMask = 0x7u;              // Lu Ll Lt

bool in_mask(char32_t cp, uint32_t mask) {
  return (mask >> static_cast<int>(general_category(cp))) & 1u;
}

// Unicode loose matching (UAX44-LM3): ignore case, whitespace, '-' and '_'.
std::string loose(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == ' ' || c == '_' || c == '-' || c == '\t') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

struct NamedMask {
  const char* name;  // in loose form
  uint32_t mask;
};

constexpr uint32_t bit(Category c) { return uint32_t{1} << static_cast<int>(c); }

const NamedMask kNamedMasks[] = {
    {"l", kLetterMask}, {"letter", kLetterMask}, {"l&", kCasedLetterMask},
    {"lc", kCasedLetterMask}, {"casedletter", kCasedLetterMask},
    {"lu", bit(Category::kLu)}, {"uppercaseletter", bit(Category::kLu)},
    {"ll", bit(Category::kLl)}, {"lowercaseletter", bit(Category::kLl)},
    {"lt", bit(Category::kLt)}, {"titlecaseletter", bit(Category::kLt)},
    {"lm", bit(Category::kLm)}, {"modifierletter", bit(Category::kLm)},
    {"lo", bit(Category::kLo)}, {"otherletter", bit(Category::kLo)},
    {"m", kMarkMask}, {"mark", kMarkMask}, {"combiningmark", kMarkMask},
    {"mn", bit(Category::kMn)}, {"nonspacingmark", bit(Category::kMn)},
    {"mc", bit(Category::kMc)}, {"spacingmark", bit(Category::kMc)},
    {"me", bit(Category::kMe)}, {"enclosingmark", bit(Category::kMe)},
    {"n", kNumberMask}, {"number", kNumberMask},
    {"nd", bit(Category::kNd)}, {"decimalnumber", bit(Category::kNd)},
    {"digit", bit(Category::kNd)},
    {"nl", bit(Category::kNl)}, {"letternumber", bit(Category::kNl)},
    {"no", bit(Category::kNo)}, {"othernumber", bit(Category::kNo)},
    {"p", kPunctuationMask}, {"punctuation", kPunctuationMask}, {"punct", kPunctuationMask},
    {"pc", bit(Category::kPc)}, {"connectorpunctuation", bit(Category::kPc)},
    {"pd", bit(Category::kPd)}, {"dashpunctuation", bit(Category::kPd)},
    {"ps", bit(Category::kPs)}, {"openpunctuation", bit(Category::kPs)},
    {"pe", bit(Category::kPe)}, {"closepunctuation", bit(Category::kPe)},
    {"pi", bit(Category::kPi)}, {"initialpunctuation", bit(Category::kPi)},
    {"pf", bit(Category::kPf)}, {"finalpunctuation", bit(Category::kPf)},
    {"po", bit(Category::kPo)}, {"otherpunctuation", bit(Category::kPo)},
    {"s", kSymbolMask}, {"symbol", kSymbolMask},
    {"sm", bit(Category::kSm)}, {"mathsymbol", bit(Category::kSm)},
    {"sc", bit(Category::kSc)}, {"currencysymbol", bit(Category::kSc)},
    {"sk", bit(Category::kSk)}, {"modifiersymbol", bit(Category::kSk)},
    {"so", bit(Category::kSo)}, {"othersymbol", bit(Category::kSo)},
    {"z", kSeparatorMask}, {"separator", kSeparatorMask},
    {"zs", bit(Category::kZs)}, {"spaceseparator", bit(Category::kZs)},
    {"zl", bit(Category::kZl)}, {"lineseparator", bit(Category::kZl)},
    {"zp", bit(Category::kZp)}, {"paragraphseparator", bit(Category::kZp)},
    {"c", kOtherMask}, {"other", kOtherMask},
    {"cc", bit(Category::kCc)}, {"control", bit(Category::kCc)}, {"cntrl", bit(Category::kCc)},
    {"cf", bit(Category::kCf)}, {"format", bit(Category::kCf)},
    {"cs", bit(Category::kCs)}, {"surrogate", bit(Category::kCs)},
    {"co", bit(Category::kCo)}, {"privateuse", bit(Category::kCo)},
    {"cn", bit(Category::kCn)}, {"unassigned", bit(Category::kCn)},
};

}  // namespace

Category general_category(char32_t cp) {
  // ASCII is by far the most common input; answer it without a search.
  if (cp < 128) return static_cast<Category>(tables::kAsciiCategories[cp]);
  return lookup_category(cp);
}

bool is_letter(char32_t cp) { return in_mask(cp, kLetterMask); }
bool is_mark(char32_t cp) { return in_mask(cp, kMarkMask); }
bool is_number(char32_t cp) { return in_mask(cp, kNumberMask); }
bool is_punctuation(char32_t cp) { return in_mask(cp, kPunctuationMask); }
bool is_symbol(char32_t cp) { return in_mask(cp, kSymbolMask); }
bool is_separator(char32_t cp) { return in_mask(cp, kSeparatorMask); }
bool is_other(char32_t cp) { return in_mask(cp, kOtherMask); }

bool is_white_space(char32_t cp) {
  if (cp < 128) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
  return find_range(tables::kWhiteSpaceRanges, tables::kWhiteSpaceRangeCount, cp) != nullptr;
}

bool category_mask_from_name(std::string_view name, uint32_t* mask) {
  const std::string key = loose(name);
  for (const auto& entry : kNamedMasks) {
    if (key == entry.name) {
      *mask = entry.mask;
      return true;
    }
  }
  return false;
}

bool in_category_mask(char32_t cp, uint32_t mask) { return in_mask(cp, mask); }

uint8_t combining_class(char32_t cp) {
  if (cp < 0x300) return 0;  // nothing below U+0300 combines
  const auto* r = find_range(tables::kCombiningClassRanges, tables::kCombiningClassRangeCount, cp);
  return r ? r->combining_class : 0;
}

void append_lowercase(char32_t cp, std::u32string* out) {
  if (cp < 128) {
    out->push_back(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
    return;
  }
  const auto* special_end = tables::kSpecialLowercases + tables::kSpecialLowercaseCount;
  const auto* special = std::lower_bound(
      tables::kSpecialLowercases, special_end, static_cast<uint32_t>(cp),
      [](const tables::SpecialLowercase& s, uint32_t v) { return s.code_point < v; });
  if (special != special_end && special->code_point == cp) {
    for (uint8_t i = 0; i < special->length; ++i) out->push_back(special->lower[i]);
    return;
  }
  const auto* end = tables::kLowercaseMappings + tables::kLowercaseMappingCount;
  const auto* it = std::lower_bound(
      tables::kLowercaseMappings, end, static_cast<uint32_t>(cp),
      [](const tables::CaseMapping& m, uint32_t v) { return m.code_point < v; });
  out->push_back(it != end && it->code_point == cp ? it->lower : cp);
}

std::u32string utf8_to_utf32(std::string_view utf8) {
  std::u32string out;
  out.reserve(utf8.size());
  size_t i = 0;
  // ASCII fast path; the first non-ASCII byte hands the rest to the lossy decoder.
  while (i < utf8.size() && static_cast<unsigned char>(utf8[i]) < 0x80) out.push_back(utf8[i++]);
  if (i < utf8.size()) {
    for (char32_t cp : tokenizer::code_points(utf8.substr(i))) out.push_back(cp);
  }
  return out;
}

std::string utf32_to_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t cp : text) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else {
      tokenizer::append_utf8(out, cp);
    }
  }
  return out;
}

}  // namespace aae::unicode
