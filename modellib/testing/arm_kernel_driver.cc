// A standalone program (built by arm_kernels_test.cc with aarch64-linux-gnu-g++ -static, run
// under qemu-aarch64) that checks the aarch64 linear kernels with the shared kernel suite:
//   1. kLinearNeon with the features a plain ARMv8.0 core reports (NEON only);
//   2. kLinearNeonDot with the features this CPU reports (getauxval(AT_HWCAP) & HWCAP_ASIMDDP),
//      or, without the dot-product extension, a check that the suite skips it as unsupported.
// Output, one block per run:
//   <run>: <variants> variants, <cases> cases, <failures> failures
//     <format> <variant name>          (one line per variant run)
//     FAIL <details>                   (one line per failure)
//   neon-dot: not supported by this cpu   (instead of run 2's block when asimddp is absent)
// then, for each of those feature sets, a tiny llama model (prefill + decode) per format through
// the variant the library picks, against the double reference with the same int8 activation
// rounding (testing/tiny_llama.h):
//   model <format> <variant name>: <worst relative logits error>
// Exit status 0 when every run passed and each run that should have checked something did.
#include <sys/auxv.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "modellib/arch/llama.h"
#include "modellib/kernels/linear.h"
#include "modellib/testing/kernel_suite.h"
#include "modellib/testing/tiny_llama.h"

namespace ml = aae::modellib;
namespace mt = aae::modellib_testing;

namespace {

constexpr unsigned long kHwcapAsimd = 1ul << 1;    // HWCAP_ASIMD
constexpr unsigned long kHwcapAsimdDp = 1ul << 20;  // HWCAP_ASIMDDP

// Prints one run's block; returns false when it failed or checked nothing.
bool report(const char* run, const mt::SuiteResult& r) {
  std::printf("%s: %zu variants, %d cases, %zu failures\n", run, r.variants.size(), r.checked,
              r.failures.size());
  for (const auto& v : r.variants) std::printf("  %s\n", v.c_str());
  for (const auto& f : r.failures) std::printf("  FAIL %s\n", f.c_str());
  return r.failures.empty() && r.checked > 0;
}

template <typename F>
struct TinyConfig {
  using Format = F;
  static constexpr int64_t hidden = 64, intermediate = 96, heads = 4, kv_heads = 2, head_dim = 16,
                           layers = 2, vocab = 97, context_window = 64, prefill_chunk = 4,
                           sliding_window = -1, attention_sink = 0;
  static constexpr double rope_theta = 10000.0, rms_eps = 1e-5;
  static constexpr bool tie_embeddings = true, qkv_bias = false, o_bias = false, qk_norm = false;
};

// Prefills 8 tokens (2 chunks of 4), decodes 4 more; prints and checks the worst logits error.
// Float formats differ from the reference only in summation order (1e-4); int8 ones also by an
// occasional activation rounding flip between the float kernels and the double reference (1e-2,
// the bound the host's llama tests use).
template <typename F>
bool model_ok(mt::WeightKind kind, uint64_t features) {
  using C = TinyConfig<F>;
  using Model = ml::LlamaFamily<C>;
  const mt::TinyModel model = mt::make_tiny_model(mt::TinyDims{}, kind, 42);
  std::vector<int32_t> tokens;
  for (int i = 0; i < 12; ++i) tokens.push_back((i * 37 + 11) % 97);
  const int64_t ks[] = {C::hidden, C::heads * C::head_dim, C::intermediate};
  using Linear = typename Model::Format;  // the model format's linear / head weight formats
  using Head = typename Model::HeadFormat;
  const ml::LinearKernel kernel = ml::LinearKernels<Linear>::get(ml::LinearKernels<Linear>::pick(features, ks, 3));
  const ml::LinearKernel head = ml::LinearKernels<Head>::get(ml::LinearKernels<Head>::pick(features, ks, 1));
  int group = 0, head_group = 0;
  if constexpr (Linear::kTensors == 2)
    group = kernel.prep == nullptr ? 0 : Linear::kWordsPerGroup * Linear::kPerWord;
  if constexpr (Head::kTensors == 2) head_group = head.prep == nullptr ? 0 : Head::kWordsPerGroup * Head::kPerWord;
  const auto ref = mt::reference_logits(model, tokens, group, head_group);
  std::vector<uint64_t> storage(Model::kStateBytes / 8 + 8);
  const AaeHostApi* host = mt::threaded_host(features);
  std::vector<float> logits(C::vocab);
  double worst = 1e9;
  if (Model::prepare(host, model.params.data(), storage.data()) == AAE_MODEL_LIB_OK &&
      Model::prefill(host, model.params.data(), storage.data(), tokens.data(), 4, 0, logits.data()) == 0 &&
      Model::prefill(host, model.params.data(), storage.data(), tokens.data() + 4, 4, 4, logits.data()) == 0) {
    worst = mt::relative_error(logits, ref[7]);
    for (int p = 8; p < 12; ++p) {
      if (Model::decode(host, model.params.data(), storage.data(), tokens[p], p, logits.data()) != 0) {
        worst = 1e9;
        break;
      }
      const double e = mt::relative_error(logits, ref[p]);
      if (!(e <= worst)) worst = e;  // NaN-safe
    }
  }
  const bool ok = worst <= (group > 0 || head_group > 0 ? 1e-2 : 1e-4);
  std::printf("model %s %s: %.3g%s\n", F::kName, kernel.name, worst, ok ? "" : " FAIL");
  return ok;
}

bool models_ok(uint64_t features) {
  bool ok = model_ok<ml::FormatQ0F32>(mt::WeightKind::kF32, features);
  ok = model_ok<ml::FormatQ0F16>(mt::WeightKind::kF16, features) && ok;
  ok = model_ok<ml::FormatQ4F16_1>(mt::WeightKind::kQ4F16, features) && ok;
  ok = model_ok<ml::FormatQ4F32_1>(mt::WeightKind::kQ4F32, features) && ok;
  ok = model_ok<ml::FormatQ0BF16>(mt::WeightKind::kBF16, features) && ok;
  ok = model_ok<ml::FormatQ4F16_2>(mt::WeightKind::kQ4F16_2, features) && ok;
  ok = model_ok<ml::FormatQ4F16_0Model>(mt::WeightKind::kQ4F16_0, features) && ok;
  ok = model_ok<ml::FormatQ3F16_0Model>(mt::WeightKind::kQ3F16_0, features) && ok;
  return model_ok<ml::FormatQ3F16_1>(mt::WeightKind::kQ3F16, features) && ok;
}

}  // namespace

