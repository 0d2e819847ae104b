#include "runtime/base/md5.h"

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace aae {
namespace {

std::string md5_of(const std::string& bytes) {
  Md5 md5;
  md5.update(bytes.data(), bytes.size());
  return md5.hex_digest();
}

std::string pseudo_random_bytes(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string bytes(size, '\0');
  for (auto& c : bytes) c = static_cast<char>(rng() & 0xff);
  return bytes;
}

// The system md5sum of a file, or "" when the tool is not available.
std::string system_md5sum(const std::string& path) {
  FILE* pipe = ::popen(("md5sum '" + path + "' 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) return "";
  char buffer[33] = {};
  const size_t n = std::fread(buffer, 1, 32, pipe);
  ::pclose(pipe);
  return n == 32 ? std::string(buffer, 32) : "";
}

TEST(Md5, MatchesRfc1321TestSuite) {
  EXPECT_EQ(md5_of(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5_of("a"), "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(md5_of("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(md5_of("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(md5_of("abcdefghijklmnopqrstuvwxyz"), "c3fcd3d76192e4007dfb496cca67e13b");
  EXPECT_EQ(md5_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
            "d174ab98d277d9f5a5611c2c9f419d9f");
  EXPECT_EQ(md5_of("1234567890123456789012345678901234567890"
                   "1234567890123456789012345678901234567890"),
            "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(Md5, RandomChunkingGivesTheOneShotDigest) {
  const std::string bytes = pseudo_random_bytes(10000, 1);
  const std::string expected = md5_of(bytes);
  std::mt19937 rng(2);
  for (int trial = 0; trial < 20; ++trial) {
    Md5 md5;
    size_t offset = 0;
    while (offset < bytes.size()) {
      const size_t chunk = std::min<size_t>(rng() % 130, bytes.size() - offset);
      md5.update(bytes.data() + offset, chunk);
      offset += chunk;
    }
    EXPECT_EQ(md5.hex_digest(), expected) << "trial " << trial;
  }
}

TEST(Md5, PaddingBoundaryLengthsMatchSystemMd5sum) {
  // 55/56 and 63/64/65 bytes are where the length field spills into an extra block.
  aae::testing::ScratchDir dir;
  for (size_t size : {55, 56, 57, 63, 64, 65, 119, 120, 128}) {
    const std::string bytes = pseudo_random_bytes(size, static_cast<uint32_t>(size));
    const auto path = (dir / "boundary.bin").string();
    aae::testing::write_file(path, bytes);
    const std::string reference = system_md5sum(path);
    if (reference.empty()) GTEST_SKIP() << "md5sum not available";
    EXPECT_EQ(md5_of(bytes), reference) << size << " bytes";
  }
}

TEST(Md5, HexDigestDoesNotDisturbFurtherUpdates) {
  Md5 md5;
  md5.update("ab", 2);
  EXPECT_EQ(md5.hex_digest(), md5_of("ab"));
  md5.update("c", 1);
  EXPECT_EQ(md5.hex_digest(), "900150983cd24fb0d6963f7d28e17f72");
}

TEST(Md5, FileLargerThanOneChunkMatchesOneShotDigest) {
  aae::testing::ScratchDir dir;
  const std::string bytes = pseudo_random_bytes((size_t{1} << 20) * 2 + 12345, 3);
  const auto path = (dir / "big.bin").string();
  aae::testing::write_file(path, bytes);
  auto digest = md5_file(path);
  ASSERT_TRUE(digest.ok()) << digest.error().to_string();
  EXPECT_EQ(*digest, md5_of(bytes));
  const std::string reference = system_md5sum(path);
  if (!reference.empty()) {
    EXPECT_EQ(*digest, reference);
  }
}

TEST(Md5, MissingFileErrorNamesTheFile) {
  aae::testing::ScratchDir dir;
  const auto path = (dir / "absent.bin").string();
  auto digest = md5_file(path);
  ASSERT_FALSE(digest.ok());
  EXPECT_NE(digest.error().to_string().find(path), std::string::npos);
  EXPECT_NE(digest.error().to_string().find("No such file"), std::string::npos);
}

}  // namespace
}  // namespace aae
