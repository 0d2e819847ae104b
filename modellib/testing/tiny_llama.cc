#include "modellib/testing/tiny_llama.h"

#include <cmath>
#include <cstring>
#include <random>
#include <thread>

#include "runtime/base/half.h"

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

namespace aae::modellib_testing {
namespace {

bool half_params(WeightKind k) {
  return k != WeightKind::kF32 && k != WeightKind::kQ4F32 && k != WeightKind::kBF16;
}

enum class Role { kLinear, kEmbedding, kLmHead };

// The storage of one matrix: dense (f32, f16 or bf16) or group-quantized (NK or KN).
struct Storage {
  WeightKind dense = WeightKind::kF32;  // kF32, kF16 or kBF16 when not quantized
  bool quantized = false, q3 = false, f32_scale = false, kn = false;
};

Storage storage_of(WeightKind kind, Role role) {
  Storage s;
  switch (kind) {
    case WeightKind::kF32: case WeightKind::kF16: case WeightKind::kBF16: s.dense = kind; break;
    case WeightKind::kQ4F16_2:
      if (role == Role::kLinear) s.quantized = true;
      else s.dense = WeightKind::kF16;
      break;
    case WeightKind::kQ4F16_0: case WeightKind::kQ3F16_0:
      s.quantized = true;
      s.q3 = kind == WeightKind::kQ3F16_0;
      s.kn = role != Role::kEmbedding;
      break;
    default:
      s.quantized = true;
      s.q3 = kind == WeightKind::kQ3F16;
      s.f32_scale = kind == WeightKind::kQ4F32;
  }
  return s;
}

// [rows, cols] -> [cols, rows].
template <typename T>
std::vector<T> transposed(const std::vector<T>& v, int64_t rows, int64_t cols) {
  std::vector<T> out(v.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) out[c * rows + r] = v[r * cols + c];
  return out;
}

template <typename T>
const void* store(TinyModel& m, const std::vector<T>& data) {
  std::vector<uint8_t> bytes(data.size() * sizeof(T));
  std::memcpy(bytes.data(), data.data(), bytes.size());
  m.blobs.push_back(std::move(bytes));
  return m.blobs.back().data();
}

// A norm weight or bias: model dtype, never quantized.
Dense small_param(TinyModel& m, std::mt19937& rng, int64_t n, double center, double spread) {
  std::uniform_real_distribution<double> d(-spread, spread);
  Dense out{1, n, std::vector<double>(n)};
  if (m.kind == WeightKind::kBF16) {
    std::vector<uint16_t> h(n);
    for (int64_t i = 0; i < n; ++i) {
      h[i] = aae::float_to_bfloat16(static_cast<float>(center + d(rng)));
      out.v[i] = aae::bfloat16_to_float(h[i]);
    }
    m.params.push_back(store(m, h));
  } else if (half_params(m.kind)) {
    std::vector<uint16_t> h(n);
    for (int64_t i = 0; i < n; ++i) {
      h[i] = aae::float_to_half(static_cast<float>(center + d(rng)));
      out.v[i] = aae::half_to_float(h[i]);
    }
    m.params.push_back(store(m, h));
  } else {
    std::vector<float> f(n);
    for (int64_t i = 0; i < n; ++i) out.v[i] = f[i] = static_cast<float>(center + d(rng));
    m.params.push_back(store(m, f));
  }
  return out;
}

// A linear [N, K] in the weight format of its role, values of roughly unit gain.
Dense linear(TinyModel& m, std::mt19937& rng, int64_t N, int64_t K, Role role = Role::kLinear) {
  Dense out{N, K, std::vector<double>(N * K)};
  const double amp = 1.5 / std::sqrt(static_cast<double>(K));
  std::uniform_real_distribution<double> d(-amp, amp);
  const Storage st = storage_of(m.kind, role);
  if (!st.quantized) {
    std::vector<float> f(N * K);
    std::vector<uint16_t> h(N * K);
    for (int64_t i = 0; i < N * K; ++i) {
      f[i] = static_cast<float>(d(rng));
      h[i] = st.dense == WeightKind::kBF16 ? aae::float_to_bfloat16(f[i]) : aae::float_to_half(f[i]);
      out.v[i] = st.dense == WeightKind::kF32    ? f[i]
                 : st.dense == WeightKind::kBF16 ? aae::bfloat16_to_float(h[i])
                                                 : aae::half_to_float(h[i]);
    }
    m.params.push_back(st.dense == WeightKind::kF32 ? store(m, f) : store(m, h));
    return out;
  }
  const bool q3 = st.q3;
  const int bits = q3 ? 3 : 4, group = q3 ? 40 : 32, zero = q3 ? 3 : 7, per_word = 32 / bits;
  const int64_t G = (K + group - 1) / group, W = group / per_word;
  std::vector<uint32_t> words(N * G * W);
  // Random codes; the two unused top bits of a 3-bit word stay zero, as converters write them.
  for (auto& w : words) w = static_cast<uint32_t>(rng()) & (q3 ? 0x3fffffffu : 0xffffffffu);
  std::uniform_real_distribution<double> sd(0.3 * amp / zero, amp / zero);
  std::vector<float> fs(N * G);
  std::vector<uint16_t> hs(N * G);
  std::vector<double> scale(N * G);
  for (int64_t i = 0; i < N * G; ++i) {
    fs[i] = static_cast<float>(sd(rng));
    hs[i] = aae::float_to_half(fs[i]);
    scale[i] = st.f32_scale ? fs[i] : aae::half_to_float(hs[i]);
  }
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      const int64_t g = k / group, i = k % group;
      const uint32_t word = words[n * G * W + g * W + i / per_word];
      const int q = static_cast<int>((word >> (bits * (i % per_word))) & ((1u << bits) - 1));
      out.v[n * K + k] = (q - zero) * scale[n * G + g];
    }
  if (st.kn) {  // the "_0" codes store both tensors transposed: [G*W, N] and [G, N]
    m.params.push_back(store(m, transposed(words, N, G * W)));
    m.params.push_back(store(m, transposed(hs, N, G)));
    return out;
  }
  m.params.push_back(store(m, words));
  m.params.push_back(st.f32_scale ? store(m, fs) : store(m, hs));
  return out;
}

void rms_norm(const double* x, const Dense& w, double* y, int64_t n, double eps) {
  double ss = 0;
  for (int64_t i = 0; i < n; ++i) ss += x[i] * x[i];
  const double inv = 1.0 / std::sqrt(ss / n + eps);
  for (int64_t i = 0; i < n; ++i) y[i] = w.v[i] * x[i] * inv;
}

std::vector<double> matvec(const Dense& w, const std::vector<double>& x, const Dense* bias) {
  std::vector<double> y(w.rows);
  for (int64_t n = 0; n < w.rows; ++n) {
    double acc = bias ? bias->v[n] : 0.0;
    for (int64_t k = 0; k < w.cols; ++k) acc += w.v[n * w.cols + k] * x[k];
    y[n] = acc;
  }
  return y;
}

double fp16_round(double x) { return aae::half_to_float(aae::float_to_half(static_cast<float>(x))); }

void rope(double* x, int64_t D, int64_t pos, double theta) {
  for (int64_t d = 0; d < D / 2; ++d) {
    const double f = pos * std::pow(theta, -2.0 * d / D);
    const double a = x[d], b = x[d + D / 2];
    x[d] = a * std::cos(f) - b * std::sin(f);
    x[d + D / 2] = b * std::cos(f) + a * std::sin(f);
  }
}

// The kernels' int8 activation rounding (modellib/kernels/linear_base.h), in the same float
// steps: per group, amax, q = nearest-even(x * (127 / amax)), x' = q * (amax / 127).
void quantize_activations(std::vector<double>& x, int group) {
  if (group <= 0) return;
  for (size_t g0 = 0; g0 < x.size(); g0 += group) {
    const size_t end = std::min(x.size(), g0 + group);
    float amax = 0.0f;
    for (size_t i = g0; i < end; ++i) amax = std::max(amax, std::fabs(static_cast<float>(x[i])));
    const float inv = amax > 0.0f ? 127.0f / amax : 0.0f, d = amax / 127.0f;
    for (size_t i = g0; i < end; ++i)
      x[i] = static_cast<double>(std::nearbyint(static_cast<float>(x[i]) * inv)) * d;
  }
}

}  // namespace

