// Expected bits below are worked out by hand in the comments (fp16 facts: in [2^e, 2^(e+1)) the
// spacing is 2^(e-10); bits = sign | (e+15) << 10 | (m - 1024) for value m * 2^(e-10)).
#include "convert/quantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "runtime/base/half.h"

namespace aae {
namespace {

const QuantizationSpec& spec(const char* name) {
  const QuantizationSpec* found = find_quantization(name);
  if (found == nullptr) std::abort();  // test table bug
  return *found;
}

std::vector<uint32_t> u32s(const std::vector<uint8_t>& bytes) {
  std::vector<uint32_t> out(bytes.size() / 4);
  for (size_t i = 0; i < out.size(); ++i)
    for (int b = 0; b < 4; ++b) out[i] |= static_cast<uint32_t>(bytes[4 * i + b]) << (8 * b);
  return out;
}

std::vector<uint16_t> u16s(const std::vector<uint8_t>& bytes) {
  std::vector<uint16_t> out(bytes.size() / 2);
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<uint16_t>(bytes[2 * i] | (bytes[2 * i + 1] << 8));
  return out;
}

std::vector<EncodedTensor> encode_ok(const char* quant, const std::string& name, TensorRole role,
                                     const std::vector<int64_t>& shape,
                                     const std::vector<float>& values) {
  auto result = encode_parameter(spec(quant), name, role, shape, values.data());
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().to_string());
  return result.ok() ? std::move(result).value() : std::vector<EncodedTensor>{};
}

std::string encode_error(const char* quant, const std::string& name, TensorRole role,
                         const std::vector<int64_t>& shape, const std::vector<float>& values) {
  auto result = encode_parameter(spec(quant), name, role, shape, values.data());
  EXPECT_FALSE(result.ok());
  return result.ok() ? std::string() : result.error().to_string();
}

TEST(QuantizeQ4f16_1, EncodesRowsWithFp16ArithmeticAndTiesToEven) {
  std::vector<float> w(64, 0.0f);
  // Row 0: max_abs 7 -> scale = fp16(7/7) = 1.0 (0x3C00), so t = w + 7 exactly.
  // k 0..14: w = k-7 -> q = k.  Ties: 0.5 -> 7.5 -> 8; 1.5 -> 8.5 -> 8 (away: 9);
  // -0.5 -> 6.5 -> 6 (away: 7); -2.5 -> 4.5 -> 4 (away: 5); 2.5 -> 9.5 -> 10. Zeros -> 7.
  for (int k = 0; k < 15; ++k) w[k] = static_cast<float>(k - 7);
  w[15] = 0.5f, w[16] = 1.5f, w[17] = -0.5f, w[18] = -2.5f, w[19] = 2.5f;
  // Row 1: max_abs 1 -> scale = fp16(1/7): 1/7 in [2^-3, 2^-2), spacing 2^-13,
  //   8192/7 = 1170.29 -> 1170 -> 1170*2^-13 = 0.142822265625, bits 12<<10 | 146 = 0x3092.
  // w=1:      1/scale = 8192/1170 = 7.0017 -> fp16 (spacing 2^-8) 7.0; t = 14 -> q 14.
  // w=0.21484375 (1760*2^-13): /scale = 1760/1170 = 1.50427 -> fp16 (spacing 2^-10)
  //   1540/1024 = 1.50390625; + 7 = 8.50390625 lies halfway between 8.5 (64*2^-7, even) and
  //   8.5078125 (65*2^-7) -> t = 8.5 -> round half to even -> q 8.
  //   (Exact arithmetic would give 8.504 -> 9: this is the case fp16 arithmetic decides.)
  // w=-0.0714111328125 (-1170*2^-14): /scale = -0.5 exactly; t = 6.5 -> q 6 (away: 7).
  // w=-1:     -7.0017 -> -7.0; t = 0 -> q 0.
  // w=-0.21484375: -1.50390625 + 7 = 5.49609375 = 1407*2^-8, exact in fp16 -> q 5.
  w[32] = 1.0f, w[33] = 0.21484375f, w[34] = -0.0714111328125f, w[35] = -1.0f,
  w[36] = -0.21484375f;

  auto out = encode_ok("q4f16_1", "model.layers.0.mlp.down_proj.weight", TensorRole::kLinear,
                       {2, 32}, w);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].name, "model.layers.0.mlp.down_proj.q_weight");
  EXPECT_EQ(out[0].dtype, DType::kUInt32);
  EXPECT_EQ(out[0].shape, (std::vector<int64_t>{2, 4}));
  // Row 0 q: 0..14 | 8 8 6 4 10 | 7 x 12. Word = nibbles low to high.
  // Row 1 q: 14 8 6 0 5 7 7 7 | 7 x 24.
  EXPECT_EQ(u32s(out[0].bytes),
            (std::vector<uint32_t>{0x76543210, 0x8EDCBA98, 0x7777A468, 0x77777777,  //
                                   0x7775068E, 0x77777777, 0x77777777, 0x77777777}));
  EXPECT_EQ(out[1].name, "model.layers.0.mlp.down_proj.q_scale");
  EXPECT_EQ(out[1].dtype, DType::kFloat16);
  EXPECT_EQ(out[1].shape, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(u16s(out[1].bytes), (std::vector<uint16_t>{0x3C00, 0x3092}));
}

