// Test support (header-only, hosted): a double-precision forward pass of phi (Phi-2's Hugging
// Face PhiForCausalLM) over a converted model directory, in MLC's parameter names. Written from
// the Hugging Face definition: one LayerNorm feeds attention and the MLP in parallel,
// x += attn + mlp; q/k/v/dense/fc1/fc2/lm_head carry biases; GeLU is the tanh form ("gelu_new");
// RoPE rotates the first int(head_dim * partial_rotary_factor) dims of each q and k head. As
// the library (and MLC): K and V go through an fp16 cache except for q0f32, and an fp16-dtype
// model rounds its logits to fp16 (MLC's lm_head outputs fp16).
#pragma once

#include "tests/support/llama_reference.h"

namespace aae::testing {

inline void ref_layer_norm(const double* x, const RefMatrix& w, const RefMatrix& b, double* y,
                           int64_t n, double eps) {
  double mean = 0, var = 0;
  for (int64_t i = 0; i < n; ++i) mean += x[i];
  mean /= n;
  for (int64_t i = 0; i < n; ++i) var += (x[i] - mean) * (x[i] - mean);
  var /= n;
  const double inv = 1.0 / std::sqrt(var + eps);
  for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - mean) * inv * w.v[i] + b.v[i];
}

// Hugging Face's "gelu_new": x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
inline double ref_phi_gelu(double x) {
  return 0.5 * x * (1 + std::tanh(std::sqrt(2 / 3.14159265358979323846) * (x + 0.044715 * x * x * x)));
}

struct PhiRefLayer {
  RefMatrix ln_w, ln_b, qkv, qkv_b, o, o_b, fc1, fc1_b, fc2, fc2_b;
};

