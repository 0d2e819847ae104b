// A standalone program for checking the template on another architecture (built by
// cross_arch_test.cc with a cross compiler, run under qemu): runs tiny q4f16_1 and q0f32
// llama models through prefill + decode and prints the worst relative logits error against
// the double reference (with the kernels' int8 activation rounding when the picked variant
// uses it). Exit status 0 when q0f32 is within 1e-4 and q4f16_1 within 1e-2 (int8 rounding
// flips; see llama_test.cc).
#include <cstdio>
#include <vector>

#include "modellib/arch/llama.h"
#include "modellib/testing/tiny_llama.h"

namespace ml = aae::modellib;
namespace mt = aae::modellib_testing;

namespace {

template <typename F>
struct Config {
  using Format = F;
  static constexpr int64_t hidden = 64, intermediate = 96, heads = 4, kv_heads = 2, head_dim = 16,
                           layers = 2, vocab = 97, context_window = 64, prefill_chunk = 4,
                           sliding_window = -1, attention_sink = 0;
  static constexpr double rope_theta = 10000.0, rms_eps = 1e-5;
  static constexpr bool tie_embeddings = true, qkv_bias = false, o_bias = false, qk_norm = false;
};

template <typename C>
double worst_error(mt::WeightKind kind) {
  using Model = ml::LlamaFamily<C>;
  using F = typename C::Format;
  const mt::TinyModel model = mt::make_tiny_model(mt::TinyDims{}, kind, 42);
  std::vector<int32_t> tokens;
  for (int i = 0; i < 12; ++i) tokens.push_back((i * 37 + 11) % 97);
  // The reference rounds linear inputs to int8 like the kernels when the picked variant does.
  const uint64_t features = mt::host_cpu_features();
  const int64_t ks[] = {C::hidden, C::heads * C::head_dim, C::intermediate};
  const ml::LinearKernel kernel = ml::LinearKernels<F>::get(ml::LinearKernels<F>::pick(features, ks, 3));
  int group = 0;
  if constexpr (F::kTensors == 2) group = kernel.prep == nullptr ? 0 : F::kWordsPerGroup * F::kPerWord;
  const auto ref = mt::reference_logits(model, tokens, group);
  std::printf("%s kernels: %s\n", F::kName, kernel.name);
  std::vector<uint64_t> storage(Model::kStateBytes / 8 + 8);
  void* state = storage.data();
  const AaeHostApi* host = mt::threaded_host(features);
  std::vector<float> logits(C::vocab);
  if (Model::prepare(host, model.params.data(), state) != AAE_MODEL_LIB_OK) return 1e9;
  if (Model::prefill(host, model.params.data(), state, tokens.data(), 4, 0, logits.data()) != 0)
    return 1e9;
  double worst = mt::relative_error(logits, ref[3]);
  for (int p = 4; p < 12; ++p) {
    if (Model::decode(host, model.params.data(), state, tokens[p], p, logits.data()) != 0) return 1e9;
    const double e = mt::relative_error(logits, ref[p]);
    worst = e > worst ? e : worst;
  }
  return worst;
}

}  // namespace

int main() {
  const double q0 = worst_error<Config<ml::FormatQ0F32>>(mt::WeightKind::kF32);
  const double q4 = worst_error<Config<ml::FormatQ4F16_1>>(mt::WeightKind::kQ4F16);
  std::printf("q0f32 %.3g q4f16_1 %.3g\n", q0, q4);
  return q0 <= 1e-4 && q4 <= 1e-2 ? 0 : 1;
}
