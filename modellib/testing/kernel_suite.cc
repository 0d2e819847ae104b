#include "modellib/testing/kernel_suite.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

#include "modellib/kernels/linear.h"
#include "runtime/base/half.h"

namespace aae::modellib_testing {
namespace {

namespace ml = aae::modellib;

// Owned tensors of one linear in a Format's layout, plus their pointer list (KN formats: a
// third entry pointing at N, as linear() appends it; set by bind() once the object stays put).
struct Weights {
  std::vector<uint8_t> a, b;
  int64_t rows = 0;
  const void* ptrs[3] = {nullptr, nullptr, nullptr};
  void bind() {
    ptrs[0] = a.data();
    ptrs[1] = b.empty() ? nullptr : b.data();
    ptrs[2] = &rows;
  }
};

// The NK words/scales of a group format stored transposed for the KN ("_0") formats.
template <typename Format>
void transpose_for_kn(Weights& w, int64_t N, int64_t G) {
  if constexpr (ml::AppendsRowCount<Format>::value) {
    const int64_t words = G * Format::kWordsPerGroup;
    std::vector<uint8_t> a(w.a.size()), b(w.b.size());
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t j = 0; j < words; ++j) std::memcpy(&a[(j * N + n) * 4], &w.a[(n * words + j) * 4], 4);
      for (int64_t g = 0; g < G; ++g) std::memcpy(&b[(g * N + n) * 2], &w.b[(n * G + g) * 2], 2);
    }
    w.a.swap(a);
    w.b.swap(b);
  }
}

template <typename Format>
Weights make_weights(int64_t N, int64_t K, std::mt19937& rng) {
  Weights w;
  std::normal_distribution<float> normal(0.0f, 0.05f);
  w.rows = N;
  if constexpr (Format::kTensors == 1) {
    const bool half = Format::kParamDType != ml::kParamF32;
    w.a.resize(N * K * (half ? 2 : 4));
    for (int64_t i = 0; i < N * K; ++i) {
      const float v = normal(rng);
      if (Format::kParamDType == ml::kParamBF16) {
        reinterpret_cast<uint16_t*>(w.a.data())[i] = aae::float_to_bfloat16(v);
      } else if (half) {
        reinterpret_cast<uint16_t*>(w.a.data())[i] = aae::float_to_half(v);
      } else {
        reinterpret_cast<float*>(w.a.data())[i] = v;
      }
    }
  } else {
    // Random codes everywhere, including the padding of a ragged last group (a kernel must not
    // let them through); the unused top bits of 3-bit words stay zero, as the converter writes.
    const int64_t G = Format::groups(K), words = N * G * Format::kWordsPerGroup;
    w.a.resize(words * 4);
    std::uniform_int_distribution<uint32_t> code(0, Format::kMask);
    for (int64_t i = 0; i < words; ++i) {
      uint32_t word = 0;
      for (int j = 0; j < Format::kPerWord; ++j) word |= code(rng) << (j * (32 / Format::kPerWord));  // 4 or 3 bits
      reinterpret_cast<uint32_t*>(w.a.data())[i] = word;
    }
    std::uniform_real_distribution<float> scale(0.001f, 0.05f);
    const bool half = Format::kHalfParams;
    w.b.resize(N * G * (half ? 2 : 4));
    for (int64_t i = 0; i < N * G; ++i) {
      if (half) {
        reinterpret_cast<uint16_t*>(w.b.data())[i] = aae::float_to_half(scale(rng));
      } else {
        reinterpret_cast<float*>(w.b.data())[i] = scale(rng);
      }
    }
    transpose_for_kn<Format>(w, N, G);
  }
  return w;
}

// 64-byte aligned scratch for the activations.
struct Aligned {
  explicit Aligned(size_t bytes) : p(std::aligned_alloc(64, (bytes + 64) / 64 * 64)) {}
  ~Aligned() { std::free(p); }
  Aligned(const Aligned&) = delete;
  Aligned& operator=(const Aligned&) = delete;
  void* p;
};

// Runs `kernel` over rows [0, N) as two ragged ranges split at `split`, into Y with stride ldy.
std::vector<float> run(const ml::LinearKernel& kernel, const Weights& w, const std::vector<float>& X,
                       int64_t T, int64_t N, int64_t K, int64_t ldy, int64_t split, void* acts) {
  std::vector<float> Y(T * ldy, NAN);
  const void* input = X.data();
  if (kernel.prep != nullptr) {
    kernel.prep(X.data(), T, K, acts);
    input = acts;
  }
  kernel.rows(w.ptrs, input, Y.data(), ldy, T, 0, split, K);
  kernel.rows(w.ptrs, input, Y.data(), ldy, T, split, N, K);
  return Y;
}

// Half the int8 quantization step of element k's group in token t (groups of the Format's size).
template <typename Format>
double half_step_of(const std::vector<float>& X, int64_t t, int64_t K, int64_t k) {
  if constexpr (Format::kTensors == 1) {
    return 0.0;
  } else {
    const int64_t group = Format::kWordsPerGroup * Format::kPerWord, g0 = k / group * group;
    double amax = 0;
    for (int64_t j = g0; j < g0 + group && j < K; ++j) amax = std::max(amax, std::fabs(double(X[t * K + j])));
    return amax / 254.0;
  }
}

