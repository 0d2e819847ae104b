#include "convert/source/safetensors.h"

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "convert/source/safetensors_writer.h"
#include "runtime/base/half.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

using ::aae::testing::ScratchDir;
using ::aae::testing::write_file;

// A tensor to lay out by hand: the JSON header entry is built from these fields verbatim, so
// tests can write inconsistent headers on purpose.
struct RawTensor {
  std::string name;
  std::string dtype;   // "F32", "F16", ...
  std::string shape;   // JSON, e.g. "[2,3]"
  std::string bytes;   // data
  std::string offsets; // JSON override of data_offsets; empty = computed
};

std::string le64(uint64_t v) {
  std::string out(8, '\0');
  std::memcpy(out.data(), &v, 8);
  return out;
}

std::string safetensors_bytes(const std::vector<RawTensor>& tensors) {
  std::string header = "{\"__metadata__\":{\"format\":\"pt\"}";
  std::string data;
  for (const auto& t : tensors) {
    const std::string offsets = t.offsets.empty()
                                    ? "[" + std::to_string(data.size()) + "," +
                                          std::to_string(data.size() + t.bytes.size()) + "]"
                                    : t.offsets;
    header += ",\"" + t.name + "\":{\"dtype\":\"" + t.dtype + "\",\"shape\":" + t.shape +
              ",\"data_offsets\":" + offsets + "}";
    data += t.bytes;
  }
  header += "}";
  return le64(header.size()) + header + data;
}

std::string f32_bytes(const std::vector<float>& values) {
  std::string out(values.size() * 4, '\0');
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

std::string u16_bytes(const std::vector<uint16_t>& values) {
  std::string out(values.size() * 2, '\0');
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

// Values exactly representable in fp16 and bf16, including a subnormal half and negatives.
const std::vector<float> kExact = {0.0f, -1.5f, 0.25f, 65504.0f / 256, -3.0f, 5.9604645e-08f};

std::string error_of(const Result<std::unique_ptr<TensorSource>>& result) {
  EXPECT_FALSE(result.ok());
  return result.ok() ? std::string() : result.error().to_string();
}

TEST(Safetensors, ReadsSingleFileF32F16BF16Exactly) {
  ScratchDir dir;
  std::vector<uint16_t> halves, bhalves;
  for (float v : kExact) halves.push_back(float_to_half(v));
  const std::vector<float> bf_values = {1.0f, -2.5f, 3.140625f, 0.0f};
  for (float v : bf_values) bhalves.push_back(float_to_bfloat16(v));
  write_file(dir / "model.safetensors",
             safetensors_bytes({{"a.weight", "F32", "[2,3]", f32_bytes(kExact), ""},
                                {"b.weight", "F16", "[6]", u16_bytes(halves), ""},
                                {"c.weight", "BF16", "[2,2]", u16_bytes(bhalves), ""}}));
  auto source = open_safetensors(dir.path());
  ASSERT_TRUE(source.ok()) << source.error().to_string();
  ASSERT_EQ((*source)->tensors().size(), 3u);
  const SourceTensor* a = (*source)->find("a.weight");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dtype, DType::kFloat32);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ((*source)->find("b.weight")->dtype, DType::kFloat16);
  EXPECT_EQ((*source)->find("c.weight")->dtype, DType::kBFloat16);
  EXPECT_EQ((*source)->find("nope"), nullptr);

  auto a_values = (*source)->read_f32("a.weight");
  ASSERT_TRUE(a_values.ok());
  EXPECT_EQ(*a_values, kExact);
  auto b_values = (*source)->read_f32("b.weight");
  ASSERT_TRUE(b_values.ok());
  EXPECT_EQ(*b_values, kExact);
  auto c_values = (*source)->read_f32("c.weight");
  ASSERT_TRUE(c_values.ok());
  EXPECT_EQ(*c_values, bf_values);
  EXPECT_FALSE((*source)->read_f32("missing").ok());
}

TEST(Safetensors, ReadsIndexShardedCheckpoint) {
  ScratchDir dir;
  write_file(dir / "model-00001-of-00002.safetensors",
             safetensors_bytes({{"x", "F32", "[2]", f32_bytes({1.0f, 2.0f}), ""}}));
  write_file(dir / "model-00002-of-00002.safetensors",
             safetensors_bytes({{"y", "F32", "[1,1]", f32_bytes({7.0f}), ""}}));
  write_file(dir / "model.safetensors.index.json",
             R"({"metadata": {"total_size": 12}, "weight_map": {
                  "x": "model-00001-of-00002.safetensors", "y": "model-00002-of-00002.safetensors"}})");
  auto source = open_safetensors(dir.path());
  ASSERT_TRUE(source.ok()) << source.error().to_string();
  EXPECT_EQ((*source)->tensors().size(), 2u);
  auto y = (*source)->read_f32("y");
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(*y, std::vector<float>{7.0f});
  auto x = (*source)->read_f32("x");
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(*x, (std::vector<float>{1.0f, 2.0f}));
}

TEST(Safetensors, ReadsFileFromSafetensorsWriter) {
  ScratchDir dir;
  SafetensorsWriter writer;
  std::vector<uint8_t> bytes(8);
  const float values[2] = {-0.5f, 42.0f};
  std::memcpy(bytes.data(), values, 8);
  writer.add("w", DType::kFloat32, {2, 1}, bytes);
  writer.add("h", DType::kFloat16, {1}, {0x00, 0x3c});  // 1.0 in fp16
  ASSERT_TRUE(writer.write((dir / "model.safetensors").string()).ok());
  auto source = open_safetensors(dir.path());
  ASSERT_TRUE(source.ok()) << source.error().to_string();
  auto w = (*source)->read_f32("w");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(*w, (std::vector<float>{-0.5f, 42.0f}));
  auto h = (*source)->read_f32("h");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(*h, std::vector<float>{1.0f});
}

