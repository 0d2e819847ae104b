#include "runtime/format/tensor_cache.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/test_support.h"

namespace aae {
namespace {

const char kQwen[] = "qwen2.5-0.5b-med-q4f16_1-MLC";
const char kReaderLM[] = "ReaderLM-v2-q4f16_1-MLC";

// A tensor record as MLC writes it.
std::string record_json(const std::string& name, const std::string& shape, const std::string& dtype,
                        int64_t nbytes, int64_t offset, const std::string& format = "f32-to-bf16") {
  return R"({"name": ")" + name + R"(", "shape": )" + shape + R"(, "dtype": ")" + dtype +
         R"(", "format": ")" + format + R"(", "nbytes": )" + std::to_string(nbytes) +
         R"(, "byteOffset": )" + std::to_string(offset) + "}";
}

std::string shard_json(const std::string& data_path, int64_t nbytes, const std::string& records,
                       const std::string& md5 = "", const std::string& format = "raw-shard") {
  return R"({"dataPath": ")" + data_path + R"(", "format": ")" + format + R"(", "nbytes": )" +
         std::to_string(nbytes) + R"(, "records": [)" + records + R"(], "md5sum": ")" + md5 + "\"}";
}

std::string cache_json(const std::string& shards) {
  return R"({"metadata": {"ParamSize": 3, "ParamBytes": 56.0, "BitsPerParam": 16.0}, "records": [)" +
         shards + "]}";
}

// A valid two-shard cache: a [2, 3] float32 stored as bf16 (12 bytes) and a [4] float16 (8 bytes)
// in shard 0; a [5] uint8 in shard 1.
std::string valid_cache() {
  return cache_json(
      shard_json("params_shard_0.bin", 20,
                 record_json("a", "[2, 3]", "float32", 12, 0) + ", " +
                     record_json("b", "[4]", "float16", 8, 12)) +
      ", " + shard_json("params_shard_1.bin", 5, record_json("c", "[5]", "uint8", 5, 0, "raw")));
}

std::string cache_error(const std::string& json) {
  auto cache = parse_tensor_cache(json, "tensor-cache.json");
  EXPECT_FALSE(cache.ok()) << "parsed unexpectedly: " << json;
  return cache.ok() ? std::string() : cache.error().message();
}

TEST(TensorCache, ParsesValidSyntheticCache) {
  auto cache = parse_tensor_cache(valid_cache(), "some/dir/ndarray-cache.json");
  ASSERT_TRUE(cache.ok()) << cache.error().to_string();
  EXPECT_EQ(cache->file_name, "ndarray-cache.json");
  EXPECT_EQ(cache->metadata.param_size, 3);
  EXPECT_EQ(cache->metadata.param_bytes, 56.0);
  ASSERT_EQ(cache->shards.size(), 2u);
  EXPECT_EQ(cache->num_tensors(), 3u);
  const TensorRecord& a = cache->shards[0].records[0];
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a.numel(), 6);
  EXPECT_TRUE(a.stored_as_bf16());
  EXPECT_FALSE(cache->shards[0].records[1].stored_as_bf16());
  EXPECT_EQ(cache->shards[1].records[0].dtype, DType::kUInt8);
  EXPECT_EQ(cache->shards[1].md5sum, "");
}

TEST(TensorCache, MetadataIsOptional) {
  auto cache = parse_tensor_cache(R"({"records": []})", "tensor-cache.json");
  ASSERT_TRUE(cache.ok()) << cache.error().to_string();
  EXPECT_FALSE(cache->metadata.param_size.has_value());
  EXPECT_TRUE(cache->shards.empty());
}

TEST(TensorCache, ReadsRealQwenCacheExactly) {
  AAE_REQUIRE_TESTDATA(data);
  auto cache = read_tensor_cache((data / "mlc-real" / kQwen).string());
  ASSERT_TRUE(cache.ok()) << cache.error().to_string();
  EXPECT_EQ(cache->file_name, "tensor-cache.json");
  EXPECT_EQ(cache->metadata.param_size, 267);
  EXPECT_EQ(cache->metadata.param_bytes, 277996288.0);
  EXPECT_DOUBLE_EQ(*cache->metadata.bits_per_param, 4.501665573729716);
  ASSERT_EQ(cache->shards.size(), 8u);
  EXPECT_EQ(cache->num_tensors(), 267u);
  const ShardRecord& shard0 = cache->shards[0];
  EXPECT_EQ(shard0.data_path, "params_shard_0.bin");
  EXPECT_EQ(shard0.format, "raw-shard");
  EXPECT_EQ(shard0.nbytes, 68067328);
  EXPECT_EQ(shard0.md5sum, "213465cd1a5ff5b58d9e5e60d91f0012");
  const TensorRecord& first = shard0.records[0];
  EXPECT_EQ(first.name, "model.embed_tokens.q_weight");
  EXPECT_EQ(first.shape, (std::vector<int64_t>{151936, 112}));
  EXPECT_EQ(first.dtype, DType::kUInt32);
  EXPECT_EQ(first.format, "f32-to-bf16");
  EXPECT_EQ(first.nbytes, 68067328);
  EXPECT_EQ(first.byte_offset, 0);
  EXPECT_EQ(cache->shards[1].records[1].name, "model.layers.0.input_layernorm.weight");
  EXPECT_EQ(cache->shards[1].records[1].byte_offset, 8508416);
  EXPECT_EQ(cache->shards[7].data_path, "params_shard_7.bin");
}

