// Every end-to-end test of this executable shares one cache home inside the build tree (unless
// the environment already names one), so the suite compiles each model library and builds the
// runtime library once, and never writes into the user's ~/.cache. Tests that need an isolated
// cache (cache_cli_test.cc, download_test.cc) pass their own SPHERE_AAE_HOME to the commands.
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "tests/package_fixture.h"

namespace aae {
namespace {

const bool kHomeSet = [] {
  ::setenv("SPHERE_AAE_HOME", testing::shared_package_home().c_str(), /*overwrite=*/0);
  return true;
}();

TEST(SharedHome, CommandsRunWithACacheHomeSet) {
  ASSERT_TRUE(kHomeSet);
  const char* home = std::getenv("SPHERE_AAE_HOME");
  ASSERT_NE(home, nullptr);
  EXPECT_FALSE(std::string(home).empty());
}

}  // namespace
}  // namespace aae
