#include "convert/source/safetensors_writer.h"

#include <cstring>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/base/half.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

std::vector<uint8_t> f32_bytes(const std::vector<float>& values) {
  std::vector<uint8_t> out(values.size() * 4);
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

std::vector<uint8_t> u16_bytes(const std::vector<uint16_t>& values) {
  std::vector<uint8_t> out(values.size() * 2);
  for (size_t i = 0; i < values.size(); ++i) {
    out[2 * i] = static_cast<uint8_t>(values[i] & 0xff);
    out[2 * i + 1] = static_cast<uint8_t>(values[i] >> 8);
  }
  return out;
}

// A file split by hand into its three parts, so the test does not trust the writer's layout.
struct ParsedFile {
  uint64_t header_length = 0;
  nlohmann::json header;
  std::string data;
};

ParsedFile parse(const std::string& bytes) {
  ParsedFile parsed;
  EXPECT_GE(bytes.size(), 8u);
  for (int i = 0; i < 8; ++i) parsed.header_length |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[i])) << (8 * i);
  EXPECT_LE(8 + parsed.header_length, bytes.size());
  parsed.header = nlohmann::json::parse(bytes.substr(8, parsed.header_length));
  parsed.data = bytes.substr(8 + parsed.header_length);
  return parsed;
}

float f32_at(const std::string& data, uint64_t offset) {
  float f;
  std::memcpy(&f, data.data() + offset, 4);
  return f;
}

uint16_t u16_at(const std::string& data, uint64_t offset) {
  return static_cast<uint16_t>(static_cast<uint8_t>(data[offset]) | (static_cast<uint8_t>(data[offset + 1]) << 8));
}

TEST(SafetensorsWriter, WritesHeaderOffsetsAndValuesThatParseBack) {
  testing::ScratchDir dir;
  const std::string path = (dir / "model.safetensors").string();
  SafetensorsWriter writer;
  // Added f16 first: the writer must still put the 4-byte tensor first so it stays aligned.
  writer.add("b.half", DType::kFloat16, {3}, u16_bytes({float_to_half(1.5f), float_to_half(-2.0f), 0x7c00}));
  writer.add("a.weight", DType::kFloat32, {2, 2}, f32_bytes({1.0f, -0.5f, 3.25f, 1e-3f}));
  writer.add("c.bf16", DType::kBFloat16, {1, 2}, u16_bytes({float_to_bfloat16(0.25f), float_to_bfloat16(-8.0f)}));
  ASSERT_EQ(writer.size(), 3u);
  const Status status = writer.write(path, {{"format", "pt"}});
  ASSERT_TRUE(status.ok()) << status.error().to_string();

  const ParsedFile file = parse(testing::read_file(path));
  EXPECT_EQ(file.header_length % 8, 0u);
  EXPECT_EQ(file.header["__metadata__"], (nlohmann::json{{"format", "pt"}}));

  const auto& a = file.header["a.weight"];
  EXPECT_EQ(a["dtype"], "F32");
  EXPECT_EQ(a["shape"], (nlohmann::json{2, 2}));
  EXPECT_EQ(a["data_offsets"], (nlohmann::json{0, 16}));
  const auto& b = file.header["b.half"];
  EXPECT_EQ(b["dtype"], "F16");
  EXPECT_EQ(b["shape"], (nlohmann::json{3}));
  EXPECT_EQ(b["data_offsets"], (nlohmann::json{16, 22}));
  const auto& c = file.header["c.bf16"];
  EXPECT_EQ(c["dtype"], "BF16");
  EXPECT_EQ(c["shape"], (nlohmann::json{1, 2}));
  EXPECT_EQ(c["data_offsets"], (nlohmann::json{22, 26}));
  ASSERT_EQ(file.data.size(), 26u);

  EXPECT_EQ(f32_at(file.data, 0), 1.0f);
  EXPECT_EQ(f32_at(file.data, 4), -0.5f);
  EXPECT_EQ(f32_at(file.data, 8), 3.25f);
  EXPECT_EQ(f32_at(file.data, 12), 1e-3f);
  EXPECT_EQ(half_to_float(u16_at(file.data, 16)), 1.5f);
  EXPECT_EQ(half_to_float(u16_at(file.data, 18)), -2.0f);
  EXPECT_EQ(u16_at(file.data, 20), 0x7c00);
  EXPECT_EQ(bfloat16_to_float(u16_at(file.data, 22)), 0.25f);
  EXPECT_EQ(bfloat16_to_float(u16_at(file.data, 24)), -8.0f);
}

