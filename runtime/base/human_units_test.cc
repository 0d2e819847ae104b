#include "runtime/base/human_units.h"

#include <cstdint>

#include <gtest/gtest.h>

namespace aae {
namespace {

TEST(HumanBytes, UsesBinaryUnitsWithOneDecimal) {
  EXPECT_EQ(human_bytes(0), "0 B");
  EXPECT_EQ(human_bytes(1023), "1023 B");
  EXPECT_EQ(human_bytes(1536), "1.5 KiB");
  EXPECT_EQ(human_bytes(590.2 * 1024 * 1024), "590.2 MiB");
  EXPECT_EQ(human_bytes(static_cast<double>(int64_t{3} << 30)), "3.0 GiB");
}

}  // namespace
}  // namespace aae
