// The llama-family decoder (llama, mistral, qwen2, qwen3) as a template over a Config of
// compile-time constants. The generated per-model TU defines Config, instantiates
// LlamaFamily<Config> and exports it with AAE_MODEL_LIB_DEFINE (modellib/export.h).
//
// Config (all static constexpr):
//   using Format = FormatQ4F16_1 (or FormatQ0F32, FormatQ0F16, FormatQ0BF16, FormatQ4F32_1,
//                  FormatQ3F16_1, FormatQ4F16_2, FormatQ4F16_0Model, FormatQ3F16_0Model)
//   int64_t hidden, intermediate, heads, kv_heads, head_dim, layers, vocab,
//           context_window, prefill_chunk, sliding_window (<= 0: none), attention_sink
//   double rope_theta, rms_eps
//   bool tie_embeddings, qkv_bias (qwen2; qwen3 attention_bias), o_bias (qwen3 attention_bias),
//        qk_norm (qwen3)
//   optional: rope_ext_factors[head_dim / 2], rope_attention_factor (phi3 longrope;
//             modellib/arch/rope_scaling.h)
// Parameters, in metadata order (a linear is Format::kTensors pointers: weight, or
// q_weight then q_scale): embed_tokens; per layer: input_layernorm, qkv (c_attn), [qkv bias],
// o_proj, [o_proj bias], [q_norm, k_norm], post_attention_layernorm, gate_up_proj, down_proj;
// then model.norm, [lm_head when untied].
// Numerics: activations fp32; KV cache KvElement<Format> (K after RoPE): float for q0f32, fp16
// otherwise; logits fp32, rounded through fp16
// for an untied head of an fp16-dtype model (MLC's lm_head outputs fp16 there).
#pragma once

#include "modellib/arch/rope_scaling.h"
#include "modellib/kernels/attention.h"
#include "modellib/kernels/linear.h"
#include "modellib/kernels/model_format.h"
#include "modellib/kernels/x86_attention.h"
#include "modellib/support/memory.h"

AAE_MODELLIB_BEGIN

inline constexpr uint64_t align64(uint64_t n) { return (n + 63) & ~static_cast<uint64_t>(63); }

template <typename Config>
struct LlamaFamily {
  // Config::Format is a model format (modellib/kernels/model_format.h): the weight format of
  // the linears (Format), of the embedding table and of the head can differ (q4f16_2, "_0").
  using ModelFormat = typename Config::Format;
  using Format = typename LinearFormatOf<ModelFormat>::type;
  using EmbedFormat = typename EmbeddingFormatOf<ModelFormat>::type;
  using HeadFormat = typename PickType<Config::tie_embeddings, EmbedFormat,
                                       typename LmHeadFormatOf<ModelFormat>::type>::type;
  static constexpr int kHalf = ModelFormat::kParamDType;  // ParamDType of norms and biases
  static constexpr int64_t H = Config::hidden, I = Config::intermediate, Hq = Config::heads,
                           Hkv = Config::kv_heads, D = Config::head_dim, L = Config::layers,
                           V = Config::vocab, C = Config::context_window,
                           T = Config::prefill_chunk;
  static constexpr int64_t QKV = (Hq + 2 * Hkv) * D;
  static constexpr int kW = Format::kTensors;
  using Kv = KvElement<Format>;  // one K or V value in the cache

  static_assert(Hq % Hkv == 0, "heads must be a multiple of kv_heads");
  static_assert(D % 2 == 0, "head_dim must be even for rotate-half RoPE");
  static_assert(C > 0 && T > 0, "context_window and prefill_chunk must be positive");
  static_assert(Config::sliding_window <= 0 || Config::attention_sink < Config::sliding_window,
                "attention_sink must be smaller than sliding_window");

