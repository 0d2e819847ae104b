// Emitting bytes as C/C++ source: a long text as adjacent string literals.
#pragma once

#include <string>
#include <string_view>

namespace aae {

// `text` as adjacent "..." literals of at most `chunk` source bytes of payload each, one per
// line, each line indented by `indent`. The text is split first and each piece escaped after
// (splitting escaped text can cut an escape in half: freestanding-modellib-notes.md trap 6).
// Escapes: \" \\ \n \t, other bytes outside printable ASCII as three-digit octal (octal escapes
// stop after three digits, so a following digit is never swallowed, unlike \x), and '?' after
// '?' as \? (no trigraphs). The compiled array holds exactly `text` plus a trailing NUL.
std::string c_string_literal(std::string_view text, size_t chunk = 2000,
                             std::string_view indent = "    ");

}  // namespace aae
