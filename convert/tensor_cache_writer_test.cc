#include "convert/tensor_cache_writer.h"

#include <algorithm>
#include <cstring>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/base/md5.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

// A uint8 tensor of `n` bytes whose bytes are `fill`.
struct Blob {
  std::string name;
  uint64_t n;
  uint8_t fill;
};

// Where each tensor landed: (shard index, byteOffset).
std::vector<std::pair<size_t, uint64_t>> placement(const std::vector<TensorCacheShard>& shards,
                                                   const std::vector<Blob>& blobs) {
  std::vector<std::pair<size_t, uint64_t>> out;
  for (const auto& blob : blobs) {
    std::pair<size_t, uint64_t> where{999, 0};
    for (size_t s = 0; s < shards.size(); ++s)
      for (const auto& record : shards[s].records)
        if (record.name == blob.name) where = {s, record.byte_offset};
    out.push_back(where);
  }
  return out;
}

void add_blobs(TensorCacheWriter& writer, const std::vector<Blob>& blobs) {
  for (const auto& blob : blobs) {
    std::vector<uint8_t> bytes(blob.n, blob.fill);
    ASSERT_TRUE(writer.add(blob.name, DType::kUInt8, {static_cast<int64_t>(blob.n)}, bytes.data(),
                           bytes.size())
                    .ok())
        << blob.name;
  }
}

TEST(TensorCacheWriter, ShardsInterleaveOutOfBandTensorsLikeMlc) {
  ScratchDir dir;
  const uint64_t k = 1024;  // the rule scaled down: cap 32 KiB stands for MLC's 32 MiB
  auto writer = TensorCacheWriter::create(dir.path(), 32 * k);
  ASSERT_TRUE(writer.ok());
  const std::vector<Blob> blobs = {{"a", 1 * k, 1},  {"b", 20 * k, 2}, {"c", 10 * k, 3},
                                   {"d", 30 * k, 4}, {"e", 2 * k, 5},  {"f", 16 * k, 6},
                                   {"g", 5 * k, 7},  {"h", 40 * k, 8}, {"i", 3 * k, 9}};
  add_blobs(*writer, blobs);
  // By hand: a,b,c pend (31K); d is out of band -> shard 0; e overflows the pending shard,
  // which becomes shard 1; e,f,g pend (23K); h out of band -> shard 2; i pends; finish -> 3.
  ASSERT_EQ(writer->shards().size(), 3u);
  auto summary = writer->finish(1000);
  ASSERT_TRUE(summary.ok()) << summary.error().to_string();
  const auto& shards = writer->shards();
  ASSERT_EQ(shards.size(), 4u);
  const std::vector<std::pair<size_t, uint64_t>> expected = {
      {1, 0}, {1, 1 * k}, {1, 21 * k}, {0, 0}, {3, 0}, {3, 2 * k}, {3, 18 * k}, {2, 0}, {3, 23 * k}};
  EXPECT_EQ(placement(shards, blobs), expected);
  const std::vector<uint64_t> sizes = {30 * k, 31 * k, 40 * k, 26 * k};
  for (size_t s = 0; s < shards.size(); ++s) {
    EXPECT_EQ(shards[s].data_path, "params_shard_" + std::to_string(s) + ".bin");
    EXPECT_EQ(shards[s].nbytes, sizes[s]);
    EXPECT_EQ(fs::file_size(dir / shards[s].data_path), sizes[s]);
    auto md5 = md5_file((dir / shards[s].data_path).string());
    ASSERT_TRUE(md5.ok());
    EXPECT_EQ(*md5, shards[s].md5sum);
  }
  // The bytes sit at their offsets, tightly packed.
  const std::string shard3 = testing::read_file(dir / "params_shard_3.bin");
  EXPECT_EQ(shard3[0], 5);
  EXPECT_EQ(shard3[2 * k], 6);
  EXPECT_EQ(shard3[18 * k], 7);
  EXPECT_EQ(shard3[23 * k], 9);
  EXPECT_EQ(shard3[26 * k - 1], 9);
  EXPECT_EQ(summary->param_count, 9);
  EXPECT_EQ(summary->param_bytes, 127 * k);
  EXPECT_EQ(summary->shard_count, 4u);
}

