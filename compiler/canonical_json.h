// JSON text exactly as Python's json.dumps(value, sort_keys=True, indent=2) writes it, so an
// md5 over it equals the md5 MLC LLM computes for its model-library names and cache keys
// (mlc-package-reference.md §3).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace aae {

// Rules reproduced: keys sorted by code point; two-space indent with "," line ends and ": "
// after keys; empty containers as "{}" / "[]"; ensure_ascii escaping (\uXXXX, lowercase hex,
// surrogate pairs above U+FFFF); floats as Python's repr (shortest round-trip digits, "1e-06",
// "10000.0", "1e+16"); NaN/Infinity as Python writes them.
std::string python_json_dumps(const nlohmann::json& value);

// Python's repr(float): shortest digits that round-trip, fixed notation when the decimal
// exponent is in [-4, 16), otherwise d.ddde±XX.
std::string python_float_repr(double value);

}  // namespace aae
