// Test support: random weights for a tiny llama-family model in any weight format, laid out
// as the library's parameter list, plus a double-precision reference forward pass over the
// same (dequantized) values. Hosted C++ only; never installed.
#pragma once

#include <cstdint>
#include <vector>

#include "sphere_aae/aae_model_lib.h"

namespace aae::modellib_testing {

// kQ4F16_2: q4f16_1 linears, fp16 embedding and lm_head. kQ4F16_0 / kQ3F16_0: linears and
// lm_head in the KN layout ([4G, N] words, [G, N] scales), the embedding in the NK layout.
enum class WeightKind { kF32, kF16, kQ4F16, kQ4F32, kQ3F16, kBF16, kQ4F16_2, kQ4F16_0, kQ3F16_0 };

struct TinyDims {
  int64_t hidden = 64, intermediate = 96, heads = 4, kv_heads = 2, head_dim = 16, layers = 2,
          vocab = 97, context = 64, sliding_window = -1, attention_sink = 0;
  double rope_theta = 10000.0, rms_eps = 1e-5;
  bool tie = true, qkv_bias = false, o_bias = false, qk_norm = false;
};

// A dense [rows, cols] matrix (or vector when rows == 1) in double.
struct Dense {
  int64_t rows = 0, cols = 0;
  std::vector<double> v;
};

struct TinyLayer {
  Dense in_norm, qkv, qkv_bias, o, o_bias, q_norm, k_norm, post_norm, gate_up, down;
};

struct TinyModel {
  TinyDims dims;
  WeightKind kind;
  std::vector<std::vector<uint8_t>> blobs;  // owned storage of every parameter tensor
  std::vector<const void*> params;          // library order
  Dense embed, final_norm, lm_head;
  std::vector<TinyLayer> layers;
};

TinyModel make_tiny_model(const TinyDims& dims, WeightKind kind, uint32_t seed);

// Logits (double) after each token of `tokens`, run from position 0; K and V rounded through
// fp16 like the library's cache, except for kF32 (q0f32 keeps a float cache); untied
// fp16-dtype heads rounded through fp16. int8_group > 0: every linear's input first goes
// through the int8 activation rounding of the kernels' i8 variants, in groups of that size
// (32 for 4-bit formats, 40 for 3-bit), so those variants can be checked tightly too.
// head_int8_group: the same for the head's input when the head's kernel differs from the
// linears' (-1: int8_group).
std::vector<std::vector<double>> reference_logits(const TinyModel& model,
                                                  const std::vector<int32_t>& tokens,
                                                  int int8_group = 0, int head_int8_group = -1);

// A host table whose parallel_for splits work across 3 std::threads.
const AaeHostApi* threaded_host(uint64_t cpu_features);

// AAE_CPU_* bits of this machine (x86: AVX2, FMA, F16C, AVX-512 F/BW/VNNI; aarch64 Linux: NEON,
// dot product, fp16); 0 elsewhere.
uint64_t host_cpu_features();

// max |a - b| / max |b|.
double relative_error(const std::vector<float>& a, const std::vector<double>& b);

}  // namespace aae::modellib_testing
