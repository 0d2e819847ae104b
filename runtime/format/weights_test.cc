#include "runtime/format/weights.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "runtime/base/half.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

void append_u16(std::string& bytes, uint16_t v) {
  bytes.append(reinterpret_cast<const char*>(&v), 2);
}
void append_f32(std::string& bytes, float v) { bytes.append(reinterpret_cast<const char*>(&v), 4); }
void append_u32(std::string& bytes, uint32_t v) {
  bytes.append(reinterpret_cast<const char*>(&v), 4);
}

// A two-shard model directory. Shard 0 packs, without padding (so later tensors are unaligned):
//   "tag"     uint8   [3]     raw          bytes 0..3
//   "norm"    float32 [2, 2]  f32-to-bf16  bytes 3..11   (stored as bf16)
//   "bias"    float32 [3]     raw          bytes 11..23
//   "scale"   float16 [2]     f32-to-bf16  bytes 23..27  (format label only; stored as fp16)
// Shard 1: "emb" bfloat16 [2] raw at 0..4, "q" uint32 [2] at 4..12.
class ModelWeightsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    shard0_ = "\x01\x02\x03";
    for (float v : {1.5f, -2.0f, 0.333f, 65504.0f}) append_u16(shard0_, float_to_bfloat16(v));
    for (float v : {0.1f, -7.25f, 3e-5f}) append_f32(shard0_, v);
    for (float v : {0.5f, -1024.0f}) append_u16(shard0_, float_to_half(v));
    std::string shard1;
    for (float v : {2.5f, -0.125f}) append_u16(shard1, float_to_bfloat16(v));
    append_u32(shard1, 0xdeadbeef);
    append_u32(shard1, 7);
    testing::write_file(dir_ / "params_shard_0.bin", shard0_);
    testing::write_file(dir_ / "params_shard_1.bin", shard1);
    testing::write_file(dir_ / "tensor-cache.json", R"({
      "metadata": {"ParamSize": 6},
      "records": [
        {"dataPath": "params_shard_0.bin", "format": "raw-shard", "nbytes": 27, "md5sum": "",
         "records": [
           {"name": "tag", "shape": [3], "dtype": "uint8", "format": "raw", "nbytes": 3, "byteOffset": 0},
           {"name": "norm", "shape": [2, 2], "dtype": "float32", "format": "f32-to-bf16", "nbytes": 8, "byteOffset": 3},
           {"name": "bias", "shape": [3], "dtype": "float32", "format": "raw", "nbytes": 12, "byteOffset": 11},
           {"name": "scale", "shape": [2], "dtype": "float16", "format": "f32-to-bf16", "nbytes": 4, "byteOffset": 23}
         ]},
        {"dataPath": "params_shard_1.bin", "format": "raw-shard", "nbytes": 12,
         "records": [
           {"name": "emb", "shape": [2], "dtype": "bfloat16", "format": "raw", "nbytes": 4, "byteOffset": 0},
           {"name": "q", "shape": [2], "dtype": "uint32", "format": "raw", "nbytes": 8, "byteOffset": 4}
         ]}
      ]})");
  }

  testing::ScratchDir dir_;
  std::string shard0_;
};

TEST_F(ModelWeightsTest, OpensAndIndexesEveryTensor) {
  auto weights = ModelWeights::open(dir_.path().string());
  ASSERT_TRUE(weights.ok()) << weights.error().to_string();
  EXPECT_EQ(weights->cache().num_tensors(), 6u);
  for (const char* name : {"tag", "norm", "bias", "scale", "emb", "q"})
    EXPECT_TRUE(weights->contains(name));
  EXPECT_FALSE(weights->contains("nope"));
}

TEST_F(ModelWeightsTest, GetPointsIntoTheMappingWithoutCopying) {
  auto weights = ModelWeights::open(dir_.path().string());
  ASSERT_TRUE(weights.ok()) << weights.error().to_string();
  auto tag = weights->get("tag");
  auto bias = weights->get("bias");
  ASSERT_TRUE(tag.ok() && bias.ok());
  EXPECT_EQ(tag->record->name, "tag");
  EXPECT_EQ(tag->nbytes(), 3u);
  EXPECT_EQ(std::memcmp(tag->data, "\x01\x02\x03", 3), 0);
  // Same shard mapping: the views are at their byte offsets from one base.
  EXPECT_EQ(bias->data - tag->data, 11);
  EXPECT_EQ(std::memcmp(bias->data, shard0_.data() + 11, 12), 0);
  auto q = weights->get("q");
  ASSERT_TRUE(q.ok());
  uint32_t first;
  std::memcpy(&first, q->data, 4);
  EXPECT_EQ(first, 0xdeadbeefu);
}