TEST(TensorCache, ReadsRealReaderLMCache) {
  AAE_REQUIRE_TESTDATA(data);
  auto cache = read_tensor_cache((data / "mlc-real" / kReaderLM).string());
  ASSERT_TRUE(cache.ok()) << cache.error().to_string();
  EXPECT_EQ(cache->shards.size(), 30u);
  EXPECT_EQ(cache->num_tensors(), 311u);
  EXPECT_EQ(cache->metadata.param_size, 311);
  EXPECT_EQ(cache->shards[0].records[0].shape, (std::vector<int64_t>{151936, 192}));
  EXPECT_EQ(cache->shards[0].md5sum, "fd32a671c55459d2b2b61ce6db69ff52");
}

TEST(TensorCache, CheckShardFilesReportsEachMissingRealShard) {
  AAE_REQUIRE_TESTDATA(data);
  const std::string dir = (data / "mlc-real" / kQwen).string();
  auto cache = read_tensor_cache(dir);
  ASSERT_TRUE(cache.ok()) << cache.error().to_string();
  std::vector<std::string> problems;
  Status status = check_shard_files(*cache, dir, /*verify_md5=*/true, &problems);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message(), "8 of 8 shard files in " + dir + " are missing or damaged");
  ASSERT_EQ(problems.size(), 8u);
  EXPECT_EQ(problems[0], "params_shard_0.bin: missing (expected 68067328 bytes)");
  for (size_t i = 0; i < problems.size(); ++i) {
    EXPECT_EQ(problems[i].rfind("params_shard_" + std::to_string(i) + ".bin: missing", 0), 0u)
        << problems[i];
  }
  EXPECT_EQ(status.error().causes().size(), 8u);
  EXPECT_FALSE(status.error().hint().empty());
}

TEST(TensorCache, CheckShardFilesChecksSizeAndMd5) {
  testing::ScratchDir dir;
  const std::string json =
      cache_json(shard_json("ok.bin", 3, record_json("a", "[3]", "uint8", 3, 0),
                            "900150983CD24FB0D6963F7D28E17F72") +
                 ", " + shard_json("short.bin", 4, record_json("b", "[4]", "uint8", 4, 0)) + ", " +
                 shard_json("bad_md5.bin", 3, record_json("c", "[3]", "uint8", 3, 0),
                            "00000000000000000000000000000000"));
  auto cache = parse_tensor_cache(json, "tensor-cache.json");
  ASSERT_TRUE(cache.ok()) << cache.error().to_string();
  testing::write_file(dir / "ok.bin", "abc");  // md5("abc") = 900150983cd24fb0d6963f7d28e17f72
  testing::write_file(dir / "short.bin", "xyz");
  testing::write_file(dir / "bad_md5.bin", "abd");

  std::vector<std::string> problems;
  Status without_md5 = check_shard_files(*cache, dir.path().string(), false, &problems);
  ASSERT_FALSE(without_md5.ok());
  ASSERT_EQ(problems, (std::vector<std::string>{"short.bin: size 3 bytes, expected 4 bytes"}));

  problems.clear();
  Status with_md5 = check_shard_files(*cache, dir.path().string(), true, &problems);
  ASSERT_FALSE(with_md5.ok());
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0], "short.bin: size 3 bytes, expected 4 bytes");
  EXPECT_EQ(problems[1],
            "bad_md5.bin: md5 4911e516e5aa21d327512e0c8b197616, expected "
            "00000000000000000000000000000000");
  EXPECT_EQ(with_md5.error().message(),
            "2 of 3 shard files in " + dir.path().string() + " are missing or damaged");

  testing::write_file(dir / "short.bin", "wxyz");
  testing::write_file(dir / "bad_md5.bin", "abc");
  auto fixed = parse_tensor_cache(
      cache_json(shard_json("ok.bin", 3, record_json("a", "[3]", "uint8", 3, 0),
                            "900150983cd24fb0d6963f7d28e17f72") +
                 ", " + shard_json("short.bin", 4, record_json("b", "[4]", "uint8", 4, 0))),
      "tensor-cache.json");
  ASSERT_TRUE(fixed.ok());
  EXPECT_TRUE(check_shard_files(*fixed, dir.path().string(), true, nullptr).ok());
}

