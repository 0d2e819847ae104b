#include "runtime/base/mapped_file.h"

#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace aae {
namespace {

TEST(MappedFile, MapsFileContents) {
  aae::testing::ScratchDir dir;
  const auto path = (dir / "data.bin").string();
  const std::string bytes("hello\0world", 11);
  aae::testing::write_file(path, bytes);
  auto file = MappedFile::open(path);
  ASSERT_TRUE(file.ok()) << file.error().to_string();
  ASSERT_EQ(file->size(), bytes.size());
  ASSERT_NE(file->data(), nullptr);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(file->data()), file->size()), bytes);
  EXPECT_EQ(file->path(), path);
}

TEST(MappedFile, EmptyFileHasNoDataAndZeroSize) {
  aae::testing::ScratchDir dir;
  const auto path = (dir / "empty.bin").string();
  aae::testing::write_file(path, "");
  auto file = MappedFile::open(path);
  ASSERT_TRUE(file.ok()) << file.error().to_string();
  EXPECT_EQ(file->data(), nullptr);
  EXPECT_EQ(file->size(), 0u);
}

TEST(MappedFile, MissingFileErrorNamesFileAndErrno) {
  aae::testing::ScratchDir dir;
  const auto path = (dir / "absent.bin").string();
  auto file = MappedFile::open(path);
  ASSERT_FALSE(file.ok());
  const std::string message = file.error().to_string();
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("No such file"), std::string::npos) << message;
}

TEST(MappedFile, DirectoryIsRejected) {
  aae::testing::ScratchDir dir;
  auto file = MappedFile::open(dir.path().string());
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.error().to_string().find("not a regular file"), std::string::npos);
}

TEST(MappedFile, MoveTransfersTheMapping) {
  aae::testing::ScratchDir dir;
  const auto path = (dir / "data.bin").string();
  aae::testing::write_file(path, "abcdef");
  auto opened = MappedFile::open(path);
  ASSERT_TRUE(opened.ok());
  MappedFile first = std::move(opened).value();
  const uint8_t* data = first.data();
  MappedFile second = std::move(first);
  EXPECT_EQ(second.data(), data);
  EXPECT_EQ(second.size(), 6u);
  EXPECT_EQ(first.data(), nullptr);  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(first.size(), 0u);

  aae::testing::write_file((dir / "other.bin").string(), "xy");
  auto other = MappedFile::open((dir / "other.bin").string());
  ASSERT_TRUE(other.ok());
  second = std::move(other).value();
  EXPECT_EQ(second.size(), 2u);
  EXPECT_EQ(second.data()[1], 'y');
}

}  // namespace
}  // namespace aae
