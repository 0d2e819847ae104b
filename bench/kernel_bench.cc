// Linear kernel throughput, single thread, for the TinyLlama-1.1B shapes (N x K):
//   qkv 2560x2048, o 2048x2048, gate_up 11264x2048, down 2048x5632, head 32000x2048
// per weight format x kernel variant (modellib/kernels/linear.h), for decode (T = 1, a GEMV)
// and prefill (T = 64, 256, a GEMM). Each iteration is one linear call: prep of the
// activations, then rows() over all N rows on this thread.
//   bytes_per_second: weight bytes read per CPU second (what bounds decode);
//   GFLOPS: 2 * N * K * T per CPU second (what bounds prefill).
// Rates use CPU time, which stays meaningful on a shared machine (compare with the Time column).
// Filter with --benchmark_filter, e.g. 'q4f16_1/x86-avx512.*/T1$'.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "modellib/kernels/linear.h"

namespace {

namespace ml = aae::modellib;

uint64_t cpu_features() {
  uint64_t f = 0;
#if defined(__x86_64__)
  if (!__builtin_cpu_supports("avx2")) return 0;  // also covers the OS saving YMM state
  f |= AAE_CPU_X86_AVX2;
  unsigned a, b, c, d;  // FMA and F16C from CPUID leaf 1 (clang 14's builtin knows no "f16c")
  if (__get_cpuid(1, &a, &b, &c, &d)) {
    if (c & (1u << 12)) f |= AAE_CPU_X86_FMA;
    if (c & (1u << 29)) f |= AAE_CPU_X86_F16C;
  }
  if (__builtin_cpu_supports("avx512f")) f |= AAE_CPU_X86_AVX512F;
  if (__builtin_cpu_supports("avx512bw")) f |= AAE_CPU_X86_AVX512BW;
  if (__builtin_cpu_supports("avx512vnni")) f |= AAE_CPU_X86_AVX512VNNI;
#endif
  return f;
}

struct Shape {
  const char* name;
  int64_t N, K;
};
constexpr Shape kShapes[] = {{"qkv", 2560, 2048},
                             {"o", 2048, 2048},
                             {"gate_up", 11264, 2048},
                             {"down", 2048, 5632},
                             {"head", 32000, 2048}};

// 64-byte aligned, owned bytes.
struct Buffer {
  explicit Buffer(size_t bytes) : size(bytes), p(static_cast<uint8_t*>(std::aligned_alloc(64, (bytes + 127) / 64 * 64))) {}
  ~Buffer() { std::free(p); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  size_t size;
  uint8_t* p;
};

// Random weights in Format's layout: codes and scales for the group formats, values otherwise.
// Returns the weight bytes one call reads.
template <typename Format>
size_t fill_weights(int64_t N, int64_t K, std::vector<Buffer*>& owned, const void* ptrs[2]) {
  std::mt19937 rng(7);
  size_t total = 0;
  if constexpr (Format::kTensors == 1) {
    const size_t bytes = static_cast<size_t>(N * K) * (Format::kParamDType == ml::kParamF32 ? 4 : 2);
    owned.push_back(new Buffer(bytes));
    // Small finite values in either dtype (0x3000 is fp16 0.125; any bits would do for speed,
    // but NaN/denormal patterns could slow the float path).
    uint16_t* h = reinterpret_cast<uint16_t*>(owned.back()->p);
    for (size_t i = 0; i < bytes / 2; ++i) h[i] = static_cast<uint16_t>(0x3000 | (rng() & 0x3ff));
    ptrs[0] = owned.back()->p;
    total = bytes;
  } else {
    const int64_t G = Format::groups(K);
    const size_t code_bytes = static_cast<size_t>(N * G * Format::kWordsPerGroup) * 4;
    const size_t scale_bytes = static_cast<size_t>(N * G) * (Format::kParamDType == ml::kParamF32 ? 4 : 2);
    owned.push_back(new Buffer(code_bytes));
    for (size_t i = 0; i < code_bytes; ++i) owned.back()->p[i] = static_cast<uint8_t>(rng());
    ptrs[0] = owned.back()->p;
    owned.push_back(new Buffer(scale_bytes));
    uint16_t* h = reinterpret_cast<uint16_t*>(owned.back()->p);
    for (size_t i = 0; i < scale_bytes / 2; ++i) h[i] = 0x2000;  // small positive in both dtypes
    ptrs[1] = owned.back()->p;
    total = code_bytes + scale_bytes;
  }
  return total;
}

// Decode reads weights from DRAM: every shape but the head fits the 32 MB L3 of the machine
// this was tuned on, so T == 1 rotates over enough copies (>= kColdBytes) to defeat the cache.
constexpr size_t kColdBytes = size_t{160} << 20;

template <typename Format>
void run_linear(benchmark::State& state, uint32_t variant, Shape shape, int64_t T) {
  const int64_t N = shape.N, K = shape.K;
  std::vector<Buffer*> owned;
  std::vector<std::array<const void*, 2>> copies(1);
  const size_t weight_bytes = fill_weights<Format>(N, K, owned, copies[0].data());
  while (T == 1 && copies.size() * weight_bytes < kColdBytes) {
    copies.emplace_back();
    fill_weights<Format>(N, K, owned, copies.back().data());
  }
  std::vector<float> X(static_cast<size_t>(T * K)), Y(static_cast<size_t>(T * N));
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& v : X) v = normal(rng);
  Buffer acts(static_cast<size_t>(ml::ActsBytes<Format>::of(T, K)) + 64);
  const ml::LinearKernel kernel = ml::LinearKernels<Format>::get(variant);
  size_t next = 0;
  for (auto _ : state) {
    // The KN ("_0") formats also take the row count, as linear() appends it.
    const void* ptrs[3] = {copies[next][0], copies[next][1], &N};
    next = next + 1 == copies.size() ? 0 : next + 1;
    const void* input = X.data();
    if (kernel.prep != nullptr) {
      kernel.prep(X.data(), T, K, acts.p);
      input = acts.p;
    }
    kernel.rows(ptrs, input, Y.data(), N, T, 0, N, K);
    benchmark::DoNotOptimize(Y.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(weight_bytes));
  state.counters["GFLOPS"] = benchmark::Counter(2.0 * N * K * T * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  for (Buffer* b : owned) delete b;
}

template <typename Format>
void register_format(uint64_t features) {
  const uint32_t variants[] = {ml::kLinearScalarI8, ml::kLinearX86Avx2, ml::kLinearX86Avx512,
                               ml::kLinearNeon, ml::kLinearNeonDot};
  for (uint32_t v : variants) {
    if (!ml::LinearKernels<Format>::available(v) || !ml::LinearKernels<Format>::supported(v, features, 2048) ||
        !ml::LinearKernels<Format>::supported(v, features, 5632))
      continue;
    const std::string kname = ml::LinearKernels<Format>::get(v).name;
    for (const Shape& s : kShapes) {
      for (int64_t T : {int64_t{1}, int64_t{64}, int64_t{256}}) {
        // The scalar oracle is only a baseline for decode; its GEMMs would take minutes.
        if (v == ml::kLinearScalarI8 && T > 1) continue;
        const std::string name = std::string(Format::kName) + "/" + kname + "/" + s.name + "/T" + std::to_string(T);
        benchmark::RegisterBenchmark(name.c_str(), [v, s, T](benchmark::State& st) { run_linear<Format>(st, v, s, T); })
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t features = cpu_features();
  register_format<ml::FormatQ4F16_1>(features);
  register_format<ml::FormatQ4F32_1>(features);
  register_format<ml::FormatQ3F16_1>(features);
  register_format<ml::FormatQ0F16>(features);
  register_format<ml::FormatQ0F32>(features);
  register_format<ml::FormatQ0BF16>(features);
  register_format<ml::FormatQ4F16_0>(features);
  register_format<ml::FormatQ3F16_0>(features);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
