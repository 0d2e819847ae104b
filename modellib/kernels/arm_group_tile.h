// The rows x tokens tile shared by every aarch64 int8 group-quantized kernel (q4f16_1, q4f32_1,
// q3f16_1; NEON and dot product). A format plugs in an Unpack policy:
//   kGroup, kWordsPerGroup, kPairs, kMaxCode
//   weights(words, int8x16_t w[kPairs])  one group's stored codes as unsigned bytes, in the
//                                         in-group order its prep gives the activations
//   acts(q, int8x16_t a[kPairs])          one group's int8 activations, in that same order
// and a Mul policy (arm_neon_base.h) turns a group's pairs into 4 int32 partial sums.
//
// Per block of 4 groups, each (row, token) gets the 4 exact integer group dots in one int32x4
// (pairwise adds), then in fp32 lanes  acc += scale[g] * (d[g] * dot[g] - corr[g])  exactly as
// rows_scalar_i8 forms each group's term; only the order of the float sum over groups differs
// (4 lanes, then a horizontal add).
//
// Tiles: decode (T == 1) takes 4 rows at a time so one activation load feeds 4 rows; prefill
// takes 2 rows x 2 tokens, reusing each unpacked weight group for 2 tokens. (Measured in the
// clang 14 -O2 disassembly of one 4-group block: 4x1 sdot has 1 spill, 2x2 none, while 4x2
// spills ~23 times for the same work per output.) Ragged row/token edges use 1x1 tiles. The
// ragged last block of groups goes through a zero-padded copy, so each tile shape holds one
// copy of the block code (code size and compile time of a model library).
#pragma once

#include "modellib/kernels/arm_neon_base.h"

#if AAE_MODELLIB_HAVE_ARM_NEON
AAE_MODELLIB_BEGIN

constexpr int kArmDecodeRows = 4;

// Where a tile reads its inputs.
struct ArmGroupTileArgs {
  const uint32_t* words;  // q_weight of the whole tensor [N, G * kWordsPerGroup]
  const void* scales;     // q_scale [N, G], fp16 or fp32
  const void* acts;       // Q8Acts rows from the variant's prep
  int64_t K, G;
};

// One block of 4 consecutive groups as a (R rows x TT tokens) tile reads it.
template <int R, int TT>
struct ArmGroupBlock {
  const uint32_t* w[R];  // per row: 4 groups of kWordsPerGroup words
  const void* s[R];      // per row: 4 scales (fp16 or fp32)
  const int8_t* q[TT];   // per token: 4 groups of kGroup int8 activations
  const float* d[TT];    // per token: 4 group steps
  const float* c[TT];    // per token: 4 group corrections
};

// The ragged last block (G % 4 groups left), copied with zero padding: absent groups have zero
// codes, activations, d, corr and scale, so they add exactly 0 and the block code stays the
// same as for full blocks (one copy of it per tile shape).
template <typename U, int R, int TT>
struct ArmGroupPad {
  uint32_t w[R][4 * U::kWordsPerGroup];
  uint16_t sh[R][4];  // scales, fp16 formats
  float sf[R][4];     // scales, fp32 formats
  int8_t q[TT][4 * U::kGroup];
  float d[TT][4], c[TT][4];
};

template <bool kHalf>
inline const void* arm_scale_at(const void* scales, int64_t i) {
  if (kHalf) return static_cast<const uint16_t*>(scales) + i;
  return static_cast<const float*>(scales) + i;
}

