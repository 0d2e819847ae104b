#include "runtime/format/dequantize.h"

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/base/half.h"

namespace aae {
namespace {

const QuantizationSpec& spec(const char* name) {
  const QuantizationSpec* found = find_quantization(name);
  EXPECT_NE(found, nullptr) << name;
  return *found;
}

// Packs q values (one row along K, already padded to whole words) `bits` each into words,
// first value in the lowest bits.
std::vector<uint32_t> pack(const std::vector<uint32_t>& q, int bits) {
  const int per_word = 32 / bits;
  std::vector<uint32_t> words(q.size() / per_word, 0);
  for (size_t i = 0; i < q.size(); ++i) words[i / per_word] |= q[i] << (bits * (i % per_word));
  return words;
}

uint16_t half(float value) { return float_to_half(value); }

TEST(DequantizePacking, HandPackedWordsHaveTheDocumentedLayout) {
  // Guards the test helper itself against the reference layout (§5.1): lowest nibble first.
  EXPECT_EQ(pack({0, 1, 2, 3, 4, 5, 6, 7}, 4), std::vector<uint32_t>{0x76543210u});
  EXPECT_EQ(pack({8, 9, 10, 11, 12, 13, 14, 0}, 4), std::vector<uint32_t>{0x0EDCBA98u});
  // 3-bit: values 1 at position 0 and 6 at position 9 -> bits 0 and 27..29.
  EXPECT_EQ(pack({1, 0, 0, 0, 0, 0, 0, 0, 0, 6}, 3), std::vector<uint32_t>{0x30000001u});
}

TEST(Dequantize, Q4f16NkDecodesHandPackedValues) {
  // Two rows of K=32: row 0 q = 0..14,0..14,0,1 with scale 0.5 (exact); row 1 q = 14..0,...
  // with scale fp16(0.1), where the product needs the final fp16 rounding.
  std::vector<uint32_t> q0, q1;
  for (uint32_t i = 0; i < 32; ++i) {
    q0.push_back(i % 15);
    q1.push_back(14 - i % 15);
  }
  std::vector<uint32_t> words = pack(q0, 4);
  const std::vector<uint32_t> row1 = pack(q1, 4);
  words.insert(words.end(), row1.begin(), row1.end());
  const uint16_t scales[2] = {half(0.5f), half(0.1f)};

  auto out = dequantize_group(spec("q4f16_1"), words.data(), scales, {2, 4}, {2, 1}, 32, false);
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  ASSERT_EQ(out->size(), 64u);
  for (int i = 0; i < 32; ++i) {
    EXPECT_EQ((*out)[i], (static_cast<float>(i % 15) - 7.0f) * 0.5f) << i;
  }
  // q=14: 7 * 0.0999755859375 = 0.6998291015625, which rounds to the half 0.69970703125.
  EXPECT_EQ(half_to_float(half(0.1f)), 0.0999755859375f);
  EXPECT_EQ((*out)[32], 0.69970703125f);
  EXPECT_EQ((*out)[32 + 7], 0.0f);                        // q=7 is zero
  EXPECT_EQ((*out)[32 + 14], -0.69970703125f);            // q=0
  for (int i = 0; i < 32; ++i) {
    const float product = (static_cast<float>(14 - i % 15) - 7.0f) * 0.0999755859375f;
    EXPECT_EQ((*out)[32 + i], round_to_half(product)) << i;
  }
}

TEST(Dequantize, Q3f16NkUsesTenValuesPerWordAndIgnoresTopBits) {
  std::vector<uint32_t> q;
  for (uint32_t i = 0; i < 40; ++i) q.push_back(i % 7);
  std::vector<uint32_t> words = pack(q, 3);
  ASSERT_EQ(words.size(), 4u);
  for (auto& word : words) word |= 0xC0000000u;  // bits 30-31 are unused: garbage must not leak
  const uint16_t scale = half(0.25f);

  auto out = dequantize_group(spec("q3f16_1"), words.data(), &scale, {1, 4}, {1, 1}, 40, false);
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  ASSERT_EQ(out->size(), 40u);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ((*out)[i], (static_cast<float>(i % 7) - 3.0f) * 0.25f) << i;
  }
}

TEST(Dequantize, Q4f32KeepsFullFloatPrecision) {
  std::vector<uint32_t> q;
  for (uint32_t i = 0; i < 32; ++i) q.push_back(i % 15);
  const std::vector<uint32_t> words = pack(q, 4);
  const float scale = 0.1f;

  auto out = dequantize_group(spec("q4f32_1"), words.data(), &scale, {1, 4}, {1, 1}, 32, false);
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  for (int i = 0; i < 32; ++i) {
    EXPECT_EQ((*out)[i], (static_cast<float>(i % 15) - 7.0f) * 0.1f) << i;
  }
  EXPECT_NE((*out)[14], round_to_half((*out)[14]));  // q=14: 0.7f is not a half
}

TEST(Dequantize, KnLayoutDecodesTransposedStorage) {
  // q4f16_0 linear weight, K=64 (2 groups), N=3: q_weight [8, 3], q_scale [2, 3], out [64, 3].
  constexpr int kK = 64, kN = 3;
  auto q_at = [](int k, int n) { return static_cast<uint32_t>((k + 2 * n) % 15); };
  auto scale_at = [](int g, int n) { return 0.5f * static_cast<float>(g + 1) + 0.25f * n; };
  std::vector<uint32_t> words(8 * kN, 0);
  for (int k = 0; k < kK; ++k)
    for (int n = 0; n < kN; ++n) words[(k / 8) * kN + n] |= q_at(k, n) << (4 * (k % 8));
  std::vector<uint16_t> scales;
  for (int g = 0; g < 2; ++g)
    for (int n = 0; n < kN; ++n) scales.push_back(half(scale_at(g, n)));

  auto out = dequantize_group(spec("q4f16_0"), words.data(), scales.data(), {8, kN}, {2, kN}, kK,
                              true);
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  ASSERT_EQ(out->size(), static_cast<size_t>(kK * kN));
  for (int k = 0; k < kK; ++k) {
    for (int n = 0; n < kN; ++n) {
      const float expected = (static_cast<float>(q_at(k, n)) - 7.0f) * scale_at(k / 32, n);
      EXPECT_EQ((*out)[k * kN + n], expected) << "k=" << k << " n=" << n;
    }
  }
}

TEST(Dequantize, EmbeddingOfKnCodeUsesNkLayout) {
  // Embeddings are [V, H/8] even for "_0" codes: the caller passes kn_layout=false.
  std::vector<uint32_t> q;
  for (uint32_t i = 0; i < 32; ++i) q.push_back(i % 15);
  const std::vector<uint32_t> words = pack(q, 4);
  const uint16_t scale = half(2.0f);
  auto kn_code = dequantize_group(spec("q4f16_0"), words.data(), &scale, {1, 4}, {1, 1}, 32, false);
  auto nk_code = dequantize_group(spec("q4f16_1"), words.data(), &scale, {1, 4}, {1, 1}, 32, false);
  ASSERT_TRUE(kn_code.ok() && nk_code.ok());
  EXPECT_EQ(*kn_code, *nk_code);
  EXPECT_EQ((*kn_code)[0], -14.0f);
}

TEST(Dequantize, UnevenKIgnoresPaddingOfTheLastGroup) {
  // K=40 with group 32 -> 2 groups, 8 words per row; positions 40..63 hold garbage (15).
  std::vector<uint32_t> q(64, 15);
  for (uint32_t i = 0; i < 40; ++i) q[i] = i % 15;
  const std::vector<uint32_t> words = pack(q, 4);
  const uint16_t scales[2] = {half(1.0f), half(0.5f)};

  auto out = dequantize_group(spec("q4f16_1"), words.data(), scales, {1, 8}, {1, 2}, 40, false);
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  ASSERT_EQ(out->size(), 40u);
  for (int i = 0; i < 40; ++i) {
    const float scale = i < 32 ? 1.0f : 0.5f;
    EXPECT_EQ((*out)[i], (static_cast<float>(i % 15) - 7.0f) * scale) << i;
  }
}

TEST(Dequantize, Q3ShapesForK4096Have103Groups) {
  std::vector<uint32_t> words(412, 0);
  std::vector<uint16_t> scales(103, half(1.0f));
  auto out = dequantize_group(spec("q3f16_1"), words.data(), scales.data(), {1, 412}, {1, 103},
                              4096, false);
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  ASSERT_EQ(out->size(), 4096u);
  EXPECT_EQ((*out)[4095], -3.0f);  // q=0 -> -max_int
}

TEST(Dequantize, ShapeMismatchesNameExpectedAndFound) {
  const std::vector<uint32_t> words(16, 0);
  const std::vector<uint16_t> scales(8, 0);
  const auto& q4 = spec("q4f16_1");

  auto bad_weight = dequantize_group(q4, words.data(), scales.data(), {2, 5}, {2, 1}, 32, false);
  ASSERT_FALSE(bad_weight.ok());
  EXPECT_NE(bad_weight.error().message().find("q_weight"), std::string::npos);
  EXPECT_NE(bad_weight.error().message().find("expected [2, 4]"), std::string::npos)
      << bad_weight.error().message();
  EXPECT_NE(bad_weight.error().message().find("found [2, 5]"), std::string::npos);
  EXPECT_NE(bad_weight.error().hint().find("K=32"), std::string::npos);

  auto bad_scale = dequantize_group(q4, words.data(), scales.data(), {2, 4}, {2, 2}, 32, false);
  ASSERT_FALSE(bad_scale.ok());
  EXPECT_NE(
      bad_scale.error().message().find("q_scale shape mismatch: expected [2, 1], found [2, 2]"),
      std::string::npos)
      << bad_scale.error().message();

  // The NK shapes passed as KN: [2, 4] read as KN means N=4, needing [4, 4].
  auto wrong_layout = dequantize_group(q4, words.data(), scales.data(), {2, 4}, {2, 1}, 32, true);
  ASSERT_FALSE(wrong_layout.ok());
  EXPECT_NE(wrong_layout.error().message().find("expected [4, 4]"), std::string::npos)
      << wrong_layout.error().message();

  // K=40 needs two groups.
  EXPECT_FALSE(dequantize_group(q4, words.data(), scales.data(), {2, 4}, {2, 1}, 40, false).ok());
}

TEST(Dequantize, RejectsBadRankZeroKAndUnquantizedCodes) {
  const std::vector<uint32_t> words(16, 0);
  const std::vector<uint16_t> scales(8, 0);
  const auto& q4 = spec("q4f16_1");
  EXPECT_FALSE(
      dequantize_group(q4, words.data(), scales.data(), {2, 4, 1}, {2, 1}, 32, false).ok());
  EXPECT_FALSE(dequantize_group(q4, words.data(), scales.data(), {2, 4}, {2, 1}, 0, false).ok());
  EXPECT_FALSE(dequantize_group(q4, words.data(), scales.data(), {-2, 4}, {-2, 1}, 32, false).ok());
  auto plain = dequantize_group(spec("q0f16"), words.data(), scales.data(), {2, 4}, {2, 1}, 32,
                                false);
  ASSERT_FALSE(plain.ok());
  EXPECT_NE(plain.error().message().find("q0f16"), std::string::npos);
}

TEST(DecodePlain, WidensFloatTypesExactly) {
  const uint16_t halves[3] = {0x3C00, 0xC000, 0x0001};  // 1, -2, smallest subnormal
  EXPECT_EQ(decode_plain(DType::kFloat16, halves, 3),
            (std::vector<float>{1.0f, -2.0f, 5.9604644775390625e-8f}));
  const uint16_t bf16[2] = {0x3F80, 0x4049};  // 1, 3.140625
  EXPECT_EQ(decode_plain(DType::kBFloat16, bf16, 2), (std::vector<float>{1.0f, 3.140625f}));
  const float floats[2] = {0.1f, -7.5f};
  EXPECT_EQ(decode_plain(DType::kFloat32, floats, 2), (std::vector<float>{0.1f, -7.5f}));
}

TEST(DecodePlain, ReadsUnalignedData) {
  unsigned char buffer[9] = {};
  const float value = 1.5f;
  std::memcpy(buffer + 1, &value, sizeof value);
  std::memcpy(buffer + 5, &value, sizeof value);
  EXPECT_EQ(decode_plain(DType::kFloat32, buffer + 1, 2), (std::vector<float>{1.5f, 1.5f}));
}

TEST(DecodePlain, ConvertsIntegersByValue) {
  const int8_t int8s[2] = {-3, 7};
  EXPECT_EQ(decode_plain(DType::kInt8, int8s, 2), (std::vector<float>{-3.0f, 7.0f}));
  const uint32_t words[1] = {123456};
  EXPECT_EQ(decode_plain(DType::kUInt32, words, 1), std::vector<float>{123456.0f});
}

}  // namespace
}  // namespace aae