TEST_F(ModelWeightsTest, ReadF32WidensBf16StoredFloat32) {
  auto weights = ModelWeights::open(dir_.path().string());
  ASSERT_TRUE(weights.ok()) << weights.error().to_string();
  auto norm = weights->read_f32("norm");
  ASSERT_TRUE(norm.ok()) << norm.error().to_string();
  ASSERT_EQ(norm->size(), 4u);
  EXPECT_EQ((*norm)[0], 1.5f);
  EXPECT_EQ((*norm)[1], -2.0f);
  EXPECT_EQ((*norm)[2], bfloat16_to_float(float_to_bfloat16(0.333f)));
  EXPECT_NE((*norm)[2], 0.333f);    // really went through bf16
  EXPECT_EQ((*norm)[3], 65536.0f);  // 65504 rounds to the nearest bf16
}

TEST_F(ModelWeightsTest, ReadF32DecodesRawFloat32Float16AndBFloat16) {
  auto weights = ModelWeights::open(dir_.path().string());
  ASSERT_TRUE(weights.ok()) << weights.error().to_string();
  auto bias = weights->read_f32("bias");
  ASSERT_TRUE(bias.ok());
  EXPECT_EQ(*bias, (std::vector<float>{0.1f, -7.25f, 3e-5f}));
  auto scale = weights->read_f32("scale");
  ASSERT_TRUE(scale.ok());
  EXPECT_EQ(*scale, (std::vector<float>{0.5f, -1024.0f}));
  auto emb = weights->read_f32("emb");
  ASSERT_TRUE(emb.ok());
  EXPECT_EQ(*emb, (std::vector<float>{2.5f, -0.125f}));
}

TEST_F(ModelWeightsTest, ReadF32RejectsIntegerTensors) {
  auto weights = ModelWeights::open(dir_.path().string());
  ASSERT_TRUE(weights.ok()) << weights.error().to_string();
  auto q = weights->read_f32("q");
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().message(),
            "tensor \"q\" has dtype uint32; read_f32 decodes float32, float16 and bfloat16 only");
}

TEST_F(ModelWeightsTest, UnknownNameIsAnError) {
  auto weights = ModelWeights::open(dir_.path().string());
  ASSERT_TRUE(weights.ok()) << weights.error().to_string();
  auto missing = weights->get("lm_head.weight");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("tensor \"lm_head.weight\" not found"),
            std::string::npos);
  EXPECT_FALSE(weights->read_f32("lm_head.weight").ok());
}

TEST_F(ModelWeightsTest, ViewsSurviveMovingTheWeights) {
  auto opened = ModelWeights::open(dir_.path().string());
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  auto before = opened->get("bias");
  ASSERT_TRUE(before.ok());
  ModelWeights moved = std::move(opened).value();
  auto after = moved.get("bias");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(before->data, after->data);
  EXPECT_EQ(before->record, after->record);
  EXPECT_EQ(before->record->name, "bias");
}

TEST_F(ModelWeightsTest, TruncatedShardFailsNamingTheFile) {
  testing::write_file(dir_ / "params_shard_1.bin", "\x01\x02\x03");
  auto weights = ModelWeights::open(dir_.path().string());
  ASSERT_FALSE(weights.ok());
  EXPECT_EQ(weights.error().message(), "weight shard " + (dir_ / "params_shard_1.bin").string() +
                                           " has 3 bytes, but tensor-cache.json says 12");
  EXPECT_FALSE(weights.error().hint().empty());
}

TEST_F(ModelWeightsTest, MissingShardFailsNamingTheFile) {
  std::filesystem::remove(dir_ / "params_shard_0.bin");
  auto weights = ModelWeights::open(dir_.path().string());
  ASSERT_FALSE(weights.ok());
  EXPECT_NE(weights.error().message().find("params_shard_0.bin"), std::string::npos);
}

TEST(ModelWeights, MissingCacheIsAnError) {
  testing::ScratchDir dir;
  auto weights = ModelWeights::open(dir.path().string());
  ASSERT_FALSE(weights.ok());
  EXPECT_NE(weights.error().message().find("no tensor cache"), std::string::npos);
}

TEST(ModelWeights, RealModelWithoutShardsNamesTheFirstMissingShard) {
  AAE_REQUIRE_TESTDATA(data);
  const auto dir = data / "mlc-real" / "qwen2.5-0.5b-med-q4f16_1-MLC";
  auto weights = ModelWeights::open(dir.string());
  ASSERT_FALSE(weights.ok());
  EXPECT_NE(weights.error().message().find("params_shard_0.bin"), std::string::npos);
}

}  // namespace
}  // namespace aae
