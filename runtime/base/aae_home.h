// The root of every on-disk cache (weights, model libraries): $SPHERE_AAE_HOME, else
// $XDG_CACHE_HOME/sphere_aae, else ~/.cache/sphere_aae (ARCHITECTURE.md "Caches").
#pragma once

#include <filesystem>

#include "runtime/base/status.h"

namespace aae {

// Reads the environment on every call (tests change it). Errors when none of SPHERE_AAE_HOME,
// XDG_CACHE_HOME, HOME is set, with a hint to set SPHERE_AAE_HOME.
Result<std::filesystem::path> aae_home_from_env();

}  // namespace aae