TEST(QuantizeQ4f16_1, StoresFirstElementInLowNibbleOfFirstByte) {
  std::vector<float> w(32, 0.0f);
  w[0] = -7.0f;  // q 0
  w[1] = 7.0f;   // q 14
  auto out = encode_ok("q4f16_1", "a.weight", TensorRole::kLinear, {1, 32}, w);
  ASSERT_EQ(out.size(), 2u);
  // Byte 0 holds element 0 in its low nibble (0) and element 1 in its high nibble (0xE).
  EXPECT_EQ(out[0].bytes[0], 0xE0);
  EXPECT_EQ(out[0].bytes[1], 0x77);
}

TEST(QuantizeQ4f16_1, PadsUnevenKToWholeGroupsWithZeros) {
  std::vector<float> w(40, 0.0f);
  // Group 0 (k 0..31): 2, -2, ... max 2 -> scale = fp16(2/7): spacing 2^-12 in [0.25, 0.5),
  //   4096*2/7 = 1170.29 -> 1170*2^-12 = 0.28564453125, bits 13<<10 | 146 = 0x3492.
  //   2/scale = 7.0017 -> 7.0 -> q 14; -2 -> q 0. Word: 0x0E0E0E0E.
  for (int k = 0; k < 32; ++k) w[k] = (k % 2 == 0) ? 2.0f : -2.0f;
  // Group 1 (k 32..39 valid, 40..63 padding): max 0.5 -> scale = fp16(0.5/7): spacing 2^-14,
  //   1170*2^-14 = 0.0714111328125, bits 11<<10 | 146 = 0x2C92.
  //   0.25/scale = 3.50085 -> fp16 (spacing 2^-9) 3.5; t = 10.5 -> q 10 (away: 11).
  //   -0.25 -> -3.5; t = 3.5 -> q 4.   0 -> 7.   0.5 -> 7.0017 -> 7.0 -> q 14.
  //   q = 10 4 7 7 7 7 7 14 -> 0xE777774A; padding words are 0.
  w[32] = 0.25f, w[33] = -0.25f, w[39] = 0.5f;
  auto out = encode_ok("q4f16_1", "x.weight", TensorRole::kLinear, {1, 40}, w);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].shape, (std::vector<int64_t>{1, 8}));
  EXPECT_EQ(u32s(out[0].bytes), (std::vector<uint32_t>{0x0E0E0E0E, 0x0E0E0E0E, 0x0E0E0E0E,
                                                       0x0E0E0E0E, 0xE777774A, 0, 0, 0}));
  EXPECT_EQ(out[1].shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(u16s(out[1].bytes), (std::vector<uint16_t>{0x3492, 0x2C92}));
}