  // ---- parameter indices (metadata order) ----
  static constexpr int64_t kLayerParams = 1 + kW + (Config::qkv_bias ? 1 : 0) + kW +
                                          (Config::o_bias ? 1 : 0) + (Config::qk_norm ? 2 : 0) + 1 +
                                          kW + kW;
  static constexpr int64_t kEmbed = 0;
  static constexpr int64_t layer_base(int64_t l) { return EmbedFormat::kTensors + l * kLayerParams; }
  static constexpr int64_t kInNorm = 0, kQkv = 1, kQkvBias = 1 + kW;
  static constexpr int64_t kO = kQkvBias + (Config::qkv_bias ? 1 : 0);
  static constexpr int64_t kOBias = kO + kW;
  static constexpr int64_t kQNorm = kOBias + (Config::o_bias ? 1 : 0), kKNorm = kQNorm + 1;
  static constexpr int64_t kPostNorm = kQNorm + (Config::qk_norm ? 2 : 0);
  static constexpr int64_t kGateUp = kPostNorm + 1, kDown = kGateUp + kW;
  static constexpr int64_t kFinalNorm = EmbedFormat::kTensors + L * kLayerParams;
  static constexpr int64_t kLmHead = kFinalNorm + 1;
  static constexpr int64_t kNumParams = kLmHead + (Config::tie_embeddings ? 0 : HeadFormat::kTensors);

  // ---- state layout (bytes from the state base, each region 64-aligned) ----
  static constexpr uint64_t kCacheOneBytes =
      align64(static_cast<uint64_t>(L * C * Hkv * D) * sizeof(Kv));
  static constexpr uint64_t kKOffset = 0, kVOffset = kCacheOneBytes;
  static constexpr uint64_t kKvCacheBytes = 2 * kCacheOneBytes;
  static constexpr uint64_t kHeaderOffset = kKvCacheBytes;  // Header below
  static constexpr uint64_t kCosOffset = kHeaderOffset + 64;
  static constexpr uint64_t kRopeBytes = align64(static_cast<uint64_t>(C * (D / 2)) * 4);
  static constexpr uint64_t kSinOffset = kCosOffset + kRopeBytes;
  static constexpr uint64_t kXOffset = kSinOffset + kRopeBytes;  // residual [T][H]
  static constexpr uint64_t kXnOffset = kXOffset + align64(T * H * 4);      // [T][H]
  static constexpr uint64_t kQkvOffset = kXnOffset + align64(T * H * 4);    // [T][QKV]
  static constexpr uint64_t kAttnOffset = kQkvOffset + align64(T * QKV * 4);  // [T][Hq*D]
  static constexpr uint64_t kGateUpOffset = kAttnOffset + align64(T * Hq * D * 4);  // [T][2I]
  static constexpr uint64_t kActOffset = kGateUpOffset + align64(T * 2 * I * 4);  // [T][I]
  static constexpr uint64_t kScoresOffset = kActOffset + align64(T * I * 4);  // [Hq][C] or none
  // Activations as the linear kernels consume them (int8 + scales for group formats), sized
  // for the widest input of any linear.
  static constexpr int64_t kMaxK = H > Hq * D ? (H > I ? H : I) : (Hq * D > I ? Hq * D : I);
  // Score rows exist only for the scalar attention path (head_dim not a multiple of 4).
  static constexpr uint64_t kScoresBytes = D % 4 == 0 ? 0 : align64(Hq * C * 4);
  static constexpr uint64_t kActsOffset = kScoresOffset + kScoresBytes;
  static constexpr uint64_t kActsBytes =
      ActsBytes<Format>::of(T, kMaxK) > ActsBytes<HeadFormat>::of(1, H) ? ActsBytes<Format>::of(T, kMaxK)
                                                                        : ActsBytes<HeadFormat>::of(1, H);
  static constexpr uint64_t kStateBytes = kActsOffset + align64(kActsBytes);
  static constexpr uint64_t kWorkspaceBytes = kStateBytes - kKvCacheBytes;

  static constexpr uint32_t kMagic = 0x41414531u;  // "AAE1": prepare ran on this state
  struct Header {
    uint32_t magic;
    uint32_t linear_variant;  // LinearVariantId picked by prepare
    uint32_t attention_avx2;  // 1: x86::attend_group_avx2, 0: the portable attend_group
    uint32_t head_variant;    // LinearVariantId of the head (HeadFormat), K = hidden
  };

  template <typename P>
  static P* at(void* state, uint64_t offset) {
    return reinterpret_cast<P*>(static_cast<unsigned char*>(state) + offset);
  }