TinyModel make_tiny_model(const TinyDims& dims, WeightKind kind, uint32_t seed) {
  TinyModel m;
  m.dims = dims;
  m.kind = kind;
  m.blobs.reserve(1024);  // pointers into blobs must stay valid
  std::mt19937 rng(seed);
  const int64_t H = dims.hidden, D = dims.head_dim;
  const int64_t qkv_rows = (dims.heads + 2 * dims.kv_heads) * D;
  m.embed = linear(m, rng, dims.vocab, H, Role::kEmbedding);
  for (int64_t l = 0; l < dims.layers; ++l) {
    TinyLayer L;
    L.in_norm = small_param(m, rng, H, 1.0, 0.2);
    L.qkv = linear(m, rng, qkv_rows, H);
    if (dims.qkv_bias) L.qkv_bias = small_param(m, rng, qkv_rows, 0.0, 0.3);
    L.o = linear(m, rng, H, dims.heads * D);
    if (dims.o_bias) L.o_bias = small_param(m, rng, H, 0.0, 0.3);
    if (dims.qk_norm) {
      L.q_norm = small_param(m, rng, D, 1.0, 0.2);
      L.k_norm = small_param(m, rng, D, 1.0, 0.2);
    }
    L.post_norm = small_param(m, rng, H, 1.0, 0.2);
    L.gate_up = linear(m, rng, 2 * dims.intermediate, H);
    L.down = linear(m, rng, H, dims.intermediate);
    m.layers.push_back(std::move(L));
  }
  m.final_norm = small_param(m, rng, H, 1.0, 0.2);
  if (!dims.tie) m.lm_head = linear(m, rng, dims.vocab, H, Role::kLmHead);
  return m;
}

