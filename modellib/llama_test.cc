// Whole tiny llama-family models: the template's prefill + decode logits against the
// double-precision reference forward pass in testing/tiny_llama.cc, for each architecture
// variant and weight format.
#include <gtest/gtest.h>

#include <cstdio>
#include <type_traits>
#include <vector>

#include "modellib/arch/llama.h"
#include "modellib/export.h"
#include "modellib/testing/tiny_llama.h"

namespace ml = aae::modellib;
namespace mt = aae::modellib_testing;

namespace {

template <typename F, bool kTie = true, int64_t kWindow = -1, int64_t kSink = 0, bool kQkvBias = false,
          bool kOBias = false, bool kQkNorm = false>
struct TinyConfig {
  using Format = F;
  static constexpr int64_t hidden = 64, intermediate = 96, heads = 4, kv_heads = 2, head_dim = 16,
                           layers = 2, vocab = 97, context_window = 64, prefill_chunk = 4,
                           sliding_window = kWindow, attention_sink = kSink;
  static constexpr double rope_theta = 10000.0, rms_eps = 1e-5;
  static constexpr bool tie_embeddings = kTie, qkv_bias = kQkvBias, o_bias = kOBias,
                        qk_norm = kQkNorm;
};

template <typename Config>
mt::TinyDims dims_of() {
  mt::TinyDims d;
  d.sliding_window = Config::sliding_window;
  d.attention_sink = Config::attention_sink;
  d.tie = Config::tie_embeddings;
  d.qkv_bias = Config::qkv_bias;
  d.o_bias = Config::o_bias;
  d.qk_norm = Config::qk_norm;
  return d;
}

template <typename Format>
int act_group() {
  if constexpr (Format::kTensors == 2) {
    return static_cast<int>(Format::kWordsPerGroup * Format::kPerWord);
  } else {
    return 0;
  }
}

std::vector<int32_t> test_tokens(int n) {
  std::vector<int32_t> t;
  for (int i = 0; i < n; ++i) t.push_back((i * 37 + 11) % 97);
  return t;
}

// Prefills `prompt` tokens in chunks, then decodes the rest one by one, comparing the logits
// after the prefill and after every decode step. Returns the worst relative error.
template <typename Config>
double run_and_compare(mt::WeightKind kind, int prompt, int total, uint64_t features = 0) {
  using Model = ml::LlamaFamily<Config>;
  const mt::TinyModel model = mt::make_tiny_model(dims_of<Config>(), kind, 42);
  EXPECT_EQ(static_cast<int64_t>(model.params.size()), Model::kNumParams);
  const std::vector<int32_t> tokens = test_tokens(total);
  // The reference rounds linear inputs to int8 like the kernels when the picked variant does.
  const int64_t ks[] = {Config::hidden, Config::heads * Config::head_dim, Config::intermediate};
  using Linear = typename Model::Format;
  using Head = typename Model::HeadFormat;
  const ml::LinearKernel kernel = ml::LinearKernels<Linear>::get(ml::LinearKernels<Linear>::pick(features, ks, 3));
  const ml::LinearKernel head =
      ml::LinearKernels<Head>::get(ml::LinearKernels<Head>::pick(features, ks, 1));
  const auto ref = mt::reference_logits(model, tokens, kernel.prep ? act_group<Linear>() : 0,
                                        head.prep ? act_group<Head>() : 0);
  std::vector<unsigned char> storage(Model::kStateBytes + 64);
  void* state = storage.data() + (64 - reinterpret_cast<uintptr_t>(storage.data()) % 64) % 64;
  const AaeHostApi* host = mt::threaded_host(features);
  std::vector<float> logits(Config::vocab);
  EXPECT_EQ(Model::prepare(host, model.params.data(), state), AAE_MODEL_LIB_OK);
  double worst = 0;
  for (int pos = 0; pos < prompt; pos += Config::prefill_chunk) {
    const int n = std::min<int>(Config::prefill_chunk, prompt - pos);
    EXPECT_EQ(Model::prefill(host, model.params.data(), state, tokens.data() + pos, n, pos,
                             logits.data()),
              AAE_MODEL_LIB_OK);
  }
  // NaN-safe maxima: a NaN logit (or reference) must fail the caller's bound, not vanish.
  auto track = [&worst](double e) {
    if (!(e <= worst)) worst = e;
  };
  track(mt::relative_error(logits, ref[prompt - 1]));
  for (int pos = prompt; pos < total; ++pos) {
    EXPECT_EQ(Model::decode(host, model.params.data(), state, tokens[pos], pos, logits.data()),
              AAE_MODEL_LIB_OK);
    track(mt::relative_error(logits, ref[pos]));
  }
  std::printf("  %s %s (head %s): worst relative logits error %.3g\n", Config::Format::kName, kernel.name,
              head.name, worst);
  return worst;
}

TEST(LlamaFamily, Q0F32TiedMatchesDoubleReference) {
  EXPECT_LE(run_and_compare<TinyConfig<ml::FormatQ0F32>>(mt::WeightKind::kF32, 10, 16), 1e-4);
}

TEST(LlamaFamily, Q0F32UntiedMatchesDoubleReference) {
  EXPECT_LE((run_and_compare<TinyConfig<ml::FormatQ0F32, false>>(mt::WeightKind::kF32, 7, 12)), 1e-4);
}

TEST(LlamaFamily, Q0F16MatchesReferenceOnHalfWeights) {
  EXPECT_LE(run_and_compare<TinyConfig<ml::FormatQ0F16>>(mt::WeightKind::kF16, 9, 14), 1e-4);
}

TEST(LlamaFamily, Q4F16MatchesReferenceOnDequantizedWeights) {
  EXPECT_LE(run_and_compare<TinyConfig<ml::FormatQ4F16_1>>(mt::WeightKind::kQ4F16, 10, 16), 1e-4);
}

// This machine's fastest kernels (SIMD, int8 activations for the group formats) against the
// reference with the same activation rounding. Float variants differ from the reference only in
// summation order (1e-4). Int8 variants can also differ by a rounding flip: an activation within
// float noise of a half step rounds the other way in the double reference, which moves these
// tiny models' logits by up to ~5e-3; the kernels themselves are checked tightly against the
// scalar int8 oracle by LinearKernelSuite.
TEST(LlamaFamily, EveryFormatWithTheHostsFastestKernelsMatchesReference) {
  const uint64_t f = mt::host_cpu_features();
  if (f == 0) GTEST_SKIP() << "no SIMD features detected on this host";
  EXPECT_LE(run_and_compare<TinyConfig<ml::FormatQ0F32>>(mt::WeightKind::kF32, 10, 16, f), 1e-4);
  EXPECT_LE(run_and_compare<TinyConfig<ml::FormatQ0F16>>(mt::WeightKind::kF16, 9, 14, f), 1e-4);
  EXPECT_LE(run_and_compare<TinyConfig<ml::FormatQ4F16_1>>(mt::WeightKind::kQ4F16, 10, 16, f), 1e-2);
  EXPECT_LE(run_and_compare<TinyConfig<ml::FormatQ4F32_1>>(mt::WeightKind::kQ4F32, 6, 10, f), 1e-2);
  EXPECT_LE(run_and_compare<TinyConfig<ml::FormatQ3F16_1>>(mt::WeightKind::kQ3F16, 6, 10, f), 1e-2);
  EXPECT_LE(run_and_compare<TinyConfig<ml::FormatQ0BF16>>(mt::WeightKind::kBF16, 9, 14, f), 1e-4);
  EXPECT_LE((run_and_compare<TinyConfig<ml::FormatQ4F16_2, false>>(mt::WeightKind::kQ4F16_2, 7, 12, f)), 1e-2);
  EXPECT_LE(run_and_compare<TinyConfig<ml::FormatQ4F16_0Model>>(mt::WeightKind::kQ4F16_0, 6, 10, f), 1e-2);
  EXPECT_LE((run_and_compare<TinyConfig<ml::FormatQ4F16_0Model, false>>(mt::WeightKind::kQ4F16_0, 6, 10, f)),
            1e-2);
  EXPECT_LE(run_and_compare<TinyConfig<ml::FormatQ3F16_0Model>>(mt::WeightKind::kQ3F16_0, 6, 10, f), 1e-2);
}

// bfloat16 weights and norms (widened by a shift), fp16 KV cache, fp32 logits.
TEST(LlamaFamily, Q0BF16MatchesReferenceOnBfloat16Weights) {
  EXPECT_LE(run_and_compare<TinyConfig<ml::FormatQ0BF16>>(mt::WeightKind::kBF16, 9, 14), 1e-4);
  EXPECT_LE((run_and_compare<TinyConfig<ml::FormatQ0BF16, false>>(mt::WeightKind::kBF16, 5, 9)), 1e-4);
}

// q4f16_2: q4f16_1 linears with an fp16 embedding (tied head) or fp16 embedding and lm_head.
TEST(LlamaFamily, Q4F16_2KeepsEmbeddingAndHeadInHalf) {
  using Tied = ml::LlamaFamily<TinyConfig<ml::FormatQ4F16_2>>;
  static_assert(std::is_same_v<Tied::Format, ml::FormatQ4F16_1>);
  static_assert(std::is_same_v<Tied::EmbedFormat, ml::FormatQ0F16>);
  static_assert(Tied::kNumParams == 1 + 2 * (1 + 2 + 2 + 1 + 2 + 2) + 1);
  EXPECT_LE(run_and_compare<TinyConfig<ml::FormatQ4F16_2>>(mt::WeightKind::kQ4F16_2, 10, 16), 1e-4);
  EXPECT_LE((run_and_compare<TinyConfig<ml::FormatQ4F16_2, false>>(mt::WeightKind::kQ4F16_2, 7, 12)), 1e-4);
}

// The "_0" codes: KN linears (and untied head), NK embedding.
TEST(LlamaFamily, KnLayoutCodesMatchReferenceOnDequantizedWeights) {
  EXPECT_LE(run_and_compare<TinyConfig<ml::FormatQ4F16_0Model>>(mt::WeightKind::kQ4F16_0, 10, 16), 1e-4);
  EXPECT_LE((run_and_compare<TinyConfig<ml::FormatQ4F16_0Model, false>>(mt::WeightKind::kQ4F16_0, 7, 12)), 1e-4);
  EXPECT_LE(run_and_compare<TinyConfig<ml::FormatQ3F16_0Model>>(mt::WeightKind::kQ3F16_0, 6, 10), 1e-4);
  EXPECT_LE((run_and_compare<TinyConfig<ml::FormatQ3F16_0Model, false>>(mt::WeightKind::kQ3F16_0, 6, 10)), 1e-4);
}

TEST(LlamaFamily, Q4F32AndQ3F16MatchReferenceOnDequantizedWeights) {
  EXPECT_LE(run_and_compare<TinyConfig<ml::FormatQ4F32_1>>(mt::WeightKind::kQ4F32, 6, 10), 1e-4);
  EXPECT_LE(run_and_compare<TinyConfig<ml::FormatQ3F16_1>>(mt::WeightKind::kQ3F16, 6, 10), 1e-4);
}

TEST(LlamaFamily, MistralSlidingWindowWithSinksMatchesReference) {
  // Window 8, 2 sinks, 30 positions: most steps run with positions evicted.
  using Config = TinyConfig<ml::FormatQ0F32, false, 8, 2>;
  EXPECT_LE(run_and_compare<Config>(mt::WeightKind::kF32, 13, 30), 1e-4);
}

TEST(LlamaFamily, Qwen2QkvBiasMatchesReference) {
  using Config = TinyConfig<ml::FormatQ4F16_1, true, -1, 0, true>;
  EXPECT_LE(run_and_compare<Config>(mt::WeightKind::kQ4F16, 9, 14), 1e-4);
}

TEST(LlamaFamily, Qwen3QkNormAndBiasesMatchReference) {
  using Config = TinyConfig<ml::FormatQ0F32, true, -1, 0, true, true, true>;
  EXPECT_LE(run_and_compare<Config>(mt::WeightKind::kF32, 9, 14), 1e-4);
  using NoBias = TinyConfig<ml::FormatQ4F16_1, true, -1, 0, false, false, true>;
  EXPECT_LE(run_and_compare<NoBias>(mt::WeightKind::kQ4F16, 5, 9), 1e-4);
}

TEST(LlamaFamily, RejectsBadArgumentsWithStatusCodes) {
  using Config = TinyConfig<ml::FormatQ0F32>;
  using Model = ml::LlamaFamily<Config>;
  const mt::TinyModel model = mt::make_tiny_model(dims_of<Config>(), mt::WeightKind::kF32, 1);
  std::vector<unsigned char> state(Model::kStateBytes);
  std::vector<float> logits(Config::vocab);
  const AaeHostApi* host = mt::threaded_host(0);
  const int32_t tok = 5;
  EXPECT_EQ(Model::decode(host, model.params.data(), state.data(), tok, 0, logits.data()),
            AAE_MODEL_LIB_ERR_NOT_PREPARED);
  AaeHostApi wrong = *host;
  wrong.abi_version = 99;
  EXPECT_EQ(Model::prepare(&wrong, model.params.data(), state.data()), AAE_MODEL_LIB_ERR_ABI);
  ASSERT_EQ(Model::prepare(host, model.params.data(), state.data()), AAE_MODEL_LIB_OK);
  EXPECT_EQ(Model::decode(host, model.params.data(), state.data(), 97, 0, logits.data()),
            AAE_MODEL_LIB_ERR_TOKEN);
  EXPECT_EQ(Model::decode(host, model.params.data(), state.data(), tok, 64, logits.data()),
            AAE_MODEL_LIB_ERR_CONTEXT);
  const int32_t five[5] = {1, 2, 3, 4, 5};
  EXPECT_EQ(Model::prefill(host, model.params.data(), state.data(), five, 5, 0, logits.data()),
            AAE_MODEL_LIB_ERR_ARGUMENT);
  EXPECT_EQ(Model::prefill(host, model.params.data(), state.data(), five, 4, 61, logits.data()),
            AAE_MODEL_LIB_ERR_CONTEXT);
  EXPECT_EQ(Model::reset(host, state.data()), AAE_MODEL_LIB_OK);
}

}  // namespace

