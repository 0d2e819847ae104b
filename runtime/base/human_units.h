// Sizes for people: "0 B", "1023 B", "1.5 KiB", "590.2 MiB", "3.0 GiB" (binary units, one
// decimal above bytes). One spelling for every progress line and report.
#pragma once

#include <string>

namespace aae {

std::string human_bytes(double bytes);

}  // namespace aae