std::vector<std::vector<double>> reference_logits(const TinyModel& m,
                                                  const std::vector<int32_t>& tokens,
                                                  int int8_group, int head_int8_group) {
  auto q8 = [int8_group](std::vector<double> x) {
    quantize_activations(x, int8_group);
    return x;
  };
  auto head_q8 = [&](std::vector<double> x) {
    quantize_activations(x, head_int8_group < 0 ? int8_group : head_int8_group);
    return x;
  };
  const TinyDims& d = m.dims;
  const int64_t H = d.hidden, D = d.head_dim, Hq = d.heads, Hkv = d.kv_heads, I = d.intermediate;
  // cache[layer][pos] = k or v for all kv heads; fp16-rounded except for kF32 (float cache)
  std::vector<std::vector<std::vector<double>>> kc(d.layers), vc(d.layers);
  std::vector<std::vector<double>> all;
  for (size_t p = 0; p < tokens.size(); ++p) {
    std::vector<double> x(m.embed.v.begin() + tokens[p] * H, m.embed.v.begin() + (tokens[p] + 1) * H);
    for (int64_t l = 0; l < d.layers; ++l) {
      const TinyLayer& L = m.layers[l];
      std::vector<double> xn(H);
      rms_norm(x.data(), L.in_norm, xn.data(), H, d.rms_eps);
      std::vector<double> qkv = matvec(L.qkv, q8(xn), d.qkv_bias ? &L.qkv_bias : nullptr);
      for (int64_t h = 0; h < Hq + Hkv; ++h) {
        double* head = qkv.data() + h * D;
        if (d.qk_norm) rms_norm(head, h < Hq ? L.q_norm : L.k_norm, head, D, d.rms_eps);
        rope(head, D, static_cast<int64_t>(p), d.rope_theta);
      }
      std::vector<double> k(qkv.begin() + Hq * D, qkv.begin() + (Hq + Hkv) * D);
      std::vector<double> v(qkv.begin() + (Hq + Hkv) * D, qkv.end());
      if (m.kind != WeightKind::kF32) {
        for (auto& e : k) e = fp16_round(e);
        for (auto& e : v) e = fp16_round(e);
      }
      kc[l].push_back(k);
      vc[l].push_back(v);
      std::vector<double> attn(Hq * D, 0.0);
      for (int64_t h = 0; h < Hq; ++h) {
        const int64_t kvh = h / (Hq / Hkv);
        std::vector<int64_t> visible;
        for (int64_t j = 0; j <= static_cast<int64_t>(p); ++j) {
          const bool windowed = d.sliding_window > 0 && static_cast<int64_t>(p) >= d.sliding_window;
          if (!windowed || j < d.attention_sink ||
              j > static_cast<int64_t>(p) - (d.sliding_window - d.attention_sink))
            visible.push_back(j);
        }
        std::vector<double> s;
        double mx = -1e300;
        for (int64_t j : visible) {
          double dot = 0;
          for (int64_t e = 0; e < D; ++e) dot += qkv[h * D + e] * kc[l][j][kvh * D + e];
          s.push_back(dot / std::sqrt(static_cast<double>(D)));
          mx = std::max(mx, s.back());
        }
        double sum = 0;
        for (auto& e : s) sum += (e = std::exp(e - mx));
        for (size_t i = 0; i < visible.size(); ++i)
          for (int64_t e = 0; e < D; ++e) attn[h * D + e] += s[i] / sum * vc[l][visible[i]][kvh * D + e];
      }
      std::vector<double> o = matvec(L.o, q8(attn), d.o_bias ? &L.o_bias : nullptr);
      for (int64_t i = 0; i < H; ++i) x[i] += o[i];
      rms_norm(x.data(), L.post_norm, xn.data(), H, d.rms_eps);
      std::vector<double> gu = matvec(L.gate_up, q8(xn), nullptr), act(I);
      for (int64_t i = 0; i < I; ++i) act[i] = gu[i] / (1 + std::exp(-gu[i])) * gu[I + i];
      std::vector<double> down = matvec(L.down, q8(act), nullptr);
      for (int64_t i = 0; i < H; ++i) x[i] += down[i];
    }
    std::vector<double> xn(H);
    rms_norm(x.data(), m.final_norm, xn.data(), H, d.rms_eps);
    std::vector<double> logits = matvec(d.tie ? m.embed : m.lm_head, head_q8(xn), nullptr);
    if (!d.tie && half_params(m.kind))
      for (auto& e : logits) e = fp16_round(e);
    all.push_back(std::move(logits));
  }
  return all;
}