  // ---- entry points (the AaeModelLib functions) ----
  static int32_t prepare(const AaeHostApi* host, const void* const* params, void* state) {
    if (host == nullptr || params == nullptr || state == nullptr) return AAE_MODEL_LIB_ERR_ARGUMENT;
    if (host->abi_version != AAE_MODEL_LIB_ABI_VERSION) return AAE_MODEL_LIB_ERR_ABI;
    for (int64_t i = 0; i < kNumParams; ++i)
      if (params[i] == nullptr) return AAE_MODEL_LIB_ERR_ARGUMENT;
    Header* header = at<Header>(state, kHeaderOffset);
    const int64_t ks[] = {H, Hq * D, I};
    header->linear_variant = LinearKernels<Format>::pick(host->cpu_features, ks, 3);
    log_kernels(host, LinearKernels<Format>::get(header->linear_variant).name);
    header->head_variant = LinearKernels<HeadFormat>::pick(host->cpu_features, &H, 1);
    const uint64_t avx2 = AAE_CPU_X86_AVX2 | AAE_CPU_X86_FMA | AAE_CPU_X86_F16C;
    header->attention_avx2 =
        x86::kHaveAttentionAvx2 && D % 8 == 0 && (host->cpu_features & avx2) == avx2 ? 1 : 0;
    rope_tables_for<Config>(at<float>(state, kCosOffset), at<float>(state, kSinOffset), C, D);
    zero_bytes(state, kKvCacheBytes);
    header->magic = kMagic;
    return AAE_MODEL_LIB_OK;
  }

  static int32_t reset(const AaeHostApi* host, void* state) {
    if (state == nullptr) return AAE_MODEL_LIB_ERR_ARGUMENT;
    if (at<Header>(state, kHeaderOffset)->magic != kMagic) return AAE_MODEL_LIB_ERR_NOT_PREPARED;
    // Positions are overwritten before they are read, so clearing is hygiene, not correctness.
    zero_bytes(state, kKvCacheBytes);
    return AAE_MODEL_LIB_OK;
  }

  static int32_t prefill(const AaeHostApi* host, const void* const* params, void* state,
                         const int32_t* tokens, int32_t n_tokens, int32_t position, float* logits) {
    return checked_prefill<&forward>(host, params, state, tokens, n_tokens, position, logits);
  }

  // The prefill and decode entry points of a family whose forward pass is Forward (this one's,
  // or a derived family's): the ABI's argument checks, then the pass; decode is a one-token
  // prefill. Every family's prefill/decode is one call to these.
  template <auto Forward>
  static int32_t checked_prefill(const AaeHostApi* host, const void* const* params, void* state,
                                 const int32_t* tokens, int32_t n_tokens, int32_t position, float* logits) {
    const int32_t status = check_call(host, params, state, tokens, n_tokens, position);
    if (status != AAE_MODEL_LIB_OK) return status;
    Forward(host, params, state, tokens, n_tokens, position, logits);
    return AAE_MODEL_LIB_OK;
  }
  template <auto Forward>
  static int32_t one_token_decode(const AaeHostApi* host, const void* const* params, void* state,
                                  int32_t token, int32_t position, float* logits) {
    if (logits == nullptr) return AAE_MODEL_LIB_ERR_ARGUMENT;
    return checked_prefill<Forward>(host, params, state, &token, 1, position, logits);
  }

  // The argument checks every family's prefill makes before running (the ABI's status codes).
  static int32_t check_call(const AaeHostApi* host, const void* const* params, void* state,
                            const int32_t* tokens, int32_t n_tokens, int32_t position) {
    if (params == nullptr || state == nullptr || tokens == nullptr) return AAE_MODEL_LIB_ERR_ARGUMENT;
    if (n_tokens < 1 || n_tokens > T || position < 0) return AAE_MODEL_LIB_ERR_ARGUMENT;
    if (static_cast<int64_t>(position) + n_tokens > C) return AAE_MODEL_LIB_ERR_CONTEXT;
    if (host == nullptr || host->abi_version != AAE_MODEL_LIB_ABI_VERSION) return AAE_MODEL_LIB_ERR_ABI;
    if (at<Header>(state, kHeaderOffset)->magic != kMagic) return AAE_MODEL_LIB_ERR_NOT_PREPARED;
    for (int32_t t = 0; t < n_tokens; ++t)
      if (tokens[t] < 0 || tokens[t] >= V) return AAE_MODEL_LIB_ERR_TOKEN;
    return AAE_MODEL_LIB_OK;
  }