// Points b at groups [g, g + 4) of rows n.. and tokens t0.. (all 4 exist).
template <typename U, bool kHalfScale, int R, int TT>
AAE_ARM_INLINE void arm_block_at(const ArmGroupTileArgs& a, int64_t n, int64_t t0, int64_t g,
                                 ArmGroupBlock<R, TT>& b) {
  using A = Q8Acts<U::kGroup>;
  for (int r = 0; r < R; ++r) {
    b.w[r] = a.words + ((n + r) * a.G + g) * U::kWordsPerGroup;
    b.s[r] = arm_scale_at<kHalfScale>(a.scales, (n + r) * a.G + g);
  }
  for (int t = 0; t < TT; ++t) {
    b.q[t] = A::q(a.acts, t0 + t, a.K) + g * U::kGroup;
    b.d[t] = A::d(a.acts, t0 + t, a.K) + g;
    b.c[t] = A::corr(a.acts, t0 + t, a.K) + g;
  }
}

// Fills pad with the groups [g, G) (fewer than 4). Kept out of line: it runs once per tile and
// holds no dot-product instruction, so one baseline copy serves both variants.
template <typename U, bool kHalfScale, int R, int TT>
__attribute__((noinline)) void arm_fill_pad(const ArmGroupTileArgs& a, int64_t n, int64_t t0, int64_t g,
                                            ArmGroupPad<U, R, TT>& pad) {
  ArmGroupBlock<R, TT> src;
  arm_block_at<U, kHalfScale, R, TT>(a, n, t0, g, src);
  const int live = static_cast<int>(a.G - g);
  for (int r = 0; r < R; ++r) {
    for (int i = 0; i < 4 * U::kWordsPerGroup; ++i)
      pad.w[r][i] = i < live * U::kWordsPerGroup ? src.w[r][i] : 0u;
    for (int i = 0; i < 4; ++i) {
      if (kHalfScale) {
        pad.sh[r][i] = i < live ? static_cast<const uint16_t*>(src.s[r])[i] : uint16_t{0};
      } else {
        pad.sf[r][i] = i < live ? static_cast<const float*>(src.s[r])[i] : 0.0f;
      }
    }
  }
  for (int t = 0; t < TT; ++t) {
    for (int i = 0; i < 4 * U::kGroup; ++i) pad.q[t][i] = i < live * U::kGroup ? src.q[t][i] : 0;
    for (int i = 0; i < 4; ++i) {
      pad.d[t][i] = i < live ? src.d[t][i] : 0.0f;
      pad.c[t][i] = i < live ? src.c[t][i] : 0.0f;
    }
  }
}