namespace {
void threaded_parallel_for(void*, int64_t n, AaeTaskFn task, void* ctx) {
  const int64_t parts = std::min<int64_t>(3, n);
  std::vector<std::thread> threads;
  for (int64_t i = 0; i < parts; ++i)
    threads.emplace_back([=] { task(ctx, n * i / parts, n * (i + 1) / parts); });
  for (auto& t : threads) t.join();
}
}  // namespace

const AaeHostApi* threaded_host(uint64_t cpu_features) {
  static AaeHostApi host;
  host = AaeHostApi{AAE_MODEL_LIB_ABI_VERSION, cpu_features, nullptr, nullptr, &threaded_parallel_for};
  return &host;
}

uint64_t host_cpu_features() {
  uint64_t f = 0;
#if defined(__x86_64__)
  unsigned a, b, c, d;
  if (!__builtin_cpu_supports("avx2")) return 0;  // also covers the OS saving YMM state
  f |= AAE_CPU_X86_AVX2;
  if (__get_cpuid(1, &a, &b, &c, &d)) {
    if (c & (1u << 12)) f |= AAE_CPU_X86_FMA;
    if (c & (1u << 29)) f |= AAE_CPU_X86_F16C;
  }
  if (__builtin_cpu_supports("avx512f")) f |= AAE_CPU_X86_AVX512F;
  if (__builtin_cpu_supports("avx512bw")) f |= AAE_CPU_X86_AVX512BW;
  if (__builtin_cpu_supports("avx512vnni")) f |= AAE_CPU_X86_AVX512VNNI;
#elif defined(__aarch64__) && defined(__linux__)
  const unsigned long hwcap = getauxval(AT_HWCAP);
  f |= AAE_CPU_ARM_NEON;
  if (hwcap & (1ul << 20)) f |= AAE_CPU_ARM_DOTPROD;  // HWCAP_ASIMDDP
  if (hwcap & (1ul << 10)) f |= AAE_CPU_ARM_FP16;     // HWCAP_ASIMDHP
#endif
  return f;
}

double relative_error(const std::vector<float>& a, const std::vector<double>& b) {
  double diff = 0, mag = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    const double d = std::fabs(a[i] - b[i]);
    if (!(d <= diff)) diff = d;  // a NaN on either side makes the result NaN
    mag = std::max(mag, std::fabs(b[i]));
  }
  return diff / mag;
}

}  // namespace aae::modellib_testing