TEST(QuantizeQ4f16_1, EncodesAllZeroGroupAsZeroScaleAndZeroCodes) {
  std::vector<float> w(64, 0.0f);
  w[5] = -0.0f;  // still a zero group: |-0| = 0
  // Group 1: 3.5 then -3.5 x 31 -> scale = 3.5/7 = 0.5 (0x3800); q 14 then 0 -> 0x0000000E.
  w[32] = 3.5f;
  for (int k = 33; k < 64; ++k) w[k] = -3.5f;
  auto out = encode_ok("q4f16_1", "x.weight", TensorRole::kLinear, {1, 64}, w);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(u32s(out[0].bytes), (std::vector<uint32_t>{0, 0, 0, 0, 0xE, 0, 0, 0}));
  EXPECT_EQ(u16s(out[1].bytes), (std::vector<uint16_t>{0x0000, 0x3800}));
}

TEST(QuantizeQ3f16_1, PacksTenThreeBitValuesPerWord) {
  // w = k%7 - 3 -> max 3 -> scale = fp16(3/3) = 1.0 (0x3C00), q = k%7. Ties: k=38: 0.5 ->
  // t 3.5 -> 4; k=39: -0.5 -> t 2.5 -> 2 (away: 3). Word = sum q_r << 3r, r = 0..9:
  // word0 q 0 1 2 3 4 5 6 0 1 2: 0x8+0x80+0x600+0x4000+0x28000+0x180000+0x1000000+0x10000000
  //   = 0x111AC688
  // word1 q 3 4 5 6 0 1 2 3 4 5: 3+0x20+0x140+0xC00+0x8000+0x80000+0x600000+0x4000000
  //   +0x28000000 = 0x2C688D63
  // word2 q 6 0 1 2 3 4 5 6 0 1: 6+0x40+0x400+0x3000+0x20000+0x140000+0xC00000+0x8000000
  //   = 0x08D63446
  // word3 q 2 3 4 5 6 0 1 2 4 2: 2+0x18+0x100+0xA00+0x6000+0x40000+0x400000+0x4000000
  //   +0x10000000 = 0x14446B1A   (bits 30-31 are 0 in every word)
  std::vector<float> w(40);
  for (int k = 0; k < 38; ++k) w[k] = static_cast<float>(k % 7 - 3);
  w[38] = 0.5f, w[39] = -0.5f;
  auto out = encode_ok("q3f16_1", "m.o_proj.weight", TensorRole::kLinear, {1, 40}, w);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].shape, (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(u32s(out[0].bytes),
            (std::vector<uint32_t>{0x111AC688, 0x2C688D63, 0x08D63446, 0x14446B1A}));
  EXPECT_EQ(out[1].shape, (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(u16s(out[1].bytes), (std::vector<uint16_t>{0x3C00}));
}

TEST(QuantizeQ3f16_1, PadsUnevenKToWholeGroupsOfForty) {
  std::vector<float> w(45, 1.5f);
  // Group 0: all 1.5 -> scale 0.5 (0x3800), 1.5/0.5 = 3, t 6 -> q 6; ten 0b110 fields ->
  //   0x36DB6DB6 in each of the 4 words.
  // Group 1 (k 40..44 valid): 1 -1 0.5 0 -0.25, max 1 -> scale = fp16(1/3): spacing 2^-12,
  //   4096/3 = 1365.33 -> 1365*2^-12 = 0.333251953125, bits 13<<10 | 341 = 0x3555.
  //   1/scale = 3.00073 -> 3.0 -> t 6 -> q 6;   -1 -> q 0;
  //   0.5/scale = 1.50037 -> 1.5 -> t 4.5 -> q 4 (away: 5);   0 -> q 3;
  //   -0.25/scale = -0.75018 -> -0.75 -> t 2.25 -> q 2.
  //   word4 = 6 + 4<<6 + 3<<9 + 2<<12 = 0x2706; words 5..7 are padding: 0.
  w[40] = 1.0f, w[41] = -1.0f, w[42] = 0.5f, w[43] = 0.0f, w[44] = -0.25f;
  auto out = encode_ok("q3f16_1", "m.o_proj.weight", TensorRole::kLinear, {1, 45}, w);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].shape, (std::vector<int64_t>{1, 8}));
  EXPECT_EQ(u32s(out[0].bytes), (std::vector<uint32_t>{0x36DB6DB6, 0x36DB6DB6, 0x36DB6DB6,
                                                       0x36DB6DB6, 0x2706, 0, 0, 0}));
  EXPECT_EQ(u16s(out[1].bytes), (std::vector<uint16_t>{0x3800, 0x3555}));
}