TEST(TensorCacheWriter, ReachingTheCapExactlyCountsAsFull) {
  ScratchDir dir;
  auto writer = TensorCacheWriter::create(dir.path(), 32);
  ASSERT_TRUE(writer.ok());
  // 16+16 reaches 32 and 2*16 >= 32: out of band. 20+12 reaches 32, 2*12 < 32: commit first.
  const std::vector<Blob> blobs = {{"p", 16, 1}, {"q", 16, 2}, {"r", 4, 3}, {"s", 12, 4}};
  add_blobs(*writer, blobs);
  ASSERT_TRUE(writer->finish(10).ok());
  const std::vector<std::pair<size_t, uint64_t>> expected = {{1, 0}, {0, 0}, {1, 16}, {2, 0}};
  EXPECT_EQ(placement(writer->shards(), blobs), expected);
}

TEST(TensorCacheWriter, WritesMlcJsonWithRawFloat32Records) {
  ScratchDir dir;
  auto writer = TensorCacheWriter::create(dir.path());
  ASSERT_TRUE(writer.ok());
  const std::vector<float> f32 = {1.5f, -2.0f};
  const std::vector<uint16_t> f16 = {0x3c00, 0x4000, 0x4200};
  ASSERT_TRUE(writer->add("w.f32", DType::kFloat32, {2}, f32.data(), 8).ok());
  ASSERT_TRUE(writer->add("w.f16", DType::kFloat16, {1, 3}, f16.data(), 6).ok());
  auto summary = writer->finish(7);
  ASSERT_TRUE(summary.ok());
  EXPECT_DOUBLE_EQ(summary->bits_per_param, 14 * 8.0 / 7);

  const std::string text = testing::read_file(dir / "tensor-cache.json");
  const auto json = nlohmann::ordered_json::parse(text);
  EXPECT_EQ(json["metadata"]["ParamSize"], 2);
  EXPECT_TRUE(json["metadata"]["ParamBytes"].is_number_float());
  EXPECT_EQ(json["metadata"]["ParamBytes"].get<double>(), 14.0);
  const auto& records = json["records"][0]["records"];
  EXPECT_EQ(records[0]["format"], "raw");
  EXPECT_EQ(records[0]["dtype"], "float32");
  EXPECT_EQ(records[1]["format"], "f32-to-bf16");
  EXPECT_EQ(records[1]["byteOffset"], 8);
  // Raw float32 is lossless: the file holds the exact bits.
  const std::string shard = testing::read_file(dir / "params_shard_0.bin");
  ASSERT_EQ(shard.size(), 14u);
  EXPECT_EQ(std::memcmp(shard.data(), f32.data(), 8), 0);
  // Nothing but the cache is left behind.
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir.path())) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"params_shard_0.bin", "tensor-cache.json"}));
}

TEST(TensorCacheWriter, RejectsWrongByteCountsAndDuplicateNames) {
  ScratchDir dir;
  auto writer = TensorCacheWriter::create(dir.path());
  ASSERT_TRUE(writer.ok());
  const std::vector<uint8_t> bytes(16, 0);
  Status wrong = writer->add("x", DType::kFloat16, {3}, bytes.data(), 4);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().to_string().find("x [3] float16 needs 6 bytes, got 4"), std::string::npos)
      << wrong.error().to_string();
  ASSERT_TRUE(writer->add("y", DType::kUInt32, {2}, bytes.data(), 8).ok());
  Status duplicate = writer->add("y", DType::kUInt32, {2}, bytes.data(), 8);
  ASSERT_FALSE(duplicate.ok());
  EXPECT_NE(duplicate.error().to_string().find("twice"), std::string::npos);
  EXPECT_FALSE(writer->finish(0).ok());
}