  static int32_t decode(const AaeHostApi* host, const void* const* params, void* state,
                        int32_t token, int32_t position, float* logits) {
    return one_token_decode<&forward>(host, params, state, token, position, logits);
  }

 protected:  // GemmaFamily (modellib/arch/gemma.h) reuses store_kv and attention
  // "kernels: <format> <variant>" through the host log (no libc: the message is built by hand).
  static void log_kernels(const AaeHostApi* host, const char* variant) {
    if (host->log == nullptr) return;
    char message[96];
    int n = 0;
    const char* parts[] = {"kernels: ", ModelFormat::kName, " ", variant};
    for (const char* part : parts)
      for (const char* c = part; *c != 0 && n < 95; ++c) message[n++] = *c;
    message[n] = 0;
    host->log(host->user, AAE_LOG_INFO, message);
  }

  static void forward(const AaeHostApi* host, const void* const* params, void* state,
                      const int32_t* tokens, int64_t n, int64_t position, float* logits) {
    const LinearKernel kernel =
        LinearKernels<Format>::get(at<Header>(state, kHeaderOffset)->linear_variant);
    void* acts = at<unsigned char>(state, kActsOffset);
    float* x = at<float>(state, kXOffset);
    float* xn = at<float>(state, kXnOffset);
    float* qkv = at<float>(state, kQkvOffset);
    float* attn = at<float>(state, kAttnOffset);
    float* gate_up = at<float>(state, kGateUpOffset);
    float* act = at<float>(state, kActOffset);
    const float eps = static_cast<float>(Config::rms_eps);

    for (int64_t t = 0; t < n; ++t) embedding_row<EmbedFormat>(params + kEmbed, tokens[t], x + t * H, H);

    for (int64_t l = 0; l < L; ++l) {
      const void* const* p = params + layer_base(l);
      for (int64_t t = 0; t < n; ++t) rms_norm<kHalf>(x + t * H, p[kInNorm], xn + t * H, H, eps);
      linear<Format>(host, kernel, p + kQkv, Config::qkv_bias ? p[kQkvBias] : nullptr, xn, qkv, n,
                     QKV, H, acts);
      store_kv(p, state, l, qkv, n, position);
      attention(host, state, l, qkv, attn, n, position);
      linear<Format>(host, kernel, p + kO, Config::o_bias ? p[kOBias] : nullptr, attn, xn, n, H,
                     Hq * D, acts);
      for (int64_t i = 0; i < n * H; ++i) x[i] += xn[i];
      for (int64_t t = 0; t < n; ++t) rms_norm<kHalf>(x + t * H, p[kPostNorm], xn + t * H, H, eps);
      linear<Format>(host, kernel, p + kGateUp, nullptr, xn, gate_up, n, 2 * I, H, acts);
      for (int64_t t = 0; t < n; ++t) silu_mul(gate_up + t * 2 * I, act + t * I, I);
      linear<Format>(host, kernel, p + kDown, nullptr, act, xn, n, H, I, acts);
      for (int64_t i = 0; i < n * H; ++i) x[i] += xn[i];
    }
    if (logits == nullptr) return;
    rms_norm<kHalf>(x + (n - 1) * H, params[kFinalNorm], xn, H, eps);
    const void* const* head = Config::tie_embeddings ? params + kEmbed : params + kLmHead;
    const LinearKernel head_kernel =
        LinearKernels<HeadFormat>::get(at<Header>(state, kHeaderOffset)->head_variant);
    linear<HeadFormat>(host, head_kernel, head, nullptr, xn, logits, 1, V, H, acts);
    // bf16 models keep fp32 logits (MLC would round to bf16: 8 bits, too coarse to sample from).
    if (!Config::tie_embeddings && kHalf == kParamF16)
      for (int64_t v = 0; v < V; ++v) logits[v] = round_to_half(logits[v]);
  }