TEST(QuantizeQ4f32_1, UsesFloat32ArithmeticAndFloat32Scales) {
  std::vector<float> w(32, 0.0f);
  // scale = f32(1/7) = 1.00100100...b * 2^-3 rounded up at bit 23 -> 0x3E124925 (0.14285715).
  // w=1: 1/scale = 6.99999952 (f32), + 7 = 13.99999952 is a tie between 14 - 2^-20 and 14 ->
  //   14 (even) -> q 14.
  // w=0.21484375: 1.5039062 + 7 = 8.5039062 -> q 9 (fp16 arithmetic gives 8, see above).
  // w=0.5: 0.5/scale = 3.49999976, + 7 = 10.49999976 -> f32 (spacing 2^-20) 10.5 -> q 10.
  // w=-1: -6.99999952 + 7 = 4.8e-7 -> q 0.   Zeros -> 7.
  // word0 nibbles 14 9 10 0 7 7 7 7 -> 0x77770A9E.
  w[0] = 1.0f, w[1] = 0.21484375f, w[2] = 0.5f, w[3] = -1.0f;
  auto out = encode_ok("q4f32_1", "l.weight", TensorRole::kLinear, {1, 32}, w);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(u32s(out[0].bytes),
            (std::vector<uint32_t>{0x77770A9E, 0x77777777, 0x77777777, 0x77777777}));
  EXPECT_EQ(out[1].dtype, DType::kFloat32);
  EXPECT_EQ(out[1].bytes, (std::vector<uint8_t>{0x25, 0x49, 0x12, 0x3E}));
}

// Row 0: q = k%15 with scale 1 (group 0) and 0.5 (group 1); row 1: q = 14 - k%15, scale 2.
std::vector<float> kn_test_matrix() {
  std::vector<float> w(128);
  for (int k = 0; k < 64; ++k) {
    w[k] = static_cast<float>(k % 15 - 7) * (k < 32 ? 1.0f : 0.5f);
    w[64 + k] = 2.0f * static_cast<float>(7 - k % 15);
  }
  return w;
}

TEST(QuantizeQ4f16_0, TransposesLinearOutputsToKN) {
  // NK words, row 0 (q = k%15): 0x76543210 0x0EDCBA98 0x87654321 0x10EDCBA9
  //                              0x98765432 0x210EDCBA 0xA9876543 0x3210EDCB
  // row 1 (q = 14 - k%15):       0x789ABCDE 0xE0123456 0x6789ABCD 0xDE012345
  //                              0x56789ABC 0xCDE01234 0x456789AB 0xBCDE0123
  // NK scales [[1.0, 0.5], [2.0, 2.0]] = [[0x3C00, 0x3800], [0x4000, 0x4000]].
  auto out = encode_ok("q4f16_0", "q.weight", TensorRole::kLinear, {2, 64}, kn_test_matrix());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].shape, (std::vector<int64_t>{8, 2}));
  EXPECT_EQ(u32s(out[0].bytes),
            (std::vector<uint32_t>{0x76543210, 0x789ABCDE, 0x0EDCBA98, 0xE0123456,
                                   0x87654321, 0x6789ABCD, 0x10EDCBA9, 0xDE012345,
                                   0x98765432, 0x56789ABC, 0x210EDCBA, 0xCDE01234,
                                   0xA9876543, 0x456789AB, 0x3210EDCB, 0xBCDE0123}));
  EXPECT_EQ(out[1].shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(u16s(out[1].bytes), (std::vector<uint16_t>{0x3C00, 0x4000, 0x3800, 0x4000}));
}

