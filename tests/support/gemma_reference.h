// Test support (header-only, hosted): a double-precision forward pass of gemma and gemma2 as
// Hugging Face defines them (GemmaForCausalLM, Gemma2ForCausalLM), over the weights of a
// converted model directory, with the two points where MLC departs from Hugging Face taken
// from MLC, as the model library follows MLC (docs/architectures.md):
//   - gemma2 attention: scores scaled by head_dim^-0.5 (query_pre_attn_scalar ignored; equal
//     for the example models, which set it to head_dim), no attention logit soft-capping, and
//     every layer global (the context window is capped at sliding_window instead).
// Everything else is Hugging Face's: embeddings times sqrt(hidden) (rounded to fp16 for an
// fp16-dtype model, as both HF in fp16 and MLC do), RMSNorm times (1 + w) (the converted cache
// holds 1 + w, so the stored value is used directly), GeLU-tanh MLP, gemma2's post-attention and
// pre/post feed-forward norms, and final logit soft-capping. K and V pass through an fp16 cache
// except for q0f32, as in llama_reference.h.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "tests/support/llama_reference.h"

namespace aae::testing {

struct GemmaRefLayer {
  RefMatrix in_norm, qkv, o, post_attn_norm, pre_ff_norm, post_ff_norm, gate_up, down;
};

struct GemmaRefModel {
  bool gemma2 = false;
  int64_t hidden = 0, intermediate = 0, heads = 0, kv_heads = 0, head_dim = 0, layers = 0,
          vocab = 0;
  double rope_theta = 10000, rms_eps = 1e-6, embed_scale = 1, final_softcap = 0;
  bool half_kv_cache = true;
  RefMatrix embed, final_norm;
  std::vector<GemmaRefLayer> layer;
};

inline bool is_gemma_model_type(const std::string& type) {
  return type == "gemma" || type == "gemma2";
}

inline Result<GemmaRefModel> load_gemma_ref_model(const std::string& model_dir,
                                                  const ModelWeights& w) {
  AAE_ASSIGN_OR_RETURN(json::Value root,
                       json::parse_file(model_dir + "/sphere-aae-chat-config.json"));
  AAE_ASSIGN_OR_RETURN(json::ObjectReader top, json::ObjectReader::make(root, "chat config"));
  AAE_ASSIGN_OR_RETURN(std::string type, top.get_string("model_type"));
  AAE_ASSIGN_OR_RETURN(std::string quant, top.get_string("quantization"));
  AAE_ASSIGN_OR_RETURN(const json::Value* mcv, top.get_object("model_config"));
  AAE_ASSIGN_OR_RETURN(json::ObjectReader mc, json::ObjectReader::make(*mcv, "model_config"));
  const QuantizationSpec* spec = find_quantization(quant);
  if (spec == nullptr) return Error("unknown quantization " + quant);
  GemmaRefModel m;
  m.gemma2 = type == "gemma2";
  AAE_ASSIGN_OR_RETURN(m.hidden, mc.get_int64("hidden_size"));
  AAE_ASSIGN_OR_RETURN(m.intermediate, mc.get_int64("intermediate_size"));
  AAE_ASSIGN_OR_RETURN(m.heads, mc.get_int64("num_attention_heads"));
  AAE_ASSIGN_OR_RETURN(m.kv_heads, mc.get_int64("num_key_value_heads"));
  AAE_ASSIGN_OR_RETURN(m.layers, mc.get_int64("num_hidden_layers"));
  AAE_ASSIGN_OR_RETURN(m.head_dim, mc.get_int64("head_dim"));
  AAE_ASSIGN_OR_RETURN(m.vocab, top.get_int64("vocab_size"));
  AAE_ASSIGN_OR_RETURN(m.rms_eps, mc.get_double("rms_norm_eps"));
  AAE_ASSIGN_OR_RETURN(m.rope_theta, mc.get_double("position_embedding_base"));
  if (m.gemma2) {
    const json::Value* cap = mc.find("final_logit_softcapping");
    if (cap != nullptr && !cap->is_null()) m.final_softcap = cap->as_double();
  }
  const double scale = std::sqrt(static_cast<double>(m.hidden));
  m.embed_scale = spec->model_dtype == DType::kFloat16    ? ref_fp16(scale)
                  : spec->model_dtype == DType::kBFloat16 ? bfloat16_to_float(float_to_bfloat16(
                                                                static_cast<float>(scale)))
                                                          : static_cast<float>(scale);
  m.half_kv_cache = quant != "q0f32";

  const int64_t H = m.hidden;
  AAE_ASSIGN_OR_RETURN(m.embed, load_ref_param(w, *spec, "model.embed_tokens", H));
  AAE_ASSIGN_OR_RETURN(m.final_norm, load_ref_param(w, *spec, "model.norm", H));
  for (int64_t l = 0; l < m.layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    GemmaRefLayer L;
    AAE_ASSIGN_OR_RETURN(L.in_norm, load_ref_param(w, *spec, p + "input_layernorm", H));
    AAE_ASSIGN_OR_RETURN(L.qkv, load_ref_param(w, *spec, p + "self_attn.qkv_proj", H));
    AAE_ASSIGN_OR_RETURN(L.o, load_ref_param(w, *spec, p + "self_attn.o_proj",
                                             m.heads * m.head_dim));
    AAE_ASSIGN_OR_RETURN(L.post_attn_norm,
                         load_ref_param(w, *spec, p + "post_attention_layernorm", H));
    if (m.gemma2) {
      AAE_ASSIGN_OR_RETURN(L.pre_ff_norm,
                           load_ref_param(w, *spec, p + "pre_feedforward_layernorm", H));
      AAE_ASSIGN_OR_RETURN(L.post_ff_norm,
                           load_ref_param(w, *spec, p + "post_feedforward_layernorm", H));
    }
    AAE_ASSIGN_OR_RETURN(L.gate_up, load_ref_param(w, *spec, p + "mlp.gate_up_proj", H));
    AAE_ASSIGN_OR_RETURN(L.down, load_ref_param(w, *spec, p + "mlp.down_proj", m.intermediate));
    m.layer.push_back(std::move(L));
  }
  return m;
}

inline double gemma_ref_gelu_tanh(double x) {
  const double k = std::sqrt(2.0 / 3.14159265358979323846);
  return 0.5 * x * (1.0 + std::tanh(k * (x + 0.044715 * x * x * x)));
}

// Logits after every token of `tokens`, run from position 0.
inline std::vector<std::vector<double>> gemma_reference_forward(
    const GemmaRefModel& m, const std::vector<int32_t>& tokens) {
  const int64_t H = m.hidden, D = m.head_dim, Hq = m.heads, Hkv = m.kv_heads, I = m.intermediate;
  std::vector<std::vector<std::vector<double>>> kc(m.layers), vc(m.layers);  // [l][pos][Hkv*D]
  std::vector<std::vector<double>> out;
  for (int64_t p = 0; p < static_cast<int64_t>(tokens.size()); ++p) {
    std::vector<double> x(H);
    for (int64_t i = 0; i < H; ++i) x[i] = m.embed.v[tokens[p] * H + i] * m.embed_scale;
    for (int64_t l = 0; l < m.layers; ++l) {
      const GemmaRefLayer& L = m.layer[l];
      std::vector<double> xn(H);
      ref_rms_norm(x.data(), L.in_norm, xn.data(), H, m.rms_eps);
      std::vector<double> qkv = ref_matvec(L.qkv, xn, nullptr);
      for (int64_t h = 0; h < Hq + Hkv; ++h) {  // rotate-half RoPE on q and k
        double* head = qkv.data() + h * D;
        for (int64_t d = 0; d < D / 2; ++d) {
          const double f = p * std::pow(m.rope_theta, -2.0 * d / D);
          const double a = head[d], b = head[d + D / 2];
          head[d] = a * std::cos(f) - b * std::sin(f);
          head[d + D / 2] = b * std::cos(f) + a * std::sin(f);
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
      std::vector<double> attn(Hq * D, 0.0);
      for (int64_t h = 0; h < Hq; ++h) {
        const int64_t g = h / (Hq / Hkv);
        std::vector<double> s(p + 1);
        double mx = -1e300;
        for (int64_t j = 0; j <= p; ++j) {
          double dot = 0;
          for (int64_t e = 0; e < D; ++e) dot += qkv[h * D + e] * kc[l][j][g * D + e];
          s[j] = dot / std::sqrt(static_cast<double>(D));
          mx = std::max(mx, s[j]);
        }
        double sum = 0;
        for (auto& e : s) sum += (e = std::exp(e - mx));
        for (int64_t j = 0; j <= p; ++j)
          for (int64_t e = 0; e < D; ++e) attn[h * D + e] += s[j] / sum * vc[l][j][g * D + e];
      }
      std::vector<double> o = ref_matvec(L.o, attn, nullptr);
      if (m.gemma2) ref_rms_norm(o.data(), L.post_attn_norm, o.data(), H, m.rms_eps);
      for (int64_t i = 0; i < H; ++i) x[i] += o[i];
      ref_rms_norm(x.data(), m.gemma2 ? L.pre_ff_norm : L.post_attn_norm, xn.data(), H,
                   m.rms_eps);
      std::vector<double> gu = ref_matvec(L.gate_up, xn, nullptr), act(I);
      for (int64_t i = 0; i < I; ++i) act[i] = gemma_ref_gelu_tanh(gu[i]) * gu[I + i];
      std::vector<double> down = ref_matvec(L.down, act, nullptr);
      if (m.gemma2) ref_rms_norm(down.data(), L.post_ff_norm, down.data(), H, m.rms_eps);
      for (int64_t i = 0; i < H; ++i) x[i] += down[i];
    }
    std::vector<double> xn(H);
    ref_rms_norm(x.data(), m.final_norm, xn.data(), H, m.rms_eps);
    std::vector<double> logits = ref_matvec(m.embed, xn, nullptr);  // always tied
    if (m.final_softcap > 0)
      for (auto& e : logits) e = std::tanh(e / m.final_softcap) * m.final_softcap;
    out.push_back(std::move(logits));
  }
  return out;
}

// The reference logits of any architecture the library runs: gemma/gemma2 here, the llama
// family in llama_reference.h. `model_type` is the chat config's.
inline Result<std::vector<std::vector<double>>> reference_logits(
    const std::string& model_type, const std::string& model_dir, const ModelWeights& w,
    const std::vector<int32_t>& tokens) {
  if (is_gemma_model_type(model_type)) {
    AAE_ASSIGN_OR_RETURN(GemmaRefModel m, load_gemma_ref_model(model_dir, w));
    return gemma_reference_forward(m, tokens);
  }
  AAE_ASSIGN_OR_RETURN(RefModel m, load_ref_model(model_dir, w));
  return reference_forward(m, tokens);
}

}  // namespace aae::testing
