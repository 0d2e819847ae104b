#include "runtime/base/aae_home.h"

#include <cstdlib>
#include <string>

namespace aae {
namespace {

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : std::string();
}

}  // namespace

Result<std::filesystem::path> aae_home_from_env() {
  if (std::string home = env_or_empty("SPHERE_AAE_HOME"); !home.empty()) {
    return std::filesystem::path(home);
  }
  if (std::string xdg = env_or_empty("XDG_CACHE_HOME"); !xdg.empty()) {
    return std::filesystem::path(xdg) / "sphere_aae";
  }
  if (std::string user_home = env_or_empty("HOME"); !user_home.empty()) {
    return std::filesystem::path(user_home) / ".cache" / "sphere_aae";
  }
  return Error("cannot place the sphere_aae cache: none of SPHERE_AAE_HOME, XDG_CACHE_HOME, HOME "
               "is set",
               "set SPHERE_AAE_HOME to a writable directory");
}

}  // namespace aae