TEST(Safetensors, HeaderLengthOverflowIsAnError) {
  ScratchDir dir;
  write_file(dir / "model.safetensors", le64(~uint64_t{0}) + "{}");
  const std::string message = error_of(open_safetensors(dir.path()));
  EXPECT_NE(message.find("header length"), std::string::npos) << message;
  EXPECT_NE(message.find("overflows"), std::string::npos) << message;
  EXPECT_NE(message.find("model.safetensors"), std::string::npos) << message;
}

TEST(Safetensors, TooSmallFileIsAnError) {
  ScratchDir dir;
  write_file(dir / "model.safetensors", "abc");
  EXPECT_NE(error_of(open_safetensors(dir.path())).find("too small"), std::string::npos);
}

TEST(Safetensors, InvalidHeaderJsonIsAnError) {
  ScratchDir dir;
  write_file(dir / "model.safetensors", le64(5) + "{\"a\":");
  EXPECT_NE(error_of(open_safetensors(dir.path())).find("not valid JSON"), std::string::npos);
}

TEST(Safetensors, TruncatedDataIsAnError) {
  ScratchDir dir;
  std::string bytes = safetensors_bytes({{"t", "F32", "[4]", f32_bytes({1, 2, 3, 4}), ""}});
  bytes.resize(bytes.size() - 3);
  write_file(dir / "model.safetensors", bytes);
  const std::string message = error_of(open_safetensors(dir.path()));
  EXPECT_NE(message.find("'t'"), std::string::npos) << message;
  EXPECT_NE(message.find("outside the data region"), std::string::npos) << message;
}

TEST(Safetensors, OffsetsOutOfRangeAreAnError) {
  ScratchDir dir;
  write_file(dir / "model.safetensors",
             safetensors_bytes({{"t", "F32", "[1]", f32_bytes({1}), "[1000,1004]"}}));
  EXPECT_NE(error_of(open_safetensors(dir.path())).find("outside the data region"), std::string::npos);
  write_file(dir / "model.safetensors",
             safetensors_bytes({{"t", "F32", "[1]", f32_bytes({1}), "[4,0]"}}));
  EXPECT_NE(error_of(open_safetensors(dir.path())).find("outside the data region"), std::string::npos);
}

TEST(Safetensors, OffsetsThatDoNotMatchShapeAndDtypeAreAnError) {
  ScratchDir dir;
  // Shape [2] of F32 needs 8 bytes, but the entry spans only 4.
  write_file(dir / "model.safetensors",
             safetensors_bytes({{"t", "F32", "[2]", f32_bytes({1, 2}), "[0,4]"}}));
  const std::string message = error_of(open_safetensors(dir.path()));
  EXPECT_NE(message.find("needs 8 bytes"), std::string::npos) << message;
}

TEST(Safetensors, UnsupportedDtypeNamesTensorAndDtype) {
  ScratchDir dir;
  write_file(dir / "model.safetensors",
             safetensors_bytes({{"ids", "I64", "[1]", std::string(8, '\0'), ""}}));
  auto result = open_safetensors(dir.path());
  const std::string message = error_of(result);
  EXPECT_NE(message.find("'ids'"), std::string::npos) << message;
  EXPECT_NE(message.find("I64"), std::string::npos) << message;
  EXPECT_FALSE(result.error().hint().empty());
}

TEST(Safetensors, MissingShardFileIsAnError) {
  ScratchDir dir;
  write_file(dir / "a.safetensors", safetensors_bytes({{"x", "F32", "[1]", f32_bytes({1}), ""}}));
  write_file(dir / "model.safetensors.index.json",
             R"({"weight_map": {"x": "a.safetensors", "y": "b.safetensors"}})");
  const std::string message = error_of(open_safetensors(dir.path()));
  EXPECT_NE(message.find("b.safetensors"), std::string::npos) << message;
  EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
}

TEST(Safetensors, DuplicateTensorAcrossShardsIsAnError) {
  ScratchDir dir;
  write_file(dir / "a.safetensors", safetensors_bytes({{"x", "F32", "[1]", f32_bytes({1}), ""}}));
  write_file(dir / "b.safetensors", safetensors_bytes({{"x", "F32", "[1]", f32_bytes({2}), ""},
                                                       {"y", "F32", "[1]", f32_bytes({3}), ""}}));
  write_file(dir / "model.safetensors.index.json",
             R"({"weight_map": {"x": "a.safetensors", "y": "b.safetensors"}})");
  const std::string message = error_of(open_safetensors(dir.path()));
  EXPECT_NE(message.find("'x' appears in both"), std::string::npos) << message;
}

TEST(Safetensors, IndexNamingTheWrongShardIsAnError) {
  ScratchDir dir;
  write_file(dir / "a.safetensors", safetensors_bytes({{"x", "F32", "[1]", f32_bytes({1}), ""}}));
  write_file(dir / "b.safetensors", safetensors_bytes({{"y", "F32", "[1]", f32_bytes({3}), ""}}));
  write_file(dir / "model.safetensors.index.json",
             R"({"weight_map": {"x": "b.safetensors", "y": "a.safetensors"}})");
  EXPECT_NE(error_of(open_safetensors(dir.path())).find("weight_map lists tensor"), std::string::npos);
}

TEST(Safetensors, DirectoryWithoutWeightsIsAnError) {
  ScratchDir dir;
  const std::string message = error_of(open_safetensors(dir.path()));
  EXPECT_NE(message.find("no model.safetensors"), std::string::npos) << message;
}

}  // namespace
}  // namespace aae
