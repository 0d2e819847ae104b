#include "runtime/base/file_util.h"

#include <algorithm>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace aae {
namespace {

namespace fs = std::filesystem;

// Every entry name in `dir`, to check that no temp files are left behind.
std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(FileUtil, WriteAtomicThenReadRoundTrips) {
  aae::testing::ScratchDir dir;
  const auto path = (dir / "out.bin").string();
  const std::string bytes("binary\0\xff data", 13);
  ASSERT_TRUE(write_file_atomic(path, bytes).ok());
  auto read = aae::read_file(path);
  ASSERT_TRUE(read.ok()) << read.error().to_string();
  EXPECT_EQ(*read, bytes);
  EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"out.bin"});
}

TEST(FileUtil, WriteAtomicReplacesExistingFile) {
  aae::testing::ScratchDir dir;
  const auto path = (dir / "config.json").string();
  aae::testing::write_file(path, "old contents that are longer");
  ASSERT_TRUE(write_file_atomic(path, "new").ok());
  EXPECT_EQ(aae::testing::read_file(path), "new");
  EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"config.json"});
}

TEST(FileUtil, WriteAtomicIntoMissingDirectoryFailsAndWritesNothing) {
  aae::testing::ScratchDir dir;
  const auto path = (dir / "no-such-dir" / "out.bin").string();
  auto status = write_file_atomic(path, "x");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().to_string().find(path), std::string::npos)
      << status.error().to_string();
  EXPECT_FALSE(status.error().hint().empty());
  EXPECT_TRUE(entries(dir.path()).empty());
}

TEST(FileUtil, WriteAtomicToDirectoryPathFails) {
  aae::testing::ScratchDir dir;
  auto status = write_file_atomic(dir.path().string() + "/", "x");
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(entries(dir.path()).empty());
}

TEST(FileUtil, ReadMissingFileErrorNamesTheFile) {
  aae::testing::ScratchDir dir;
  const auto path = (dir / "absent.txt").string();
  auto read = aae::read_file(path);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.error().to_string().find(path), std::string::npos);
  EXPECT_NE(read.error().to_string().find("No such file"), std::string::npos);
}

TEST(FileUtil, ReadDirectoryFails) {
  aae::testing::ScratchDir dir;
  EXPECT_FALSE(aae::read_file(dir.path().string()).ok());
}

TEST(AtomicFileWriter, StreamsChunksAndCommits) {
  aae::testing::ScratchDir dir;
  const auto path = (dir / "shard.bin").string();
  auto created = AtomicFileWriter::create(path);
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  AtomicFileWriter writer = std::move(created).value();
  std::string expected;
  for (int i = 0; i < 100; ++i) {
    const std::string chunk(1000 + i, static_cast<char>('a' + i % 26));
    ASSERT_TRUE(writer.write(chunk.data(), chunk.size()).ok());
    expected += chunk;
  }
  EXPECT_FALSE(fs::exists(path));  // invisible until commit
  EXPECT_TRUE(fs::exists(writer.temp_path()));
  EXPECT_EQ(fs::path(writer.temp_path()).parent_path(), dir.path());
  ASSERT_TRUE(writer.commit().ok());
  EXPECT_EQ(aae::testing::read_file(path), expected);
  EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"shard.bin"});
  EXPECT_FALSE(writer.commit().ok());  // a second commit is an error, not a crash
}

TEST(AtomicFileWriter, UncommittedWriterLeavesNoFile) {
  aae::testing::ScratchDir dir;
  const auto path = (dir / "shard.bin").string();
  {
    auto created = AtomicFileWriter::create(path);
    ASSERT_TRUE(created.ok());
    ASSERT_TRUE(created->write("partial", 7).ok());
    EXPECT_EQ(entries(dir.path()).size(), 1u);  // the temp file
  }
  EXPECT_TRUE(entries(dir.path()).empty());
}

TEST(AtomicFileWriter, MoveAssignmentAbandonsTheOverwrittenWriter) {
  aae::testing::ScratchDir dir;
  auto first = AtomicFileWriter::create((dir / "a.bin").string());
  auto second = AtomicFileWriter::create((dir / "b.bin").string());
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(first->temp_path(), second->temp_path());
  AtomicFileWriter writer = std::move(first).value();
  writer = std::move(second).value();
  EXPECT_EQ(entries(dir.path()).size(), 1u);  // a.bin's temp file is gone
  ASSERT_TRUE(writer.write("b", 1).ok());
  ASSERT_TRUE(writer.commit().ok());
  EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"b.bin"});
}

TEST(AtomicFileWriter, TempFileNameIsHiddenBesideTheTarget) {
  aae::testing::ScratchDir dir;
  auto created = AtomicFileWriter::create((dir / "weights.bin").string());
  ASSERT_TRUE(created.ok());
  const std::string name = fs::path(created->temp_path()).filename();
  EXPECT_EQ(name.rfind(".weights.bin.tmp-", 0), 0u) << name;
}

}  // namespace
}  // namespace aae