int main() {
#if !defined(__aarch64__)
  std::printf("not an aarch64 build: nothing to check\n");
  return 1;
#else
  const unsigned long hwcap = getauxval(AT_HWCAP);
  uint64_t features = 0;
  if (hwcap & kHwcapAsimd) features |= AAE_CPU_ARM_NEON;
  if (hwcap & kHwcapAsimdDp) features |= AAE_CPU_ARM_DOTPROD;
  std::printf("cpu: neon=%d dotprod=%d\n", (features & AAE_CPU_ARM_NEON) != 0,
              (features & AAE_CPU_ARM_DOTPROD) != 0);
  bool ok = report("neon", mt::run_linear_kernel_suite(AAE_CPU_ARM_NEON, ml::kLinearNeon));
  const mt::SuiteResult dot = mt::run_linear_kernel_suite(features, ml::kLinearNeonDot);
  if (features & AAE_CPU_ARM_DOTPROD) {
    ok = report("neon-dot", dot) && ok;
  } else if (dot.checked == 0 && dot.variants.empty()) {
    std::printf("neon-dot: not supported by this cpu\n");
  } else {
    std::printf("neon-dot: ran %d cases although the cpu lacks asimddp\n", dot.checked);
    ok = false;
  }
  ok = models_ok(AAE_CPU_ARM_NEON) && ok;
  if (features & AAE_CPU_ARM_DOTPROD) ok = models_ok(features) && ok;
  std::printf("%s\n", ok ? "PASS" : "FAILED");
  return ok ? 0 : 1;
#endif
}