TEST(TensorCache, PrefersTensorCacheOverLegacyName) {
  testing::ScratchDir dir;
  testing::write_file(dir / "ndarray-cache.json", R"({"records": []})");
  auto legacy = read_tensor_cache(dir.path().string());
  ASSERT_TRUE(legacy.ok()) << legacy.error().to_string();
  EXPECT_EQ(legacy->file_name, "ndarray-cache.json");
  testing::write_file(dir / "tensor-cache.json", valid_cache());
  auto current = read_tensor_cache(dir.path().string());
  ASSERT_TRUE(current.ok()) << current.error().to_string();
  EXPECT_EQ(current->file_name, "tensor-cache.json");
  EXPECT_EQ(current->num_tensors(), 3u);
}

TEST(TensorCache, MissingCacheFileGivesHint) {
  testing::ScratchDir dir;
  auto cache = read_tensor_cache(dir.path().string());
  ASSERT_FALSE(cache.ok());
  EXPECT_NE(cache.error().message().find("neither tensor-cache.json nor ndarray-cache.json"),
            std::string::npos);
  EXPECT_NE(cache.error().hint().find("params_shard"), std::string::npos);
}

TEST(TensorCache, ReadErrorsNameTheFilePath) {
  testing::ScratchDir dir;
  testing::write_file(dir / "tensor-cache.json", R"({"records": [1]})");
  auto cache = read_tensor_cache(dir.path().string());
  ASSERT_FALSE(cache.ok());
  EXPECT_EQ(cache.error().message(), (dir / "tensor-cache.json").string() +
                                         ": records[0]: expected an object, found number");
}

TEST(TensorCacheErrors, MalformedJson) {
  EXPECT_EQ(cache_error("{\"records\": [}"),
            "tensor-cache.json: line 1, column 14: unexpected '}', expected a value");
}

TEST(TensorCacheErrors, WrongNbytes) {
  EXPECT_EQ(cache_error(
                cache_json(shard_json("s.bin", 100, record_json("w", "[2, 3]", "float16", 10, 0)))),
            "tensor-cache.json: records[0].records[0].nbytes: 10 does not match shape [2, 3] of "
            "float16 (expected 12 bytes)");
}

TEST(TensorCacheErrors, Float32StoredAsBf16NeedsTwoBytesPerElement) {
  const std::string msg =
      cache_error(cache_json(shard_json("s.bin", 100, record_json("w", "[4]", "float32", 16, 0))));
  EXPECT_NE(msg.find("nbytes: 16 does not match shape [4] of float32 (expected 8 bytes, float32 "
                     "stored as bfloat16"),
            std::string::npos)
      << msg;
  // The same tensor in the "raw" format keeps 4 bytes per element.
  EXPECT_TRUE(
      parse_tensor_cache(
          cache_json(shard_json("s.bin", 100, record_json("w", "[4]", "float32", 16, 0, "raw"))),
          "t.json")
          .ok());
}

TEST(TensorCacheErrors, OffsetPastEndOfShard) {
  EXPECT_EQ(cache_error(cache_json(shard_json("params_shard_0.bin", 20,
                                              record_json("a", "[2]", "float16", 4, 0) + "," +
                                                  record_json("b", "[4]", "float16", 8, 16)))),
            "tensor-cache.json: records[0].records[1]: tensor \"b\" spans bytes [16, 24) but shard "
            "params_shard_0.bin has 20 bytes");
}

TEST(TensorCacheErrors, OverlappingRecords) {
  EXPECT_EQ(cache_error(
                cache_json(shard_json("s.bin", 64,
                                      record_json("late", "[4]", "float32", 16, 40, "raw") + "," +
                                          record_json("a", "[8]", "float32", 32, 0, "raw") + "," +
                                          record_json("empty", "[0]", "float32", 0, 10, "raw") +
                                          "," + record_json("b", "[2]", "float32", 8, 24, "raw")))),
            "tensor-cache.json: records[0].records[3]: tensor \"b\" at bytes [24, 32) overlaps "
            "tensor \"a\" at [0, 32)");
}