template <typename Format>
void check_variant(uint32_t id, uint64_t features, SuiteResult& result) {
  using Kernels = ml::LinearKernels<Format>;
  if (!Kernels::available(id) || id == ml::kLinearReference) return;
  const ml::LinearKernel kernel = Kernels::get(id);
  const bool i8 = kernel.prep != nullptr;
  const ml::LinearKernel oracle =
      Kernels::get(i8 && Kernels::available(ml::kLinearScalarI8) ? ml::kLinearScalarI8 : ml::kLinearReference);
  const ml::LinearKernel reference = Kernels::get(ml::kLinearReference);
  const auto half_step = &half_step_of<Format>;
  bool ran = false;
  struct Shape {
    int64_t N, K;
  };
  const Shape shapes[] = {{16, 32}, {33, 64}, {17, 80}, {40, 120}, {5, 100}, {37, 176},
                          {64, 2048}, {19, 5632}, {48, 640}, {21, 1000},
                          {13, 520}, {9, 264}};
  const int64_t tokens[] = {1, 2, 3, 5, 17, 64};
  std::mt19937 rng(1234 + id);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (const Shape& s : shapes) {
    if (!Kernels::supported(id, features, s.K)) continue;
    Weights w = make_weights<Format>(s.N, s.K, rng);
    w.bind();
    std::vector<float> dense(s.N * s.K);
    for (int64_t n = 0; n < s.N; ++n) Format::dequant_row(w.ptrs, n, dense.data() + n * s.K, s.K);
    for (int64_t T : tokens) {
      if (T > 17 && s.K > 640) continue;  // keep the suite fast under qemu
      std::vector<float> X(T * s.K);
      for (auto& v : X) v = normal(rng);
      if (T >= 3)  // an all-zero token and an outlier exercise amax == 0 and a wide range
        for (int64_t k = 0; k < s.K; ++k) X[1 * s.K + k] = 0.0f, X[2 * s.K + k] *= (k % 7 == 0 ? 30.0f : 1.0f);
      const int64_t ldy = s.N + 3, split = s.N > 16 ? 16 : s.N / 2 + 1;
      Aligned acts(static_cast<size_t>(ml::ActsBytes<Format>::of(T, s.K)) + 64);
      const auto y = run(kernel, w, X, T, s.N, s.K, ldy, split, acts.p);
      const auto y_oracle = run(oracle, w, X, T, s.N, s.K, ldy, s.N, acts.p);
      const auto y_ref = run(reference, w, X, T, s.N, s.K, ldy, s.N, acts.p);
      ran = true;
      ++result.checked;
      double worst = 0, worst_ref = 0;
      int64_t worst_at = -1;
      bool stray = false;
      for (int64_t t = 0; t < T; ++t) {
        for (int64_t n = 0; n < ldy; ++n) {
          const float v = y[t * ldy + n];
          if (n >= s.N) {
            stray |= !std::isnan(v);
            continue;
          }
          double mag = 1e-6, int8_bound = 0;
          for (int64_t k = 0; k < s.K; ++k) {
            mag += std::fabs(double(dense[n * s.K + k]) * X[t * s.K + k]);
            if (i8) int8_bound += std::fabs(double(dense[n * s.K + k])) * half_step(X, t, s.K, k);
          }
          const double e = std::fabs(double(v) - y_oracle[t * ldy + n]) / mag;
          // Against the exact reference, int8 activations may be off by half a quantization
          // step (amax/254 of the element's group) per element.
          const double e_ref =
              (std::fabs(double(v) - y_ref[t * ldy + n]) - 1.001 * int8_bound) / mag;
          if (!(e <= worst)) worst = e, worst_at = t * s.N + n;  // NaN counts as worst
          if (!(e_ref <= worst_ref)) worst_ref = e_ref;
        }
      }
      // Same products, different summation order: 1e-5 of the sum of |terms|.
      if (!(worst <= 1e-5) || !(worst_ref <= 1e-5) || stray) {
        char line[256];
        std::snprintf(line, sizeof line,
                      "%s %s N=%lld K=%lld T=%lld: error vs %s %.3g (at %lld), vs reference %.3g%s",
                      Format::kName, kernel.name, static_cast<long long>(s.N), static_cast<long long>(s.K),
                      static_cast<long long>(T), oracle.name, worst, static_cast<long long>(worst_at),
                      worst_ref, stray ? ", wrote outside its rows" : "");
        result.failures.push_back(line);
      }
    }
  }
  if (ran) result.variants.push_back(std::string(Format::kName) + " " + kernel.name);
}

}  // namespace

SuiteResult run_linear_kernel_suite(uint64_t cpu_features, uint32_t only_variant) {
  SuiteResult result;
  for (uint32_t id = 1; id < ml::kLinearVariantCount; ++id) {
    if (only_variant != ~0u && id != only_variant) continue;
    check_variant<ml::FormatQ0F32>(id, cpu_features, result);
    check_variant<ml::FormatQ0F16>(id, cpu_features, result);
    check_variant<ml::FormatQ4F16_1>(id, cpu_features, result);
    check_variant<ml::FormatQ4F32_1>(id, cpu_features, result);
    check_variant<ml::FormatQ3F16_1>(id, cpu_features, result);
    check_variant<ml::FormatQ0BF16>(id, cpu_features, result);
    check_variant<ml::FormatQ4F16_0>(id, cpu_features, result);
    check_variant<ml::FormatQ3F16_0>(id, cpu_features, result);
  }
  return result;
}

}  // namespace aae::modellib_testing
