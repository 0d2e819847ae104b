// Test support (header-only, hosted): a straightforward double-precision forward pass of the
// llama family (llama, mistral, qwen2, qwen3, phi3) over the weights of a converted model directory,
// read back through ModelWeights (float tensors) and dequantize_group (group-quantized ones),
// with the dimensions from sphere-aae-chat-config.json. It models the library's documented
// numerics where they differ from exact arithmetic: K and V are stored in an fp16 cache (a
// float cache for q0f32, kept exact here), and an untied lm_head of an fp16-dtype model rounds logits to fp16. Mistral's sliding window with
// attention sinks, qwen2's qkv bias and qwen3's q/k norms follow the config and model_type.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/base/half.h"
#include "runtime/base/json.h"
#include "runtime/base/status.h"
#include "runtime/format/dequantize.h"
#include "runtime/format/quantization.h"
#include "runtime/format/weights.h"

namespace aae::testing {

struct RefMatrix {  // row-major [rows, cols]; a vector has rows == 1
  int64_t rows = 0, cols = 0;
  std::vector<double> v;
};

struct RefLayer {
  RefMatrix in_norm, qkv, qkv_bias, o, o_bias, q_norm, k_norm, post_norm, gate_up, down;
};

struct RefModel {
  int64_t hidden = 0, intermediate = 0, heads = 0, kv_heads = 0, head_dim = 0, layers = 0,
          vocab = 0, sliding_window = -1, attention_sink = 0;
  double rope_theta = 10000, rms_eps = 1e-5;
  bool tie = true, qkv_bias = false, o_bias = false, qk_norm = false, half_dtype = false;
  bool half_kv_cache = true;  // false for q0f32, whose library keeps K and V in float
  // phi3 longrope: inv_freq(d) /= rope_ext[d]; cos and sin times rope_attention_factor. Empty
  // for plain RoPE.
  std::vector<double> rope_ext;
  double rope_attention_factor = 1.0;
  RefMatrix embed, final_norm, lm_head;
  std::vector<RefLayer> layer;
};

// A parameter as doubles: `base`.weight (float32/float16/bfloat16) or `base`.q_weight +
// `base`.q_scale dequantized with K = `k` inputs. A vector parameter (norm, bias) is `base`
// itself when it names a tensor.
inline Result<RefMatrix> load_ref_param(const ModelWeights& w, const QuantizationSpec& spec,
                                        const std::string& base, int64_t k) {
  RefMatrix m;
  if (w.contains(base + ".q_weight")) {
    AAE_ASSIGN_OR_RETURN(TensorView qw, w.get(base + ".q_weight"));
    AAE_ASSIGN_OR_RETURN(TensorView qs, w.get(base + ".q_scale"));
    std::vector<uint32_t> words(qw.nbytes() / 4);
    std::memcpy(words.data(), qw.data, qw.nbytes());  // the mapping has no alignment promise
    const bool kn = spec.layout == WeightLayout::kKN && base != "model.embed_tokens" &&
                    base != "transformer.embd" && base != "gpt_neox.embed_in";
    AAE_ASSIGN_OR_RETURN(std::vector<float> f,
                         dequantize_group(spec, words.data(), qs.data, qw.record->shape,
                                          qs.record->shape, k, kn));
    m.rows = kn ? k : qw.record->shape[0];
    m.cols = kn ? qw.record->shape[1] : k;
    m.v.assign(f.begin(), f.end());
    if (kn) {  // store as [N, K] like every other matrix
      RefMatrix t{m.cols, m.rows, std::vector<double>(m.v.size())};
      for (int64_t r = 0; r < m.rows; ++r)
        for (int64_t c = 0; c < m.cols; ++c) t.v[c * m.rows + r] = m.v[r * m.cols + c];
      m = std::move(t);
    }
    return m;
  }
  const std::string name = w.contains(base + ".weight") ? base + ".weight" : base;
  AAE_ASSIGN_OR_RETURN(TensorView view, w.get(name));
  AAE_ASSIGN_OR_RETURN(std::vector<float> f, w.read_f32(name));
  const auto& shape = view.record->shape;
  m.rows = shape.size() == 2 ? shape[0] : 1;
  m.cols = shape.empty() ? 1 : shape.back();
  m.v.assign(f.begin(), f.end());
  return m;
}

// Hugging Face Phi-3's longrope (Phi3LongRoPEScaledRotaryEmbedding): inv_freq divided by
// the long or short factors, cos and sin scaled by sqrt(1 + ln(max / orig) / ln(orig)) when
// max_position_embeddings > original_max_position_embeddings. HF picks short_factor while the
// sequence is within original_max_position_embeddings; MLC's kernel always reads long_factor
// (docs/architectures.md), and the library follows MLC, so this reference does too.
inline Status load_phi3_rope(const json::ObjectReader& mc, RefModel& m) {
  const json::Value* scaling = mc.find("rope_scaling");
  if (scaling == nullptr || scaling->is_null()) return ok_status();
  AAE_ASSIGN_OR_RETURN(json::ObjectReader s, json::ObjectReader::make(*scaling, "rope_scaling"));
  AAE_ASSIGN_OR_RETURN(const json::Value* factors, s.get_array("long_factor"));
  for (const json::Value& f : factors->as_array()) m.rope_ext.push_back(f.as_double());
  AAE_ASSIGN_OR_RETURN(double max_pos, s.get_double("max_position_embeddings"));
  AAE_ASSIGN_OR_RETURN(double orig, s.get_double("original_max_position_embeddings"));
  if (max_pos > orig) m.rope_attention_factor = std::sqrt(1 + std::log(max_pos / orig) / std::log(orig));
  return ok_status();
}

// Reads <model_dir>/sphere-aae-chat-config.json and the weights.
inline Result<RefModel> load_ref_model(const std::string& model_dir, const ModelWeights& w) {
  AAE_ASSIGN_OR_RETURN(json::Value root,
                       json::parse_file(model_dir + "/sphere-aae-chat-config.json"));
  AAE_ASSIGN_OR_RETURN(json::ObjectReader top, json::ObjectReader::make(root, "chat config"));
  AAE_ASSIGN_OR_RETURN(std::string type, top.get_string("model_type"));
  AAE_ASSIGN_OR_RETURN(std::string quant, top.get_string("quantization"));
  AAE_ASSIGN_OR_RETURN(const json::Value* mcv, top.get_object("model_config"));
  AAE_ASSIGN_OR_RETURN(json::ObjectReader mc, json::ObjectReader::make(*mcv, "model_config"));
  const QuantizationSpec* spec = find_quantization(quant);
  if (spec == nullptr) return Error("unknown quantization " + quant);
  RefModel m;
  AAE_ASSIGN_OR_RETURN(m.hidden, mc.get_int64("hidden_size"));
  AAE_ASSIGN_OR_RETURN(m.intermediate, mc.get_int64("intermediate_size"));
  AAE_ASSIGN_OR_RETURN(m.heads, mc.get_int64("num_attention_heads"));
  AAE_ASSIGN_OR_RETURN(m.kv_heads, mc.get_int64("num_key_value_heads"));
  AAE_ASSIGN_OR_RETURN(m.layers, mc.get_int64("num_hidden_layers"));
  AAE_ASSIGN_OR_RETURN(m.head_dim, mc.get_int64_or("head_dim", m.hidden / m.heads));
  AAE_ASSIGN_OR_RETURN(m.vocab, top.get_int64("vocab_size"));
  AAE_ASSIGN_OR_RETURN(m.rms_eps, mc.get_double("rms_norm_eps"));
  const bool llama_like = type == "llama" || type == "mistral" || type == "phi3";
  if (type == "phi3") AAE_TRY(load_phi3_rope(mc, m));
  AAE_ASSIGN_OR_RETURN(m.rope_theta,
                       mc.get_double(llama_like ? "position_embedding_base" : "rope_theta"));
  AAE_ASSIGN_OR_RETURN(m.sliding_window, top.get_int64_or("sliding_window_size", -1));
  AAE_ASSIGN_OR_RETURN(m.attention_sink, top.get_int64_or("attention_sink_size", 0));
  AAE_ASSIGN_OR_RETURN(bool attention_bias, mc.get_bool_or("attention_bias", false));
  m.qkv_bias = type == "qwen2" || (type == "qwen3" && attention_bias);
  m.o_bias = type == "qwen3" && attention_bias;
  m.qk_norm = type == "qwen3";
  m.half_dtype = spec->model_dtype == DType::kFloat16;
  m.half_kv_cache = quant != "q0f32";
  m.tie = !w.contains("lm_head.weight") && !w.contains("lm_head.q_weight");
  // phi3's MLC module names (mlc-model-params.md §2.7) for the same roles.
  const bool phi3 = type == "phi3";
  const std::string embed = phi3 ? "transformer.embd" : "model.embed_tokens";

  const int64_t H = m.hidden, qd = m.heads * m.head_dim;
  AAE_ASSIGN_OR_RETURN(m.embed, load_ref_param(w, *spec, embed, H));
  AAE_ASSIGN_OR_RETURN(m.final_norm,
                       load_ref_param(w, *spec, phi3 ? "transformer.norm" : "model.norm", H));
  if (!m.tie) {
    AAE_ASSIGN_OR_RETURN(m.lm_head, load_ref_param(w, *spec, "lm_head", H));
  }
  for (int64_t l = 0; l < m.layers; ++l) {
    const std::string p =
        (phi3 ? "transformer.h." : "model.layers.") + std::to_string(l) + ".";
    const std::string attn = phi3 ? p + "mixer.qkv_proj"
                             : w.contains(p + "self_attn.c_attn.weight") ||
                                     w.contains(p + "self_attn.c_attn.q_weight")
                                 ? p + "self_attn.c_attn"
                                 : p + "self_attn.qkv_proj";
    const std::string o_proj = p + (phi3 ? "mixer.out_proj" : "self_attn.o_proj");
    RefLayer L;
    AAE_ASSIGN_OR_RETURN(L.in_norm,
                         load_ref_param(w, *spec, p + (phi3 ? "ln" : "input_layernorm"), H));
    AAE_ASSIGN_OR_RETURN(L.qkv, load_ref_param(w, *spec, attn, H));
    if (m.qkv_bias) {
      AAE_ASSIGN_OR_RETURN(L.qkv_bias, load_ref_param(w, *spec, attn + ".bias", 0));
    }
    AAE_ASSIGN_OR_RETURN(L.o, load_ref_param(w, *spec, o_proj, qd));
    if (m.o_bias) {
      AAE_ASSIGN_OR_RETURN(L.o_bias, load_ref_param(w, *spec, p + "self_attn.o_proj.bias", 0));
    }
    if (m.qk_norm) {
      AAE_ASSIGN_OR_RETURN(L.q_norm, load_ref_param(w, *spec, p + "self_attn.q_norm", 0));
      AAE_ASSIGN_OR_RETURN(L.k_norm, load_ref_param(w, *spec, p + "self_attn.k_norm", 0));
    }
    AAE_ASSIGN_OR_RETURN(L.post_norm, load_ref_param(w, *spec, p + "post_attention_layernorm", H));
    AAE_ASSIGN_OR_RETURN(L.gate_up, load_ref_param(w, *spec, p + "mlp.gate_up_proj", H));
    AAE_ASSIGN_OR_RETURN(L.down, load_ref_param(w, *spec, p + "mlp.down_proj", m.intermediate));
    m.layer.push_back(std::move(L));
  }
  return m;
}

inline void ref_rms_norm(const double* x, const RefMatrix& w, double* y, int64_t n, double eps) {
  double ss = 0;
  for (int64_t i = 0; i < n; ++i) ss += x[i] * x[i];
  const double inv = 1.0 / std::sqrt(ss / n + eps);
  for (int64_t i = 0; i < n; ++i) y[i] = w.v[i] * x[i] * inv;
}

inline std::vector<double> ref_matvec(const RefMatrix& w, const std::vector<double>& x,
                                      const RefMatrix* bias) {
  std::vector<double> y(w.rows);
  for (int64_t r = 0; r < w.rows; ++r) {
    double acc = bias ? bias->v[r] : 0.0;
    for (int64_t c = 0; c < w.cols; ++c) acc += w.v[r * w.cols + c] * x[c];
    y[r] = acc;
  }
  return y;
}

inline double ref_fp16(double x) { return half_to_float(float_to_half(static_cast<float>(x))); }

// Logits after every token of `tokens`, run from position 0.
inline std::vector<std::vector<double>> reference_forward(const RefModel& m,
                                                          const std::vector<int32_t>& tokens) {
  const int64_t H = m.hidden, D = m.head_dim, Hq = m.heads, Hkv = m.kv_heads, I = m.intermediate;
  std::vector<std::vector<std::vector<double>>> kc(m.layers), vc(m.layers);  // [l][pos][Hkv*D]
  std::vector<std::vector<double>> out;
  for (int64_t p = 0; p < static_cast<int64_t>(tokens.size()); ++p) {
    std::vector<double> x(m.embed.v.begin() + tokens[p] * H,
                          m.embed.v.begin() + (tokens[p] + 1) * H);
    for (int64_t l = 0; l < m.layers; ++l) {
      const RefLayer& L = m.layer[l];
      std::vector<double> xn(H);
      ref_rms_norm(x.data(), L.in_norm, xn.data(), H, m.rms_eps);
      std::vector<double> qkv = ref_matvec(L.qkv, xn, m.qkv_bias ? &L.qkv_bias : nullptr);
      for (int64_t h = 0; h < Hq + Hkv; ++h) {
        double* head = qkv.data() + h * D;
        if (m.qk_norm) ref_rms_norm(head, h < Hq ? L.q_norm : L.k_norm, head, D, m.rms_eps);
        for (int64_t d = 0; d < D / 2; ++d) {  // rotate-half RoPE
          const double ext = m.rope_ext.empty() ? 1.0 : m.rope_ext[d];
          const double f = p * std::pow(m.rope_theta, -2.0 * d / D) / ext;
          const double c = std::cos(f) * m.rope_attention_factor;
          const double sn = std::sin(f) * m.rope_attention_factor;
          const double a = head[d], b = head[d + D / 2];
          head[d] = a * c - b * sn;
          head[d + D / 2] = b * c + a * sn;
        }
      }
      std::vector<double> k(qkv.begin() + Hq * D, qkv.begin() + (Hq + Hkv) * D);
      std::vector<double> v(qkv.begin() + (Hq + Hkv) * D, qkv.end());
      if (m.half_kv_cache) {
        for (auto& e : k) e = ref_fp16(e);
        for (auto& e : v) e = ref_fp16(e);
      }
      kc[l].push_back(k);
      vc[l].push_back(v);
      // Visible positions: all j <= p, or with a window W reached: sinks [0, S) plus the latest
      // W - S positions.
      std::vector<int64_t> visible;
      for (int64_t j = 0; j <= p; ++j) {
        const bool windowed = m.sliding_window > 0 && p >= m.sliding_window;
        if (!windowed || j < m.attention_sink || j > p - (m.sliding_window - m.attention_sink))
          visible.push_back(j);
      }
      std::vector<double> attn(Hq * D, 0.0);
      for (int64_t h = 0; h < Hq; ++h) {
        const int64_t g = h / (Hq / Hkv);
        std::vector<double> s;
        double mx = -1e300;
        for (int64_t j : visible) {
          double dot = 0;
          for (int64_t e = 0; e < D; ++e) dot += qkv[h * D + e] * kc[l][j][g * D + e];
          s.push_back(dot / std::sqrt(static_cast<double>(D)));
          mx = std::max(mx, s.back());
        }
        double sum = 0;
        for (auto& e : s) sum += (e = std::exp(e - mx));
        for (size_t i = 0; i < visible.size(); ++i)
          for (int64_t e = 0; e < D; ++e) attn[h * D + e] += s[i] / sum * vc[l][visible[i]][g * D + e];
      }
      std::vector<double> o = ref_matvec(L.o, attn, m.o_bias ? &L.o_bias : nullptr);
      for (int64_t i = 0; i < H; ++i) x[i] += o[i];
      ref_rms_norm(x.data(), L.post_norm, xn.data(), H, m.rms_eps);
      std::vector<double> gu = ref_matvec(L.gate_up, xn, nullptr), act(I);
      for (int64_t i = 0; i < I; ++i) act[i] = gu[i] / (1 + std::exp(-gu[i])) * gu[I + i];
      std::vector<double> down = ref_matvec(L.down, act, nullptr);
      for (int64_t i = 0; i < H; ++i) x[i] += down[i];
    }
    std::vector<double> xn(H);
    ref_rms_norm(x.data(), m.final_norm, xn.data(), H, m.rms_eps);
    std::vector<double> logits = ref_matvec(m.tie ? m.embed : m.lm_head, xn, nullptr);
    if (!m.tie && m.half_dtype)
      for (auto& e : logits) e = ref_fp16(e);
    out.push_back(std::move(logits));
  }
  return out;
}

// max |a - b| / max |b|.
inline double max_relative_error(const float* a, const std::vector<double>& b) {
  double diff = 0, mag = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    diff = std::max(diff, std::fabs(a[i] - b[i]));
    mag = std::max(mag, std::fabs(b[i]));
  }
  return mag == 0 ? diff : diff / mag;
}

}  // namespace aae::testing
