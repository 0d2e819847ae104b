// Test support (header-only, hosted): a double-precision forward pass of gpt_neox (Hugging
// Face GPTNeoXForCausalLM) over a converted model directory, in MLC's parameter names. Written
// from the Hugging Face definition: per block h1 = input_layernorm(x), a = dense(attn(h1));
// use_parallel_residual: x += a + mlp(post_attention_layernorm(x)), else x += a, then
// x += mlp(post_attention_layernorm(x)); mlp = dense_4h_to_h(gelu(dense_h_to_4h)), exact erf GeLU
// ("gelu"); RoPE rotates the first int(head_dim * rotary_pct) dims of each q and k head; the
// head is embed_out(final_layer_norm(x)) without a bias; an fp16-dtype model rounds its logits
// to fp16 (MLC's embed_out takes the model dtype). The MLP biases are read in whatever dtype
// the cache records (float32, as MLC stores them). The converted
// query_key_value holds all q heads, then all k, then all v (MLC's layout; the converter's
// reordering from Hugging Face's per-head rows is checked in convert/convert_weight_neox_test.cc).
// As the library (and MLC): K and V go through an fp16 cache except for q0f32.
#pragma once

#include "tests/support/phi_reference.h"

namespace aae::testing {

inline double ref_gelu_erf(double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }

struct NeoxRefLayer {
  RefMatrix ln1_w, ln1_b, ln2_w, ln2_b, qkv, qkv_b, o, o_b, fc1, fc1_b, fc2, fc2_b;
};

// Logits after every token of `tokens`, run from position 0.
inline Result<std::vector<std::vector<double>>> neox_reference_forward(
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
  AAE_ASSIGN_OR_RETURN(int64_t layers, mc.get_int64("num_hidden_layers"));
  AAE_ASSIGN_OR_RETURN(int64_t D, mc.get_int64("head_dim"));
  AAE_ASSIGN_OR_RETURN(double eps, mc.get_double("layer_norm_eps"));
  AAE_ASSIGN_OR_RETURN(double theta, mc.get_double("position_embedding_base"));
  AAE_ASSIGN_OR_RETURN(double rotary_pct, mc.get_double("rotary_pct"));
  AAE_ASSIGN_OR_RETURN(bool parallel, mc.get_bool("use_parallel_residual"));
  const int64_t R = static_cast<int64_t>(D * rotary_pct);
  const bool half_kv = quant != "q0f32";
  const bool half_logits = spec->model_dtype == DType::kFloat16;

  RefMatrix embed, final_w, final_b, head;
  AAE_ASSIGN_OR_RETURN(embed, load_ref_param(w, *spec, "gpt_neox.embed_in", H));
  AAE_ASSIGN_OR_RETURN(final_w, load_ref_param(w, *spec, "gpt_neox.final_layer_norm.weight", 0));
  AAE_ASSIGN_OR_RETURN(final_b, load_ref_param(w, *spec, "gpt_neox.final_layer_norm.bias", 0));
  AAE_ASSIGN_OR_RETURN(head, load_ref_param(w, *spec, "embed_out", H));
  std::vector<NeoxRefLayer> ls;
  for (int64_t l = 0; l < layers; ++l) {
    const std::string p = "gpt_neox.layers." + std::to_string(l) + ".";
    NeoxRefLayer L;
    AAE_ASSIGN_OR_RETURN(L.ln1_w, load_ref_param(w, *spec, p + "input_layernorm.weight", 0));
    AAE_ASSIGN_OR_RETURN(L.ln1_b, load_ref_param(w, *spec, p + "input_layernorm.bias", 0));
    AAE_ASSIGN_OR_RETURN(L.ln2_w, load_ref_param(w, *spec, p + "post_attention_layernorm.weight", 0));
    AAE_ASSIGN_OR_RETURN(L.ln2_b, load_ref_param(w, *spec, p + "post_attention_layernorm.bias", 0));
    AAE_ASSIGN_OR_RETURN(L.qkv, load_ref_param(w, *spec, p + "attention.query_key_value", H));
    AAE_ASSIGN_OR_RETURN(L.qkv_b, load_ref_param(w, *spec, p + "attention.query_key_value.bias", 0));
    AAE_ASSIGN_OR_RETURN(L.o, load_ref_param(w, *spec, p + "attention.dense", Hq * D));
    AAE_ASSIGN_OR_RETURN(L.o_b, load_ref_param(w, *spec, p + "attention.dense.bias", 0));
    AAE_ASSIGN_OR_RETURN(L.fc1, load_ref_param(w, *spec, p + "mlp.dense_h_to_4h", H));
    AAE_ASSIGN_OR_RETURN(L.fc1_b, load_ref_param(w, *spec, p + "mlp.dense_h_to_4h.bias", 0));
    AAE_ASSIGN_OR_RETURN(L.fc2, load_ref_param(w, *spec, p + "mlp.dense_4h_to_h", I));
    AAE_ASSIGN_OR_RETURN(L.fc2_b, load_ref_param(w, *spec, p + "mlp.dense_4h_to_h.bias", 0));
    ls.push_back(std::move(L));
  }

  auto mlp = [&](const NeoxRefLayer& L, const std::vector<double>& x) {
    std::vector<double> h(H);
    ref_layer_norm(x.data(), L.ln2_w, L.ln2_b, h.data(), H, eps);
    std::vector<double> mid = ref_matvec(L.fc1, h, &L.fc1_b);
    for (auto& e : mid) e = ref_gelu_erf(e);
    return ref_matvec(L.fc2, mid, &L.fc2_b);
  };
  std::vector<std::vector<std::vector<double>>> kc(layers), vc(layers);  // [l][pos][Hq*D]
  std::vector<std::vector<double>> out;
  for (int64_t p = 0; p < static_cast<int64_t>(tokens.size()); ++p) {
    std::vector<double> x(embed.v.begin() + tokens[p] * H, embed.v.begin() + (tokens[p] + 1) * H);
    for (int64_t l = 0; l < layers; ++l) {
      const NeoxRefLayer& L = ls[l];
      std::vector<double> h(H);
      ref_layer_norm(x.data(), L.ln1_w, L.ln1_b, h.data(), H, eps);
      std::vector<double> qkv = ref_matvec(L.qkv, h, &L.qkv_b);
      for (int64_t head_index = 0; head_index < 2 * Hq; ++head_index) {
        double* v = qkv.data() + head_index * D;
        for (int64_t d = 0; d < R / 2; ++d) {  // rotate-half within the first R dims
          const double f = p * std::pow(theta, -2.0 * d / R);
          const double a = v[d], b = v[d + R / 2];
          v[d] = a * std::cos(f) - b * std::sin(f);
          v[d + R / 2] = b * std::cos(f) + a * std::sin(f);
        }
      }
      std::vector<double> k(qkv.begin() + Hq * D, qkv.begin() + 2 * Hq * D);
      std::vector<double> v(qkv.begin() + 2 * Hq * D, qkv.end());
      if (half_kv) {
        for (auto& e : k) e = ref_fp16(e);
        for (auto& e : v) e = ref_fp16(e);
      }
      kc[l].push_back(k);
      vc[l].push_back(v);
      std::vector<double> attn(Hq * D, 0.0);
      for (int64_t hq = 0; hq < Hq; ++hq) {
        std::vector<double> s(p + 1);
        double mx = -1e300, sum = 0;
        for (int64_t j = 0; j <= p; ++j) {
          double dot = 0;
          for (int64_t e = 0; e < D; ++e) dot += qkv[hq * D + e] * kc[l][j][hq * D + e];
          mx = std::max(mx, s[j] = dot / std::sqrt(static_cast<double>(D)));
        }
        for (auto& e : s) sum += (e = std::exp(e - mx));
        for (int64_t j = 0; j <= p; ++j)
          for (int64_t e = 0; e < D; ++e) attn[hq * D + e] += s[j] / sum * vc[l][j][hq * D + e];
      }
      std::vector<double> o = ref_matvec(L.o, attn, &L.o_b);
      if (parallel) {
        std::vector<double> m = mlp(L, x);
        for (int64_t i = 0; i < H; ++i) x[i] += o[i] + m[i];
      } else {
        for (int64_t i = 0; i < H; ++i) x[i] += o[i];
        std::vector<double> m = mlp(L, x);
        for (int64_t i = 0; i < H; ++i) x[i] += m[i];
      }
    }
    std::vector<double> xn(H);
    ref_layer_norm(x.data(), final_w, final_b, xn.data(), H, eps);
    std::vector<double> logits = ref_matvec(head, xn, nullptr);
    if (half_logits)
      for (auto& e : logits) e = ref_fp16(e);
    out.push_back(std::move(logits));
  }
  return out;
}

}  // namespace aae::testing
