// Unicode normalization forms NFD, NFKD, NFC, NFKC (UAX #15) over the generated tables.
#include <algorithm>

#include "runtime/tokenizer/unicode.h"
#include "runtime/tokenizer/unicode_tables.h"

namespace aae::unicode {
namespace {

// Hangul syllable arithmetic (Unicode chapter 3.12).
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28;
constexpr char32_t kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

const tables::Decomposition* find_decomposition(char32_t cp) {
  const auto* begin = tables::kDecompositions;
  const auto* end = begin + tables::kDecompositionCount;
  const auto* it = std::lower_bound(
      begin, end, static_cast<uint32_t>(cp),
      [](const tables::Decomposition& d, uint32_t v) { return d.code_point < v; });
  return it != end && it->code_point == cp ? it : nullptr;
}

void decompose_into(char32_t cp, bool compatibility, std::u32string* out) {
  if (cp < 0xA0) {  // nothing below U+00A0 decomposes, canonically or otherwise
    out->push_back(cp);
    return;
  }
  if (cp >= kSBase && cp < kSBase + kSCount) {
    const char32_t s = cp - kSBase;
    out->push_back(kLBase + s / kNCount);
    out->push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount != 0) out->push_back(kTBase + s % kTCount);
    return;
  }
  const auto* d = find_decomposition(cp);
  if (d == nullptr || (d->compatibility && !compatibility)) {
    out->push_back(cp);
    return;
  }
  for (uint8_t i = 0; i < d->length; ++i) {
    decompose_into(tables::kDecompositionData[d->offset + i], compatibility, out);
  }
}

// Canonical ordering: a stable sort of each run of non-starters by combining class.
void canonical_order(std::u32string* text) {
  std::u32string& s = *text;
  for (size_t i = 0; i < s.size();) {
    if (combining_class(s[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < s.size() && combining_class(s[j]) != 0) ++j;
    if (j - i > 1) {
      std::stable_sort(s.begin() + i, s.begin() + j, [](char32_t a, char32_t b) {
        return combining_class(a) < combining_class(b);
      });
    }
    i = j;
  }
}

std::u32string decompose(std::u32string_view text, bool compatibility) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t cp : text) decompose_into(cp, compatibility, &out);
  canonical_order(&out);
  return out;
}

// The primary composite of (first, second), or 0 when there is none.
char32_t compose_pair(char32_t first, char32_t second) {
  if (first >= kLBase && first < kLBase + kLCount && second >= kVBase &&
      second < kVBase + kVCount) {
    return kSBase + ((first - kLBase) * kVCount + (second - kVBase)) * kTCount;
  }
  if (first >= kSBase && first < kSBase + kSCount && (first - kSBase) % kTCount == 0 &&
      second > kTBase && second < kTBase + kTCount) {
    return first + (second - kTBase);
  }
  const auto* begin = tables::kCompositions;
  const auto* end = begin + tables::kCompositionCount;
  const auto* it = std::lower_bound(begin, end, std::pair<uint32_t, uint32_t>(first, second),
                                    [](const tables::Composition& c,
                                       const std::pair<uint32_t, uint32_t>& key) {
                                      return c.first != key.first ? c.first < key.first
                                                                  : c.second < key.second;
                                    });
  return it != end && it->first == first && it->second == second ? it->composed : 0;
}

// Canonical composition algorithm (UAX #15 section 1.3) over decomposed, ordered text.
std::u32string compose(std::u32string decomposed) {
  std::u32string out;
  out.reserve(decomposed.size());
  size_t starter = std::u32string::npos;  // index in `out` of the last starter
  uint8_t last_class = 0;                 // combining class of out.back()
  for (char32_t cp : decomposed) {
    const uint8_t cls = combining_class(cp);
    if (starter != std::u32string::npos) {
      // Blocked when something between the starter and cp is a starter or has class >= cp's.
      const bool adjacent = starter + 1 == out.size();
      const bool blocked = !adjacent && (last_class == 0 || last_class >= cls);
      if (!blocked) {
        if (char32_t composite = compose_pair(out[starter], cp); composite != 0) {
          out[starter] = composite;
          continue;
        }
      }
    }
    if (cls == 0) starter = out.size();
    last_class = cls;
    out.push_back(cp);
  }
  return out;
}

// Text made only of code points below `limit` is already in the requested form.
bool all_below(std::u32string_view text, char32_t limit) {
  for (char32_t cp : text) {
    if (cp >= limit) return false;
  }
  return true;
}

}  // namespace

// Below U+00C0 nothing has a canonical decomposition and nothing combines (classes start at
// U+0300); below U+00A0 nothing has a compatibility decomposition either.
std::u32string nfd(std::u32string_view text) {
  if (all_below(text, 0xC0)) return std::u32string(text);
  return decompose(text, false);
}
std::u32string nfkd(std::u32string_view text) {
  if (all_below(text, 0xA0)) return std::u32string(text);
  return decompose(text, true);
}
std::u32string nfc(std::u32string_view text) {
  if (all_below(text, 0xC0)) return std::u32string(text);
  return compose(decompose(text, false));
}
std::u32string nfkc(std::u32string_view text) {
  if (all_below(text, 0xA0)) return std::u32string(text);
  return compose(decompose(text, true));
}

}  // namespace aae::unicode
