#include "runtime/base/available_memory.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <optional>
#include <string>

namespace aae {
namespace {

// Sets (or unsets) the override variable for one test and restores it afterwards.
class ScopedOverride {
 public:
  explicit ScopedOverride(const char* value) {
    if (const char* old = getenv(kAvailableMemoryEnv)) saved_ = old;
    if (value == nullptr) {
      unsetenv(kAvailableMemoryEnv);
    } else {
      setenv(kAvailableMemoryEnv, value, 1);
    }
  }
  ~ScopedOverride() {
    if (saved_) {
      setenv(kAvailableMemoryEnv, saved_->c_str(), 1);
    } else {
      unsetenv(kAvailableMemoryEnv);
    }
  }

 private:
  std::optional<std::string> saved_;
};

TEST(AvailableMemory, ParsesMemAvailableInKibibytes) {
  auto bytes = parse_meminfo_available(
      "MemTotal:       16318480 kB\nMemFree:         1234567 kB\n"
      "MemAvailable:    8000000 kB\nBuffers:          100 kB\n");
  ASSERT_TRUE(bytes.ok()) << bytes.error().to_string();
  EXPECT_EQ(*bytes, 8000000ull * 1024);
}

TEST(AvailableMemory, MissingMemAvailableLineIsNotFound) {
  auto bytes = parse_meminfo_available("MemTotal: 10 kB\nMemFree: 5 kB\n");
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.error().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(parse_meminfo_available("MemAvailable: lots\n").ok());
}

TEST(AvailableMemory, EnvironmentOverrideWins) {
  ScopedOverride override_value("123456789");
  auto memory = available_memory();
  ASSERT_TRUE(memory.ok()) << memory.error().to_string();
  EXPECT_EQ(memory->bytes, 123456789u);
  EXPECT_EQ(memory->source, kAvailableMemoryEnv);
}

TEST(AvailableMemory, MalformedOverrideIsAnErrorNamingTheVariable) {
  ScopedOverride override_value("2GB");
  auto memory = available_memory();
  ASSERT_FALSE(memory.ok());
  EXPECT_EQ(memory.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(memory.error().message().find(kAvailableMemoryEnv), std::string::npos);
  EXPECT_NE(memory.error().message().find("\"2GB\""), std::string::npos);
}

TEST(AvailableMemory, RealProbeReportsSomeMemory) {
  ScopedOverride no_override(nullptr);
  auto memory = available_memory();
  ASSERT_TRUE(memory.ok()) << memory.error().to_string();
  EXPECT_GT(memory->bytes, 1u << 20);  // any machine running these tests has over 1 MiB free
  EXPECT_FALSE(memory->source.empty());
}

}  // namespace
}  // namespace aae
