// The committed runtime/tokenizer/unicode_tables.inc must be exactly the generator's output for
// the installed Unicode data, so nobody hand-edits it and the generator stays reproducible.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/support/test_support.h"

namespace aae {
namespace {

const char kUcdDir[] = "/usr/share/unicode";

TEST(GenUnicodeTables, RegeneratesTheCommittedTables) {
  if (!std::filesystem::exists(std::string(kUcdDir) + "/UnicodeData.txt")) {
    GTEST_SKIP() << kUcdDir << " not found (install Debian/Ubuntu package unicode-data)";
  }
  testing::ScratchDir scratch;
  const auto out = scratch / "unicode_tables.inc";
  auto result = testing::run_command(testing::shell_quote(AAE_GEN_UNICODE_TABLES_PATH) + " " +
                                     kUcdDir + " > " + testing::shell_quote(out.string()));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const std::string generated = testing::read_file(out);
  const std::string committed = testing::read_file(AAE_UNICODE_TABLES_SOURCE);
  ASSERT_GT(generated.size(), 100000u);
  EXPECT_TRUE(generated == committed)
      << "runtime/tokenizer/unicode_tables.inc differs from the generator's output; regenerate "
         "with: gen_unicode_tables /usr/share/unicode > runtime/tokenizer/unicode_tables.inc "
         "(different unicode-data version installed?)";
}

TEST(GenUnicodeTables, FailsWithUsageWithoutArguments) {
  auto result = testing::run_command(testing::shell_quote(AAE_GEN_UNICODE_TABLES_PATH));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("usage"), std::string::npos) << result.output;
}

TEST(GenUnicodeTables, FailsOnMissingInputDirectory) {
  testing::ScratchDir scratch;
  auto result = testing::run_command(testing::shell_quote(AAE_GEN_UNICODE_TABLES_PATH) + " " +
                                     testing::shell_quote((scratch / "absent").string()));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("cannot open"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace aae