TEST(QuantizeQ4f16_0, KeepsEmbeddingInNKAndTransposesLmHead) {
  auto embedding =
      encode_ok("q4f16_0", "model.embed_tokens.weight", TensorRole::kEmbedding, {2, 64},
                kn_test_matrix());
  ASSERT_EQ(embedding.size(), 2u);
  EXPECT_EQ(embedding[0].shape, (std::vector<int64_t>{2, 8}));
  EXPECT_EQ(u32s(embedding[0].bytes)[1], 0x0EDCBA98u);  // row 0, word 1
  EXPECT_EQ(u32s(embedding[0].bytes)[8], 0x789ABCDEu);  // row 1, word 0
  EXPECT_EQ(u16s(embedding[1].bytes), (std::vector<uint16_t>{0x3C00, 0x3800, 0x4000, 0x4000}));

  // MLC's lm_head is an nn.Linear, quantized with the linear layout.
  auto head = encode_ok("q4f16_0", "lm_head.weight", TensorRole::kLmHead, {2, 64},
                        kn_test_matrix());
  ASSERT_EQ(head.size(), 2u);
  EXPECT_EQ(head[0].shape, (std::vector<int64_t>{8, 2}));
  EXPECT_EQ(head[1].shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(u32s(head[0].bytes)[1], 0x789ABCDEu);  // [word 0, row 1]
}

TEST(QuantizeQ4f16_2, LeavesEmbeddingAndLmHeadInFloat16) {
  // 1.0 -> 0x3C00; -2.0 -> 0xC000; 0.1: spacing 2^-14, 1638.4 -> 1638 -> 11<<10 | 614 = 0x2E66;
  // 65504 (largest fp16) -> 0x7BFF.
  const std::vector<float> values = {1.0f, -2.0f, 0.1f, 65504.0f};
  for (TensorRole role : {TensorRole::kEmbedding, TensorRole::kLmHead}) {
    auto out = encode_ok("q4f16_2", "model.embed_tokens.weight", role, {2, 2}, values);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].name, "model.embed_tokens.weight");
    EXPECT_EQ(out[0].dtype, DType::kFloat16);
    EXPECT_EQ(out[0].shape, (std::vector<int64_t>{2, 2}));
    EXPECT_EQ(u16s(out[0].bytes), (std::vector<uint16_t>{0x3C00, 0xC000, 0x2E66, 0x7BFF}));
  }
  std::vector<float> w(32, 0.0f);
  w[0] = -7.0f;  // scale 1, q 0; the rest q 7
  auto linear = encode_ok("q4f16_2", "l.gate_up_proj.weight", TensorRole::kLinear, {1, 32}, w);
  ASSERT_EQ(linear.size(), 2u);
  EXPECT_EQ(linear[0].name, "l.gate_up_proj.q_weight");
  EXPECT_EQ(u32s(linear[0].bytes)[0], 0x77777770u);
  EXPECT_EQ(u16s(linear[1].bytes), (std::vector<uint16_t>{0x3C00}));
}

TEST(QuantizeRoles, NeverQuantizesNormsOrBiases) {
  // 1 + 2^-11 is halfway between 1.0 and 1 + 2^-10 -> even -> 0x3C00.
  auto out = encode_ok("q4f16_1", "model.norm.weight", TensorRole::kOther, {2},
                       {1.0f + 0x1p-11f, 3.0f});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "model.norm.weight");
  EXPECT_EQ(u16s(out[0].bytes), (std::vector<uint16_t>{0x3C00, 0x4200}));
  EXPECT_FALSE(quantizes_role(spec("q4f16_1"), TensorRole::kOther));
  EXPECT_FALSE(quantizes_role(spec("q0f16"), TensorRole::kLinear));
  EXPECT_TRUE(quantizes_role(spec("q3f16_0"), TensorRole::kEmbedding));
}

TEST(QuantizeUnquantized, Q0f32KeepsInputBytes) {
  const std::vector<float> values = {1.0f, -0.1f, 3.14159274f, 1e-30f, -65536.5f, 0.0f};
  auto out = encode_ok("q0f32", "model.layers.3.self_attn.qkv_proj.weight", TensorRole::kLinear,
                       {2, 3}, values);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].dtype, DType::kFloat32);
  EXPECT_EQ(out[0].shape, (std::vector<int64_t>{2, 3}));
  const auto words = u32s(out[0].bytes);
  ASSERT_EQ(words.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ(words[i], float_bits(values[i])) << i;
}