// Logits after every token of `tokens`, run from position 0.
inline Result<std::vector<std::vector<double>>> phi_reference_forward(
    const std::string& model_dir, const ModelWeights& w, const std::vector<int32_t>& tokens) {
  AAE_ASSIGN_OR_RETURN(json::Value root,
                       json::parse_file(model_dir + "/sphere-aae-chat-config.json"));
  AAE_ASSIGN_OR_RETURN(json::ObjectReader top, json::ObjectReader::make(root, "chat config"));
  AAE_ASSIGN_OR_RETURN(std::string quant, top.get_string("quantization"));
  AAE_ASSIGN_OR_RETURN(const json::Value* mcv, top.get_object("model_config"));
  AAE_ASSIGN_OR_RETURN(json::ObjectReader mc, json::ObjectReader::make(*mcv, "model_config"));
  const QuantizationSpec* spec = find_quantization(quant);
  if (spec == nullptr) return Error("unknown quantization " + quant);
  AAE_ASSIGN_OR_RETURN(int64_t H, mc.get_int64("hidden_size"));
  AAE_ASSIGN_OR_RETURN(int64_t I, mc.get_int64("intermediate_size"));
  AAE_ASSIGN_OR_RETURN(int64_t Hq, mc.get_int64("num_attention_heads"));
  AAE_ASSIGN_OR_RETURN(int64_t Hkv, mc.get_int64("num_key_value_heads"));
  AAE_ASSIGN_OR_RETURN(int64_t layers, mc.get_int64("num_hidden_layers"));
  AAE_ASSIGN_OR_RETURN(int64_t D, mc.get_int64("head_dim"));
  AAE_ASSIGN_OR_RETURN(double eps, mc.get_double("layer_norm_eps"));
  AAE_ASSIGN_OR_RETURN(double theta, mc.get_double("position_embedding_base"));
  AAE_ASSIGN_OR_RETURN(double partial, mc.get_double("partial_rotary_factor"));
  const int64_t R = static_cast<int64_t>(D * partial);
  const bool half_kv = quant != "q0f32";
  const bool half_logits = spec->model_dtype == DType::kFloat16;

  RefMatrix embed, head_ln_w, head_ln_b, head, head_b;
  AAE_ASSIGN_OR_RETURN(embed, load_ref_param(w, *spec, "transformer.embd", H));
  AAE_ASSIGN_OR_RETURN(head_ln_w, load_ref_param(w, *spec, "lm_head.ln.weight", 0));
  AAE_ASSIGN_OR_RETURN(head_ln_b, load_ref_param(w, *spec, "lm_head.ln.bias", 0));
  AAE_ASSIGN_OR_RETURN(head, load_ref_param(w, *spec, "lm_head.linear", H));
  AAE_ASSIGN_OR_RETURN(head_b, load_ref_param(w, *spec, "lm_head.linear.bias", 0));
  std::vector<PhiRefLayer> ls;
  for (int64_t l = 0; l < layers; ++l) {
    const std::string p = "transformer.h." + std::to_string(l) + ".";
    PhiRefLayer L;
    AAE_ASSIGN_OR_RETURN(L.ln_w, load_ref_param(w, *spec, p + "ln.weight", 0));
    AAE_ASSIGN_OR_RETURN(L.ln_b, load_ref_param(w, *spec, p + "ln.bias", 0));
    AAE_ASSIGN_OR_RETURN(L.qkv, load_ref_param(w, *spec, p + "mixer.Wqkv", H));
    AAE_ASSIGN_OR_RETURN(L.qkv_b, load_ref_param(w, *spec, p + "mixer.Wqkv.bias", 0));
    AAE_ASSIGN_OR_RETURN(L.o, load_ref_param(w, *spec, p + "mixer.out_proj", Hq * D));
    AAE_ASSIGN_OR_RETURN(L.o_b, load_ref_param(w, *spec, p + "mixer.out_proj.bias", 0));
    AAE_ASSIGN_OR_RETURN(L.fc1, load_ref_param(w, *spec, p + "mlp.fc1", H));
    AAE_ASSIGN_OR_RETURN(L.fc1_b, load_ref_param(w, *spec, p + "mlp.fc1.bias", 0));
    AAE_ASSIGN_OR_RETURN(L.fc2, load_ref_param(w, *spec, p + "mlp.fc2", I));
    AAE_ASSIGN_OR_RETURN(L.fc2_b, load_ref_param(w, *spec, p + "mlp.fc2.bias", 0));
    ls.push_back(std::move(L));
  }

  std::vector<std::vector<std::vector<double>>> kc(layers), vc(layers);  // [l][pos][Hkv*D]
  std::vector<std::vector<double>> out;
  for (int64_t p = 0; p < static_cast<int64_t>(tokens.size()); ++p) {
    std::vector<double> x(embed.v.begin() + tokens[p] * H, embed.v.begin() + (tokens[p] + 1) * H);
    for (int64_t l = 0; l < layers; ++l) {
      const PhiRefLayer& L = ls[l];
      std::vector<double> h(H);
      ref_layer_norm(x.data(), L.ln_w, L.ln_b, h.data(), H, eps);
      std::vector<double> qkv = ref_matvec(L.qkv, h, &L.qkv_b);
      for (int64_t head_index = 0; head_index < Hq + Hkv; ++head_index) {
        double* v = qkv.data() + head_index * D;
        for (int64_t d = 0; d < R / 2; ++d) {  // rotate-half within the first R dims
          const double f = p * std::pow(theta, -2.0 * d / R);
          const double a = v[d], b = v[d + R / 2];
          v[d] = a * std::cos(f) - b * std::sin(f);
          v[d + R / 2] = b * std::cos(f) + a * std::sin(f);
        }
      }
      std::vector<double> k(qkv.begin() + Hq * D, qkv.begin() + (Hq + Hkv) * D);
      std::vector<double> v(qkv.begin() + (Hq + Hkv) * D, qkv.end());
      if (half_kv) {
        for (auto& e : k) e = ref_fp16(e);
        for (auto& e : v) e = ref_fp16(e);
      }
      kc[l].push_back(k);
      vc[l].push_back(v);
      std::vector<double> attn(Hq * D, 0.0);
      for (int64_t hq = 0; hq < Hq; ++hq) {
        const int64_t g = hq / (Hq / Hkv);
        std::vector<double> s(p + 1);
        double mx = -1e300, sum = 0;
        for (int64_t j = 0; j <= p; ++j) {
          double dot = 0;
          for (int64_t e = 0; e < D; ++e) dot += qkv[hq * D + e] * kc[l][j][g * D + e];
          mx = std::max(mx, s[j] = dot / std::sqrt(static_cast<double>(D)));
        }
        for (auto& e : s) sum += (e = std::exp(e - mx));
        for (int64_t j = 0; j <= p; ++j)
          for (int64_t e = 0; e < D; ++e) attn[hq * D + e] += s[j] / sum * vc[l][j][g * D + e];
      }
      std::vector<double> o = ref_matvec(L.o, attn, &L.o_b);
      std::vector<double> mid = ref_matvec(L.fc1, h, &L.fc1_b);
      for (auto& e : mid) e = ref_phi_gelu(e);
      std::vector<double> mlp = ref_matvec(L.fc2, mid, &L.fc2_b);
      for (int64_t i = 0; i < H; ++i) x[i] += o[i] + mlp[i];
    }
    std::vector<double> xn(H);
    ref_layer_norm(x.data(), head_ln_w, head_ln_b, xn.data(), H, eps);
    std::vector<double> logits = ref_matvec(head, xn, &head_b);
    if (half_logits)
      for (auto& e : logits) e = ref_fp16(e);
    out.push_back(std::move(logits));
  }
  return out;
}

}  // namespace aae::testing
