#include "runtime/engine/decode_traffic.h"

#include <gtest/gtest.h>

namespace aae {
namespace {

TensorRecord record(const std::string& name, int64_t nbytes, std::vector<int64_t> shape = {},
                    DType dtype = DType::kUInt32, std::string format = "raw") {
  TensorRecord r;
  r.name = name;
  r.shape = shape.empty() ? std::vector<int64_t>{nbytes / 4} : shape;
  r.dtype = dtype;
  r.format = std::move(format);
  r.nbytes = nbytes;
  r.byte_offset = 0;
  return r;
}

// A cache holding `names` with the given sizes, and library info declaring them all.
void make_model(const std::vector<std::pair<std::string, int64_t>>& tensors, TensorCache* cache,
                ModelLibInfo* info) {
  ShardRecord shard;
  shard.data_path = "params_shard_0.bin";
  for (const auto& [name, bytes] : tensors) {
    shard.records.push_back(record(name, bytes));
    info->params.push_back(DeclaredParam{name, {bytes / 4}, DType::kUInt32});
  }
  cache->shards.push_back(shard);
  info->context_window_size = 64;
}

TEST(DecodeTraffic, SkipsTheEmbeddingTableWhenTheHeadIsSeparate) {
  TensorCache cache;
  ModelLibInfo info;
  make_model({{"model.embed_tokens.q_weight", 4000}, {"model.embed_tokens.q_scale", 400},
              {"model.layers.0.mlp.down_proj.q_weight", 800}, {"lm_head.q_weight", 4000}},
             &cache, &info);
  const DecodeTraffic t = decode_traffic(cache, info, KvShape{100, 64}, 10, 4);
  EXPECT_FALSE(t.tied_embedding);
  EXPECT_EQ(t.embedding_bytes, 4400);
  EXPECT_EQ(t.weight_bytes, 4800);
  // positions 10..13 read 11..14 rows: mean 12.5 rows of 100 bytes
  EXPECT_DOUBLE_EQ(t.kv_bytes, 1250);
  EXPECT_DOUBLE_EQ(t.bytes_per_token(), 6050);
  EXPECT_EQ(tensor_cache_bytes(cache), 9200);
}

TEST(DecodeTraffic, CountsATiedEmbeddingTableAsTheHead) {
  TensorCache cache;
  ModelLibInfo info;
  make_model({{"model.embed_tokens.weight", 4000}, {"model.norm.weight", 40}}, &cache, &info);
  const DecodeTraffic t = decode_traffic(cache, info, KvShape{8, 64}, 0, 1);
  EXPECT_TRUE(t.tied_embedding);
  EXPECT_EQ(t.weight_bytes, 4040);
  EXPECT_DOUBLE_EQ(t.kv_bytes, 8);  // position 0 reads its own row
}

TEST(DecodeTraffic, KvRowsStopGrowingAtTheCacheCapacity) {
  TensorCache cache;
  ModelLibInfo info;
  make_model({{"model.embed_tokens.weight", 40}}, &cache, &info);
  const DecodeTraffic t = decode_traffic(cache, info, KvShape{10, 16}, 100, 8);
  EXPECT_DOUBLE_EQ(t.kv_bytes, 160);
}

TEST(DecodeTraffic, Bf16StoredFloat32CountsItsWidenedSize) {
  TensorCache cache;
  ModelLibInfo info;
  ShardRecord shard;
  shard.records.push_back(record("model.norm.weight", 200, {100}, DType::kFloat32, "f32-to-bf16"));
  cache.shards.push_back(shard);
  info.params.push_back(DeclaredParam{"model.norm.weight", {100}, DType::kFloat32});
  EXPECT_EQ(decode_traffic(cache, info, KvShape{0, 1}, 0, 0).weight_bytes, 400);
}

TEST(KvShape, ComesFromTheMetadataKvCacheObject) {
  ModelLibInfo info;
  info.context_window_size = 2048;
  auto shape = kv_shape_from_metadata(
      R"({"kv_cache": {"num_hidden_layers": 22, "num_attention_heads": 32,
          "num_key_value_heads": 4, "head_dim": 64, "capacity_tokens": 2048,
          "dtype": "float16"}})",
      info, "lib.so");
  ASSERT_TRUE(shape.ok()) << shape.error().message();
  EXPECT_EQ(shape->row_bytes, 2 * 22 * 4 * 64 * 2);
  EXPECT_EQ(shape->capacity_tokens, 2048);
}

TEST(KvShape, OldMetadataFallsBackToTheCacheSizeOverTheWindow) {
  ModelLibInfo info;
  info.context_window_size = 100;
  info.kv_cache_bytes = 51200;
  auto shape = kv_shape_from_metadata("{}", info, "lib.so");
  ASSERT_TRUE(shape.ok()) << shape.error().message();
  EXPECT_EQ(shape->row_bytes, 512);
  EXPECT_EQ(shape->capacity_tokens, 100);
}

TEST(KvShape, UnknownDtypeIsAnErrorNamingTheLibraryAndPath) {
  ModelLibInfo info;
  auto shape = kv_shape_from_metadata(
      R"({"kv_cache": {"num_hidden_layers": 1, "num_key_value_heads": 1, "head_dim": 8,
          "dtype": "float12"}})",
      info, "lib.so");
  ASSERT_FALSE(shape.ok());
  EXPECT_NE(shape.error().message().find("lib.so"), std::string::npos);
  EXPECT_NE(shape.error().message().find("metadata.kv_cache.dtype"), std::string::npos);
}

}  // namespace
}  // namespace aae
