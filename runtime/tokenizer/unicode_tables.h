// Internal: the data tables that tools/gen_unicode_tables writes into unicode_tables.inc.
// Every table is sorted by its first field so lookups can binary-search it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace aae::unicode::tables {

// The Unicode version the tables were generated from, e.g. "15.0.0".
extern const char kUnicodeVersion[];

// General category (a Category value) of each ASCII code point, for a search-free fast path.
extern const uint8_t kAsciiCategories[128];

// Maximal runs of assigned code points [first, last] sharing one general category (a
// Category value); code points in no run are Cn.
struct CategoryRange {
  uint32_t first;
  uint32_t last;
  uint8_t category;
};
extern const CategoryRange kCategoryRanges[];
extern const size_t kCategoryRangeCount;

struct Range {
  uint32_t first;
  uint32_t last;
};
// White_Space property ranges.
extern const Range kWhiteSpaceRanges[];
extern const size_t kWhiteSpaceRangeCount;

// Runs of code points with the same non-zero Canonical_Combining_Class.
struct CombiningClassRange {
  uint32_t first;
  uint32_t last;
  uint8_t combining_class;
};
extern const CombiningClassRange kCombiningClassRanges[];
extern const size_t kCombiningClassRangeCount;

// One-level decomposition mappings from UnicodeData.txt (Hangul syllables excluded: they are
// algorithmic). The mapping is kDecompositionData[offset, offset + length); `compatibility` is
// true for tagged (<compat>, <font>, ...) mappings, which only NFKD/NFKC apply.
struct Decomposition {
  uint32_t code_point;
  uint16_t offset;
  uint8_t length;
  uint8_t compatibility;
};
extern const Decomposition kDecompositions[];
extern const size_t kDecompositionCount;
extern const uint32_t kDecompositionData[];

// Primary composites: canonical pairs (first, second) -> composed, for every two-code-point
// canonical decomposition whose result is not Full_Composition_Exclusion. Sorted by
// (first, second).
struct Composition {
  uint32_t first;
  uint32_t second;
  uint32_t composed;
};
extern const Composition kCompositions[];
extern const size_t kCompositionCount;

// Simple lowercase mappings (UnicodeData.txt field 13) for code points whose lowercase differs.
struct CaseMapping {
  uint32_t code_point;
  uint32_t lower;
};
extern const CaseMapping kLowercaseMappings[];
extern const size_t kLowercaseMappingCount;

// Unconditional multi-code-point lowercase mappings from SpecialCasing.txt.
struct SpecialLowercase {
  uint32_t code_point;
  uint32_t lower[3];
  uint8_t length;
};
extern const SpecialLowercase kSpecialLowercases[];
extern const size_t kSpecialLowercaseCount;

}  // namespace aae::unicode::tables