TEST(QuantizeUnquantized, Q0f16RoundsToNearestEven) {
  // 1 + 2^-11: tie -> 1.0 (0x3C00). 1 + 3*2^-11: tie between 0x3C01 and 0x3C02 -> 0x3C02.
  // 1 + 2^-11 + 2^-20: above the tie -> 0x3C01. -2.0 -> 0xC000.
  auto out = encode_ok("q0f16", "e.weight", TensorRole::kEmbedding, {1, 4},
                       {1.0f + 0x1p-11f, 1.0f + 0x3p-11f, 1.0f + 0x1p-11f + 0x1p-20f, -2.0f});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].dtype, DType::kFloat16);
  EXPECT_EQ(u16s(out[0].bytes), (std::vector<uint16_t>{0x3C00, 0x3C02, 0x3C01, 0xC000}));
}

TEST(QuantizeUnquantized, Q0bf16RoundsToNearestEven) {
  // bfloat16 keeps 7 fraction bits: 1 + 2^-8 ties -> 0x3F80; 1 + 3*2^-8 ties -> 0x3F82;
  // 1 + 2^-8 + 2^-16 -> 0x3F81; -2.0 -> 0xC000.
  auto out = encode_ok("q0bf16", "lm_head.weight", TensorRole::kLmHead, {2, 2},
                       {1.0f + 0x1p-8f, 1.0f + 0x3p-8f, 1.0f + 0x1p-8f + 0x1p-16f, -2.0f});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].dtype, DType::kBFloat16);
  EXPECT_EQ(u16s(out[0].bytes), (std::vector<uint16_t>{0x3F80, 0x3F82, 0x3F81, 0xC000}));
}

TEST(QuantizeErrors, RejectsNaNAndInfNamingTheTensor) {
  std::vector<float> w(32, 0.0f);
  w[3] = std::nanf("");
  std::string message =
      encode_error("q4f16_1", "model.layers.7.mlp.up.weight", TensorRole::kLinear, {1, 32}, w);
  EXPECT_NE(message.find("model.layers.7.mlp.up.weight"), std::string::npos) << message;
  EXPECT_NE(message.find("nan"), std::string::npos) << message;
  EXPECT_NE(message.find("[0, 3]"), std::string::npos) << message;

  w[3] = -INFINITY;
  message = encode_error("q0f32", "model.norm.weight", TensorRole::kOther, {32}, w);
  EXPECT_NE(message.find("model.norm.weight"), std::string::npos) << message;
  EXPECT_NE(message.find("-inf"), std::string::npos) << message;
}

TEST(QuantizeErrors, RejectsValuesThatOverflowFloat16) {
  std::vector<float> w(32, 0.0f);
  w[1] = 70000.0f;  // > 65504: would become inf in float16
  const std::string message = encode_error("q4f16_1", "b.weight", TensorRole::kLinear, {1, 32}, w);
  EXPECT_NE(message.find("b.weight"), std::string::npos) << message;
  EXPECT_NE(message.find("overflows float16"), std::string::npos) << message;
  // float32 and bfloat16 hold it.
  EXPECT_TRUE(encode_parameter(spec("q0bf16"), "b.weight", TensorRole::kLinear, {1, 32}, w.data())
                  .ok());
}

TEST(QuantizeErrors, RejectsWrongRankEmptyDimsAndMissingWeightSuffix) {
  const std::vector<float> w(64, 1.0f);
  std::string message = encode_error("q4f16_1", "w.weight", TensorRole::kLinear, {64}, w);
  EXPECT_NE(message.find("w.weight"), std::string::npos) << message;
  EXPECT_NE(message.find("[64]"), std::string::npos) << message;
  EXPECT_FALSE(
      encode_parameter(spec("q0f16"), "w.weight", TensorRole::kEmbedding, {2, 2, 16}, w.data())
          .ok());
  EXPECT_FALSE(encode_parameter(spec("q0f16"), "s", TensorRole::kOther, {}, w.data()).ok());
  message = encode_error("q4f16_1", "e.weight", TensorRole::kEmbedding, {0, 32}, w);
  EXPECT_NE(message.find("e.weight"), std::string::npos) << message;
  EXPECT_NE(message.find("[0, 32]"), std::string::npos) << message;
  message = encode_error("q4f16_1", "e.bias", TensorRole::kLinear, {2, 32}, w);
  EXPECT_NE(message.find("e.bias"), std::string::npos) << message;
}