// Dots of groups i and i + 1 of the block for every (row, token), as
// vpaddq(dot(i), dot(i + 1)): lanes 0-1 sum to group i, lanes 2-3 to group i + 1.
template <typename U, typename M, int R, int TT>
AAE_ARM_INLINE void arm_group_pair(const ArmGroupBlock<R, TT>& b, int i, int32x4_t (&out)[R][TT]) {
  int32x4_t s[2][R][TT];
  for (int h = 0; h < 2; ++h) {
    int8x16_t av[TT][U::kPairs];
    for (int t = 0; t < TT; ++t) U::acts(b.q[t] + (i + h) * U::kGroup, av[t]);
    for (int r = 0; r < R; ++r) {
      int8x16_t wv[U::kPairs];
      U::weights(b.w[r] + (i + h) * U::kWordsPerGroup, wv);
      for (int t = 0; t < TT; ++t) s[h][r][t] = M::template dot<U::kPairs>(wv, av[t]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < TT; ++t) out[r][t] = vpaddq_s32(s[0][r][t], s[1][r][t]);
}

// Folds one block of 4 groups into acc[R][TT].
template <typename U, typename M, bool kHalfScale, int R, int TT>
AAE_ARM_INLINE void arm_group_block(const ArmGroupBlock<R, TT>& b, float32x4_t (&acc)[R][TT]) {
  int32x4_t lo[R][TT], hi[R][TT];
  arm_group_pair<U, M, R, TT>(b, 0, lo);
  arm_group_pair<U, M, R, TT>(b, 2, hi);
  float32x4_t d4[TT], c4[TT];
  for (int t = 0; t < TT; ++t) {
    d4[t] = vld1q_f32(b.d[t]);
    c4[t] = vld1q_f32(b.c[t]);
  }
  for (int r = 0; r < R; ++r) {
    const float32x4_t s4 = arm_load_scales4<kHalfScale>(b.s[r]);
    for (int t = 0; t < TT; ++t) {
      const float32x4_t dots = vcvtq_f32_s32(vpaddq_s32(lo[r][t], hi[r][t]));  // lane i: group i
      const float32x4_t term = vsubq_f32(vmulq_f32(d4[t], dots), c4[t]);
      acc[r][t] = vfmaq_f32(acc[r][t], s4, term);
    }
  }
}

// Y[t * ldy + n + r] for r < R, t0 <= t < t0 + TT.
template <typename U, typename M, bool kHalfScale, int R, int TT>
AAE_ARM_INLINE void arm_group_tile(const ArmGroupTileArgs& a, float* Y, int64_t ldy, int64_t t0,
                                   int64_t n) {
  static_assert(U::kPairs * 2 * U::kMaxCode * 127 <= 32767, "int16 lanes of ArmMulNeon");
  float32x4_t acc[R][TT];
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < TT; ++t) acc[r][t] = vdupq_n_f32(0.0f);
  ArmGroupPad<U, R, TT> pad;
  for (int64_t g = 0; g < a.G; g += 4) {
    ArmGroupBlock<R, TT> b;
    if (g + 4 <= a.G) {
      arm_block_at<U, kHalfScale, R, TT>(a, n, t0, g, b);
    } else {
      arm_fill_pad<U, kHalfScale, R, TT>(a, n, t0, g, pad);
      for (int r = 0; r < R; ++r) {
        b.w[r] = pad.w[r];
        b.s[r] = kHalfScale ? static_cast<const void*>(pad.sh[r]) : static_cast<const void*>(pad.sf[r]);
      }
      for (int t = 0; t < TT; ++t) {
        b.q[t] = pad.q[t];
        b.d[t] = pad.d[t];
        b.c[t] = pad.c[t];
      }
    }
    arm_group_block<U, M, kHalfScale, R, TT>(b, acc);
  }
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < TT; ++t) Y[(t0 + t) * ldy + n + r] = vaddvq_f32(acc[r][t]);
}

// The LinearRowsFn body: rows [n0, n1) for T tokens (w = {q_weight, q_scale}). Three tile
// shapes: 4x1 (decode, and prefill's odd last token), 2x2 (prefill), 1x1 (ragged edges).
template <typename U, typename M, bool kHalfScale>
AAE_ARM_INLINE void arm_group_rows(const void* const* w, const void* acts, float* Y, int64_t ldy,
                                   int64_t T, int64_t n0, int64_t n1, int64_t K) {
  const ArmGroupTileArgs a{static_cast<const uint32_t*>(w[0]), w[1], acts, K, Q8Acts<U::kGroup>::groups(K)};
  const int64_t paired = T / 2 * 2;  // tokens done in 2x2 tiles
  int64_t n = n0;
  for (; n + 2 <= n1; n += 2)
    for (int64_t t = 0; t < paired; t += 2) arm_group_tile<U, M, kHalfScale, 2, 2>(a, Y, ldy, t, n);
  for (; n < n1; ++n)
    for (int64_t t = 0; t < paired; ++t) arm_group_tile<U, M, kHalfScale, 1, 1>(a, Y, ldy, t, n);
  if (paired == T) return;
  n = n0;  // the last token of an odd T (all of decode)
  for (; n + kArmDecodeRows <= n1; n += kArmDecodeRows)
    arm_group_tile<U, M, kHalfScale, kArmDecodeRows, 1>(a, Y, ldy, T - 1, n);
  for (; n < n1; ++n) arm_group_tile<U, M, kHalfScale, 1, 1>(a, Y, ldy, T - 1, n);
}

AAE_MODELLIB_END
#endif