TEST(SafetensorsWriter, OmitsMetadataWhenEmptyAndAcceptsEmptyTensors) {
  testing::ScratchDir dir;
  const std::string path = (dir / "x.safetensors").string();
  SafetensorsWriter writer;
  writer.add("empty", DType::kFloat32, {0, 4}, {});
  writer.add("scalar", DType::kFloat32, {}, f32_bytes({7.0f}));
  ASSERT_TRUE(writer.write(path).ok());
  const ParsedFile file = parse(testing::read_file(path));
  EXPECT_FALSE(file.header.contains("__metadata__"));
  EXPECT_EQ(file.header["empty"]["data_offsets"], (nlohmann::json{0, 0}));
  EXPECT_EQ(file.header["scalar"]["shape"], nlohmann::json::array());
  EXPECT_EQ(file.header["scalar"]["data_offsets"], (nlohmann::json{0, 4}));
  EXPECT_EQ(f32_at(file.data, 0), 7.0f);
}

TEST(SafetensorsWriter, RejectsByteCountThatDoesNotMatchShapeAndLeavesNoFile) {
  testing::ScratchDir dir;
  const std::string path = (dir / "bad.safetensors").string();
  SafetensorsWriter writer;
  writer.add("w", DType::kFloat16, {2, 3}, std::vector<uint8_t>(10));
  const Status status = writer.write(path);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().to_string().find("'w'"), std::string::npos) << status.error().to_string();
  EXPECT_NE(status.error().to_string().find("expected 12"), std::string::npos) << status.error().to_string();
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(SafetensorsWriter, RejectsDuplicateAndReservedNames) {
  testing::ScratchDir dir;
  SafetensorsWriter duplicate;
  duplicate.add("w", DType::kFloat32, {1}, f32_bytes({1.0f}));
  duplicate.add("w", DType::kFloat32, {1}, f32_bytes({2.0f}));
  const Status first = duplicate.write((dir / "d.safetensors").string());
  ASSERT_FALSE(first.ok());
  EXPECT_NE(first.error().to_string().find("added twice"), std::string::npos);

  SafetensorsWriter reserved;
  reserved.add("__metadata__", DType::kFloat32, {1}, f32_bytes({1.0f}));
  EXPECT_FALSE(reserved.write((dir / "r.safetensors").string()).ok());
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(SafetensorsStreamWriter, AcceptsDataInPiecesAndMatchesTheInMemoryWriter) {
  testing::ScratchDir dir;
  const std::vector<float> w1 = {1, 2, 3, 4, 5, 6};
  const std::vector<float> w2 = {-1, -2};
  auto stream = SafetensorsStreamWriter::create((dir / "s.safetensors").string(),
                                                {{"w1", DType::kFloat32, {2, 3}}, {"w2", DType::kFloat32, {2}}},
                                                {{"format", "pt"}});
  ASSERT_TRUE(stream.ok()) << stream.error().to_string();
  EXPECT_EQ(stream->current_tensor(), 0u);
  ASSERT_TRUE(stream->append(w1.data(), 8).ok());
  ASSERT_TRUE(stream->append(w1.data() + 2, 16).ok());
  EXPECT_EQ(stream->current_tensor(), 1u);
  ASSERT_TRUE(stream->append(w2.data(), 8).ok());
  EXPECT_EQ(stream->current_tensor(), 2u);
  ASSERT_TRUE(stream->commit().ok());

  SafetensorsWriter memory;
  memory.add("w1", DType::kFloat32, {2, 3}, f32_bytes(w1));
  memory.add("w2", DType::kFloat32, {2}, f32_bytes(w2));
  ASSERT_TRUE(memory.write((dir / "m.safetensors").string(), {{"format", "pt"}}).ok());
  EXPECT_EQ(testing::read_file(dir / "s.safetensors"), testing::read_file(dir / "m.safetensors"));
}

TEST(SafetensorsStreamWriter, RejectsPieceThatRunsPastTheCurrentTensor) {
  testing::ScratchDir dir;
  auto stream = SafetensorsStreamWriter::create((dir / "s.safetensors").string(),
                                                {{"w1", DType::kFloat32, {2}}, {"w2", DType::kFloat32, {2}}});
  ASSERT_TRUE(stream.ok());
  const std::vector<float> values = {1, 2, 3};
  const Status status = stream->append(values.data(), 12);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().to_string().find("'w1'"), std::string::npos) << status.error().to_string();
}

TEST(SafetensorsStreamWriter, CommitFailsWhenDataIsMissingAndRemovesTheTempFile) {
  testing::ScratchDir dir;
  const std::string path = (dir / "s.safetensors").string();
  auto stream = SafetensorsStreamWriter::create(path, {{"w1", DType::kFloat32, {2}}});
  ASSERT_TRUE(stream.ok());
  const float one = 1.0f;
  ASSERT_TRUE(stream->append(&one, 4).ok());
  const Status status = stream->commit();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().to_string().find("missing 4 bytes"), std::string::npos) << status.error().to_string();
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

}  // namespace
}  // namespace aae