TEST(TensorCacheWriter, AbandonedWriterLeavesNoPendingShard) {
  ScratchDir dir;
  {
    auto writer = TensorCacheWriter::create(dir.path());
    ASSERT_TRUE(writer.ok());
    const std::vector<uint8_t> bytes(100, 1);
    ASSERT_TRUE(writer->add("z", DType::kUInt8, {100}, bytes.data(), 100).ok());
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(TensorCacheWriter, CreateFailsForMissingDirectory) {
  ScratchDir dir;
  auto writer = TensorCacheWriter::create(dir / "absent");
  ASSERT_FALSE(writer.ok());
  EXPECT_NE(writer.error().message().find("absent"), std::string::npos);
}

// Feeds zero-filled tensors with the exact names, dtypes and shapes of a real MLC cache, in
// its order, and checks the layout, metadata and JSON text match it (md5 values aside).
void replay_real_cache(const fs::path& cache_dir, int64_t original_param_count) {
  const std::string real_text = testing::read_file(cache_dir / "tensor-cache.json");
  const auto real = nlohmann::ordered_json::parse(real_text);
  uint64_t largest = 0;
  for (const auto& shard : real["records"])
    for (const auto& record : shard["records"])
      largest = std::max<uint64_t>(largest, record["nbytes"].get<uint64_t>());
  const std::vector<uint8_t> zeros(largest, 0);

  ScratchDir dir;
  auto writer = TensorCacheWriter::create(dir.path());
  ASSERT_TRUE(writer.ok());
  for (const auto& shard : real["records"])
    for (const auto& record : shard["records"]) {
      const auto dtype = parse_dtype(record["dtype"].get<std::string>());
      ASSERT_TRUE(dtype.has_value());
      Status added = writer->add(record["name"].get<std::string>(), *dtype,
                                 record["shape"].get<std::vector<int64_t>>(), zeros.data(),
                                 record["nbytes"].get<uint64_t>());
      ASSERT_TRUE(added.ok()) << added.error().to_string();
    }
  auto summary = writer->finish(original_param_count);
  ASSERT_TRUE(summary.ok()) << summary.error().to_string();

  const auto& shards = writer->shards();
  ASSERT_EQ(shards.size(), real["records"].size());
  for (size_t s = 0; s < shards.size(); ++s) {
    const auto& real_shard = real["records"][s];
    EXPECT_EQ(shards[s].data_path, real_shard["dataPath"]);
    EXPECT_EQ(shards[s].nbytes, real_shard["nbytes"].get<uint64_t>()) << s;
    EXPECT_EQ(fs::file_size(dir / shards[s].data_path), shards[s].nbytes);
    ASSERT_EQ(shards[s].records.size(), real_shard["records"].size()) << s;
    for (size_t r = 0; r < shards[s].records.size(); ++r) {
      EXPECT_EQ(shards[s].records[r].name, real_shard["records"][r]["name"]);
      EXPECT_EQ(shards[s].records[r].byte_offset,
                real_shard["records"][r]["byteOffset"].get<uint64_t>());
    }
  }
  EXPECT_EQ(nlohmann::ordered_json(summary->param_count), real["metadata"]["ParamSize"]);
  EXPECT_EQ(static_cast<double>(summary->param_bytes), real["metadata"]["ParamBytes"].get<double>());
  EXPECT_EQ(summary->bits_per_param, real["metadata"]["BitsPerParam"].get<double>());

  // Byte-for-byte the same document once md5 values are masked: key order, indent, number
  // formatting ("277996288.0"), no trailing newline.
  const std::regex md5(R"("md5sum": "[0-9a-f]{32}")");
  const std::string ours = testing::read_file(dir / "tensor-cache.json");
  EXPECT_EQ(std::regex_replace(ours, md5, "\"md5sum\": \"-\""),
            std::regex_replace(real_text, md5, "\"md5sum\": \"-\""));
}

TEST(TensorCacheWriter, ReplaysQwen25HalfBillionCacheExactly) {
  AAE_REQUIRE_TESTDATA(testdata);
  // Qwen2.5-0.5B (tied): 494,032,768 parameters before quantization.
  replay_real_cache(testdata / "mlc-real" / "qwen2.5-0.5b-med-q4f16_1-MLC", 494032768);
}

TEST(TensorCacheWriter, ReplaysReaderLmV2CacheExactly) {
  AAE_REQUIRE_TESTDATA(testdata);
  // ReaderLM-v2 is a Qwen2.5-1.5B (tied): 1,543,714,304 parameters before quantization.
  replay_real_cache(testdata / "mlc-real" / "ReaderLM-v2-q4f16_1-MLC", 1543714304);
}

}  // namespace
}  // namespace aae