// Decodes q_weight/q_scale (NK or KN) with (q - max_int) * scale and checks every element
// against the input cast to the model dtype: within scale/2 plus the rounding of the two
// model-dtype operations in t (at most 2^-7 of a unit of q for fp16).
void expect_decodes_close(const char* quant, TensorRole role, int64_t n, int64_t k,
                          uint32_t seed) {
  const QuantizationSpec& s = spec(quant);
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::vector<float> w(static_cast<size_t>(n * k));
  for (auto& v : w) v = normal(rng);
  w[3] = 0.0f;
  auto out = encode_ok(quant, "p.weight", role, {n, k}, w);
  ASSERT_EQ(out.size(), 2u);
  const bool kn = s.layout == WeightLayout::kKN && role != TensorRole::kEmbedding;
  const int64_t groups = s.num_groups(k);
  const int64_t words = groups * s.words_per_group();
  const auto q_weight = u32s(out[0].bytes);
  std::vector<float> scales;
  if (s.model_dtype == DType::kFloat32) {
    for (uint32_t u : u32s(out[1].bytes)) scales.push_back(bits_float(u));
  } else {
    for (uint16_t h : u16s(out[1].bytes)) scales.push_back(half_to_float(h));
  }
  ASSERT_EQ(q_weight.size(), static_cast<size_t>(n * words));
  ASSERT_EQ(scales.size(), static_cast<size_t>(n * groups));
  const int per_word = s.elements_per_word();
  const uint32_t mask = (1u << s.bits) - 1;
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t i = 0; i < words * per_word; ++i) {
      const int64_t word_index = i / per_word;
      const uint32_t word = kn ? q_weight[word_index * n + r] : q_weight[r * words + word_index];
      const uint32_t q = (word >> (s.bits * (i % per_word))) & mask;
      if (i >= k) {
        ASSERT_EQ(q, 0u) << "padding " << r << "," << i;
        continue;
      }
      ASSERT_LE(q, static_cast<uint32_t>(2 * s.max_int()));
      const int64_t g = i / s.group_size;
      const float scale = kn ? scales[g * n + r] : scales[r * groups + g];
      const float decoded = (static_cast<float>(q) - static_cast<float>(s.max_int())) * scale;
      const float raw = w[r * k + i];
      const float input = s.model_dtype == DType::kFloat16 ? round_to_half(raw) : raw;
      ASSERT_LE(std::fabs(decoded - input), scale * (0.5f + 0x1p-6f))
          << quant << " " << r << "," << i;
    }
    if (s.bits == 3) {
      for (int64_t j = 0; j < words; ++j)
        ASSERT_EQ((kn ? q_weight[j * n + r] : q_weight[r * words + j]) >> 30, 0u);
    }
  }
}

TEST(QuantizeProperty, RandomDataDecodesWithinHalfAStep) {
  expect_decodes_close("q4f16_1", TensorRole::kLinear, 5, 100, 1);
  expect_decodes_close("q4f16_1", TensorRole::kEmbedding, 3, 64, 2);
  expect_decodes_close("q4f16_0", TensorRole::kLinear, 4, 72, 3);
  expect_decodes_close("q4f32_1", TensorRole::kLinear, 3, 33, 4);
  expect_decodes_close("q3f16_1", TensorRole::kLinear, 4, 97, 5);
  expect_decodes_close("q3f16_0", TensorRole::kLmHead, 3, 120, 6);
  expect_decodes_close("q4f16_2", TensorRole::kLinear, 2, 31, 7);
}

}  // namespace
}  // namespace aae