// The export macros in a hosted TU: the descriptor carries the template's numbers.
namespace {
using ExportModel = ml::LlamaFamily<TinyConfig<ml::FormatQ4F16_1>>;
}
AAE_MODEL_METADATA_DEFINE(aae_test_tiny, "{\"abi_version\":1}");
AAE_MODEL_LIB_DEFINE(aae_test_tiny, ExportModel);

TEST(ModelLibExport, DescriptorCarriesTemplateLayout) {
  const AaeModelLib& lib = AAE_MODEL_LIB_SYMBOL(aae_test_tiny);
  EXPECT_EQ(lib.abi_version, AAE_MODEL_LIB_ABI_VERSION);
  EXPECT_STREQ(lib.model_lib, "aae_test_tiny");
  EXPECT_STREQ(lib.metadata_json, "{\"abi_version\":1}");
  EXPECT_EQ(lib.state_bytes, ExportModel::kStateBytes);
  EXPECT_EQ(lib.kv_cache_bytes + lib.workspace_bytes, lib.state_bytes);
  EXPECT_EQ(lib.kv_cache_bytes, 2ull * 2 * 64 * 2 * 16 * 2);  // K+V, layers, ctx, kv heads, D, fp16
  EXPECT_EQ(lib.num_params, 2u + 2 * (1 + 2 + 2 + 1 + 2 + 2) + 1);
  EXPECT_EQ(lib.vocab_size, 97);
  EXPECT_EQ(lib.prefill_chunk_size, 4);
}

// MLC keeps the KV cache in the model dtype: float for q0f32, fp16 for the fp16 formats.
TEST(LlamaFamily, KvCacheElementFollowsTheWeightFormat) {
  using F32 = ml::LlamaFamily<TinyConfig<ml::FormatQ0F32>>;
  using F16 = ml::LlamaFamily<TinyConfig<ml::FormatQ0F16>>;
  static_assert(std::is_same_v<F32::Kv, float>);
  static_assert(std::is_same_v<F16::Kv, uint16_t>);
  EXPECT_EQ(F32::kKvCacheBytes, 2ull * 2 * 64 * 2 * 16 * 4);  // K+V, layers, ctx, kv heads, D
  EXPECT_EQ(F16::kKvCacheBytes, 2ull * 2 * 64 * 2 * 16 * 2);
  EXPECT_EQ(F32::kWorkspaceBytes, F16::kWorkspaceBytes);
}
