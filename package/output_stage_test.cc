#include "package/output_stage.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace aae {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

ino_t inode_of(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_ino;
}

TEST(OutputStage, FirstRunCopiesAndCommitCreatesTheOutput) {
  ScratchDir dir;
  testing::write_file(dir / "src.bin", "weights");
  auto stage = OutputStage::begin(dir / "dist");
  ASSERT_TRUE(stage.ok()) << stage.error().to_string();
  PlacementStats stats;
  ASSERT_TRUE(stage->place_file(dir / "src.bin", "bundle/m/src.bin", &stats).ok());
  ASSERT_TRUE(stage->place_bytes("{}\n", "bundle/app.json", &stats).ok());
  EXPECT_FALSE(fs::exists(dir / "dist"));  // nothing visible before commit
  ASSERT_TRUE(stage->commit().ok());
  EXPECT_EQ(testing::read_file(dir / "dist/bundle/m/src.bin"), "weights");
  EXPECT_EQ(testing::read_file(dir / "dist/bundle/app.json"), "{}\n");
  EXPECT_EQ(stats.files_linked, 0);
  EXPECT_EQ(stats.files_copied + stats.files_cloned, 2);
  // No staging directory is left beside the output.
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) entries += e.path().filename() != "src.bin";
  EXPECT_EQ(entries, 1);
}

TEST(OutputStage, SecondRunLinksUnchangedFilesAndCopiesChangedOnes) {
  ScratchDir dir;
  testing::write_file(dir / "a.bin", "aaaa");
  testing::write_file(dir / "b.bin", "bbbb");
  {
    auto stage = OutputStage::begin(dir / "dist");
    ASSERT_TRUE(stage.ok());
    ASSERT_TRUE(stage->place_file(dir / "a.bin", "bundle/m/a.bin", nullptr).ok());
    ASSERT_TRUE(stage->place_file(dir / "b.bin", "bundle/m/b.bin", nullptr).ok());
    ASSERT_TRUE(stage->place_bytes("same", "bundle/app.json", nullptr).ok());
    ASSERT_TRUE(stage->commit().ok());
  }
  const ino_t a_before = inode_of(dir / "dist/bundle/m/a.bin");
  const ino_t app_before = inode_of(dir / "dist/bundle/app.json");
  testing::write_file(dir / "b.bin", "BBBBB");  // changed size and time

  auto stage = OutputStage::begin(dir / "dist");
  ASSERT_TRUE(stage.ok());
  EXPECT_EQ(stage->placement_for(dir / "a.bin", "bundle/m/a.bin"), Placement::kLinkPrevious);
  EXPECT_EQ(stage->placement_for(dir / "b.bin", "bundle/m/b.bin"), Placement::kCopy);
  PlacementStats stats;
  ASSERT_TRUE(stage->place_file(dir / "a.bin", "bundle/m/a.bin", &stats).ok());
  ASSERT_TRUE(stage->place_file(dir / "b.bin", "bundle/m/b.bin", &stats).ok());
  ASSERT_TRUE(stage->place_bytes("same", "bundle/app.json", &stats).ok());
  ASSERT_TRUE(stage->commit().ok());
  EXPECT_EQ(stats.files_linked, 2);
  EXPECT_EQ(stats.files_copied + stats.files_cloned, 1);
  EXPECT_EQ(inode_of(dir / "dist/bundle/m/a.bin"), a_before);  // the very same file
  EXPECT_EQ(inode_of(dir / "dist/bundle/app.json"), app_before);
  EXPECT_EQ(testing::read_file(dir / "dist/bundle/m/b.bin"), "BBBBB");
}

TEST(OutputStage, FilesNoLongerPlacedDisappearAfterCommit) {
  ScratchDir dir;
  testing::write_file(dir / "a.bin", "a");
  {
    auto stage = OutputStage::begin(dir / "dist");
    ASSERT_TRUE(stage.ok());
    ASSERT_TRUE(stage->place_file(dir / "a.bin", "bundle/old/a.bin", nullptr).ok());
    ASSERT_TRUE(stage->commit().ok());
  }
  auto stage = OutputStage::begin(dir / "dist");
  ASSERT_TRUE(stage.ok());
  ASSERT_TRUE(stage->place_file(dir / "a.bin", "bundle/new/a.bin", nullptr).ok());
  ASSERT_TRUE(stage->commit().ok());
  EXPECT_FALSE(fs::exists(dir / "dist/bundle/old"));
  EXPECT_TRUE(fs::exists(dir / "dist/bundle/new/a.bin"));
}

TEST(OutputStage, AbandonedStageLeavesThePreviousOutputIntact) {
  ScratchDir dir;
  testing::write_file(dir / "a.bin", "a");
  {
    auto stage = OutputStage::begin(dir / "dist");
    ASSERT_TRUE(stage.ok());
    ASSERT_TRUE(stage->place_file(dir / "a.bin", "bundle/m/a.bin", nullptr).ok());
    ASSERT_TRUE(stage->commit().ok());
  }
  {
    auto stage = OutputStage::begin(dir / "dist");
    ASSERT_TRUE(stage.ok());
    ASSERT_TRUE(stage->place_bytes("half", "bundle/m/other.bin", nullptr).ok());
    // destroyed without commit, as when a later step fails
  }
  EXPECT_EQ(testing::read_file(dir / "dist/bundle/m/a.bin"), "a");
  EXPECT_FALSE(fs::exists(dir / "dist/bundle/m/other.bin"));
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) entries += e.path().filename() != "a.bin";
  EXPECT_EQ(entries, 1);
}

TEST(OutputStage, RefusesToReplaceADirectoryItDidNotWrite) {
  ScratchDir dir;
  fs::create_directories(dir / "home");
  testing::write_file(dir / "home/notes.txt", "mine");
  auto stage = OutputStage::begin(dir / "home");
  ASSERT_FALSE(stage.ok());
  EXPECT_NE(stage.error().message().find("notes.txt"), std::string::npos);
  EXPECT_NE(stage.error().hint().find("-o/--output"), std::string::npos);
  EXPECT_EQ(testing::read_file(dir / "home/notes.txt"), "mine");

  testing::write_file(dir / "file", "x");
  EXPECT_FALSE(OutputStage::begin(dir / "file").ok());
}

TEST(OutputStage, RemovesStagingDirectoriesOfDeadProcesses) {
  ScratchDir dir;
  // pid 2^22 + 1 is above Linux's default pid_max, so no live process has it.
  const fs::path stale = dir / ".dist.staging-4194305";
  fs::create_directories(stale);
  testing::write_file(stale / "x", "x");
  auto stage = OutputStage::begin(dir / "dist");
  ASSERT_TRUE(stage.ok());
  EXPECT_FALSE(fs::exists(stale));
}

}  // namespace
}  // namespace aae
