#include "compiler/c_literal.h"

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace aae {
namespace {

TEST(CStringLiteral, EscapesAfterSplitting) {
  // A split after escaping would cut "\"" in half at chunk 3.
  EXPECT_EQ(c_string_literal("ab\"cd", 3, ""), "\"ab\\\"\"\n\"cd\"");
  EXPECT_EQ(c_string_literal("a\\b\n\t", 100, ""), "\"a\\\\b\\n\\t\"");
  EXPECT_EQ(c_string_literal("?" "?=", 100, ""), "\"?\\?=\"");
  EXPECT_EQ(c_string_literal(std::string("\x01" "7\xc3", 3), 100, ""), "\"\\0017\\303\"");
  EXPECT_EQ(c_string_literal("", 10, "  "), "  \"\"");
}

TEST(CStringLiteral, CompilesBackToTheSameBytes) {
  if (testing::run_command("clang++ --version").exit_code != 0) {
    GTEST_SKIP() << "clang++ not on PATH";
  }
  std::string text;
  for (int i = 0; i < 600; ++i) text += static_cast<char>(1 + (i * 37) % 255);
  text += "\"\\?" "?/{\"json\": 1}";
  testing::ScratchDir dir;
  testing::write_file(dir / "t.cc",
                      "#include <cstdio>\nstatic const char s[] =\n" +
                          c_string_literal(text, 7) +
                          ";\nint main() { fwrite(s, 1, sizeof s - 1, stdout); }\n");
  const auto build = testing::run_command("clang++ -o " + (dir / "t").string() + " " +
                                          (dir / "t.cc").string());
  ASSERT_EQ(build.exit_code, 0) << build.output;
  const auto run = testing::run_command((dir / "t").string());
  EXPECT_EQ(run.output, text);
}

}  // namespace
}  // namespace aae