  // Per token: q/k norm (qwen3), RoPE on q and k, then K and V into the cache.
  static void store_kv(const void* const* p, void* state, int64_t l, float* qkv, int64_t n,
                       int64_t position) {
    const float* cos_table = at<float>(state, kCosOffset);
    const float* sin_table = at<float>(state, kSinOffset);
    Kv* k_cache = at<Kv>(state, kKOffset) + l * C * Hkv * D;
    Kv* v_cache = at<Kv>(state, kVOffset) + l * C * Hkv * D;
    const float eps = static_cast<float>(Config::rms_eps);
    for (int64_t t = 0; t < n; ++t) {
      const int64_t pos = position + t;
      float* row = qkv + t * QKV;
      const float* c = cos_table + pos * (D / 2);
      const float* s = sin_table + pos * (D / 2);
      for (int64_t h = 0; h < Hq + Hkv; ++h) {
        float* head = row + h * D;
        if (Config::qk_norm) rms_norm<kHalf>(head, p[h < Hq ? kQNorm : kKNorm], head, D, eps);
        rope_rotate_half(head, c, s, D);
      }
      for (int64_t h = 0; h < Hkv; ++h) {
        const float* k = row + (Hq + h) * D;
        const float* v = row + (Hq + Hkv + h) * D;
        Kv* kd = k_cache + (pos * Hkv + h) * D;
        Kv* vd = v_cache + (pos * Hkv + h) * D;
        for (int64_t d = 0; d < D; ++d) {
          kv_store(kd + d, k[d]);
          kv_store(vd + d, v[d]);
        }
      }
    }
  }

  // Work units are (kv head, token) pairs: each runs the GQA group of that kv head for one
  // token (attend_group), or, when head_dim is not a multiple of 4, the scalar per-head path.
  static void attention(const AaeHostApi* host, void* state, int64_t l, const float* qkv,
                        float* attn, int64_t n, int64_t position) {
    const Kv* k_cache = at<Kv>(state, kKOffset) + l * C * Hkv * D;
    const Kv* v_cache = at<Kv>(state, kVOffset) + l * C * Hkv * D;
    float* scores = at<float>(state, kScoresOffset);
    const float scale = static_cast<float>(1.0 / sqrt_d(static_cast<double>(D)));
    constexpr int64_t R = Hq / Hkv;
    const bool avx2 = at<Header>(state, kHeaderOffset)->attention_avx2 != 0;
    auto body = [&](int64_t begin, int64_t end) {
      for (int64_t u = begin; u < end; ++u) {
        // Token order zigzags (0, n-1, 1, n-2, ...): a causal query's work grows with its
        // position, so the contiguous unit ranges parallel_for hands each thread would
        // otherwise give the last thread the longest spans (3/4 of a first chunk's work).
        const int64_t g = u % Hkv, i = u / Hkv, t = i % 2 == 0 ? i / 2 : n - 1 - i / 2;
        const float* q = qkv + t * QKV + g * R * D;
        float* out = attn + t * Hq * D + g * R * D;
        if constexpr (D % 8 == 0 && x86::kHaveAttentionAvx2) {
          if (avx2) {
            x86::attend_group_avx2<R, D>(q, k_cache + g * D, v_cache + g * D, Hkv * D,
                                         position + t, Config::sliding_window,
                                         Config::attention_sink, scale, out);
            continue;
          }
        }
        if constexpr (D % 4 == 0) {
          attend_group<R, D>(q, k_cache + g * D, v_cache + g * D, Hkv * D, position + t,
                             Config::sliding_window, Config::attention_sink, scale, out);
        } else {
          // Scalar fallback: one head at a time through the [Hq][C] score rows (only reached
          // for odd head sizes; units of one token never share a head's score row).
          for (int64_t r = 0; r < R; ++r)
            attend_one(q + r * D, k_cache + g * D, v_cache + g * D, Hkv * D, position + t,
                       Config::sliding_window, Config::attention_sink, D, scale,
                       scores + (g * R + r) * C, out + r * D);
        }
      }
    };
    if constexpr (D % 4 == 0) {
      parallel_for(host, Hkv * n, body);
    } else {
      for (int64_t t = 0; t < n; ++t) {  // one token per call keeps score rows private
        auto one = [&](int64_t begin, int64_t end) {
          for (int64_t g = begin; g < end; ++g) body(t * Hkv + g, t * Hkv + g + 1);
        };
        parallel_for(host, Hkv, one);
      }
    }
  }
};

AAE_MODELLIB_END