TEST(TensorCacheErrors, UnknownDtypeListsAcceptedOnes) {
  auto cache = parse_tensor_cache(
      cache_json(shard_json("s.bin", 8, record_json("w", "[8]", "float8_e4m3", 8, 0))), "t.json");
  ASSERT_FALSE(cache.ok());
  EXPECT_EQ(cache.error().message(),
            "t.json: records[0].records[0].dtype: unknown dtype \"float8_e4m3\"");
  EXPECT_EQ(cache.error().hint(),
            "accepted dtypes: float32, float16, bfloat16, uint32, int32, int8, uint8");
}

TEST(TensorCacheErrors, DuplicateNamesAcrossShards) {
  const std::string shard0 = shard_json("s0.bin", 4, record_json("w", "[4]", "uint8", 4, 0));
  const std::string shard1 = shard_json(
      "s1.bin", 4,
      record_json("v", "[2]", "uint8", 2, 0) + "," + record_json("w", "[2]", "uint8", 2, 2));
  EXPECT_EQ(cache_error(cache_json(shard0 + "," + shard1)),
            "tensor-cache.json: records[1].records[1].name: duplicate tensor name \"w\" (first at "
            "records[0].records[0])");
}

TEST(TensorCacheErrors, DataPathMustBeAPlainFileName) {
  for (const std::string bad :
       {"../params_shard_0.bin", "sub/params_shard_0.bin", "..", "", "/etc/passwd", "a\\\\b.bin"}) {
    const std::string msg =
        cache_error(cache_json(shard_json(bad, 4, record_json("w", "[4]", "uint8", 4, 0))));
    EXPECT_NE(msg.find("records[0].dataPath: "), std::string::npos) << bad;
    EXPECT_NE(msg.find("is not a plain file name"), std::string::npos) << bad;
  }
}

TEST(TensorCacheErrors, UnknownFormats) {
  EXPECT_EQ(cache_error(cache_json(
                shard_json("s.bin", 4, record_json("w", "[4]", "uint8", 4, 0), "", "zip"))),
            "tensor-cache.json: records[0].format: unknown shard format \"zip\" (expected "
            "\"raw-shard\")");
  EXPECT_EQ(cache_error(
                cache_json(shard_json("s.bin", 4, record_json("w", "[4]", "uint8", 4, 0, "f16")))),
            "tensor-cache.json: records[0].records[0].format: unknown tensor format \"f16\" "
            "(expected \"raw\" or \"f32-to-bf16\")");
}

TEST(TensorCacheErrors, BadShapesAndTypes) {
  EXPECT_EQ(
      cache_error(cache_json(shard_json("s.bin", 4, record_json("w", "[2, -2]", "uint8", 4, 0)))),
      "tensor-cache.json: records[0].records[0].shape[1]: negative dimension -2");
  EXPECT_EQ(cache_error(
                cache_json(shard_json("s.bin", 4, record_json("w", "[2, \"2\"]", "uint8", 4, 0)))),
            "tensor-cache.json: records[0].records[0].shape[1]: expected an integer, found string");
  EXPECT_NE(
      cache_error(cache_json(shard_json(
                      "s.bin", 4, record_json("w", "[4294967296, 4294967296]", "uint8", 4, 0))))
          .find("overflows"),
      std::string::npos);
  EXPECT_EQ(cache_error(R"({"records": [{"dataPath": "s.bin", "format": "raw-shard", "nbytes": "4",
                                        "records": []}]})"),
            "tensor-cache.json: records[0].nbytes: expected an integer, found string");
  EXPECT_EQ(cache_error(R"({"records": [{"dataPath": "s.bin", "format": "raw-shard", "nbytes": 4,
                                        "records": [{"name": "w", "shape": [4], "dtype": "uint8",
                                                     "format": "raw", "byteOffset": 0}]}]})"),
            "tensor-cache.json: records[0].records[0]: missing required field \"nbytes\"");
  EXPECT_EQ(cache_error(R"({"metadata": {}})"),
            "tensor-cache.json: missing required field \"records\"");
  EXPECT_EQ(cache_error(R"([])"), "tensor-cache.json: expected an object, found array");
  EXPECT_EQ(cache_error(R"({"metadata": {"ParamSize": "x"}, "records": []})"),
            "tensor-cache.json: metadata.ParamSize: expected an integer, found string");
  EXPECT_EQ(cache_error(
                cache_json(shard_json("s.bin", 4, record_json("w", "[4]", "uint8", 4, 0), "abc"))),
            "tensor-cache.json: records[0].md5sum: expected 32 hex digits, found \"abc\"");
}

}  // namespace
}  // namespace aae
