#include "compiler/codegen.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <map>

#include <fmt/format.h>

#include "compiler/c_literal.h"
#include "compiler/codegen_phi.h"
#include "compiler/model_lib_metadata.h"
#include "compiler/model_lib_name.h"
#include "compiler/model_lib_params.h"
#include "runtime/base/half.h"

namespace aae {
namespace {

// Model-format tags (modellib/kernels/weight_format.h, model_format.h) of every code.
const std::map<std::string, std::string>& format_tags() {
  static const std::map<std::string, std::string> tags = {
      {"q0f32", "FormatQ0F32"},          {"q0f16", "FormatQ0F16"},
      {"q0bf16", "FormatQ0BF16"},        {"q4f16_1", "FormatQ4F16_1"},
      {"q4f32_1", "FormatQ4F32_1"},      {"q3f16_1", "FormatQ3F16_1"},
      {"q4f16_2", "FormatQ4F16_2"},      {"q4f16_0", "FormatQ4F16_0Model"},
      {"q3f16_0", "FormatQ3F16_0Model"},
  };
  return tags;
}

Result<int64_t> int_of(const nlohmann::ordered_json& mc, const char* key,
                       const std::string& label) {
  auto it = mc.find(key);
  if (it == mc.end() || !it->is_number_integer()) {
    return Error(fmt::format("{}: model_config.{} is missing or not an integer", label, key));
  }
  return it->get<int64_t>();
}

Result<double> number_of(const nlohmann::ordered_json& mc, const char* key,
                         const std::string& label) {
  auto it = mc.find(key);
  if (it == mc.end() || !it->is_number()) {
    return Error(fmt::format("{}: model_config.{} is missing or not a number", label, key));
  }
  return it->get<double>();
}

// The rank of a parameter name in LlamaFamily's metadata order (modellib/arch/llama.h):
// embed_tokens; per layer input_layernorm, qkv, qkv bias, o_proj, o_proj bias, q_norm, k_norm,
// post_attention_layernorm, gate_up_proj, down_proj; model.norm; lm_head.
// phi3's MLC module names (mlc-model-params.md §2.7) as the llama names of the same slot.
std::string phi3_as_llama_name(const std::string& name) {
  static const std::pair<const char*, const char*> kRenames[] = {
      {"transformer.embd.", "model.embed_tokens."}, {"transformer.norm.", "model.norm."},
      {"transformer.h.", "model.layers."},          {".ln.", ".input_layernorm."},
      {".mixer.qkv_proj.", ".self_attn.qkv_proj."}, {".mixer.out_proj.", ".self_attn.o_proj."}};
  std::string out = name;
  for (const auto& [from, to] : kRenames) {
    if (const size_t at = out.find(from); at != std::string::npos) out.replace(at, strlen(from), to);
  }
  return out;
}

Result<std::pair<int64_t, int64_t>> llama_rank(const std::string& mlc_name) {
  const std::string name = phi3_as_llama_name(mlc_name);
  if (name == "model.embed_tokens.weight") return std::pair<int64_t, int64_t>{-1, 0};
  if (name == "model.norm.weight") return std::pair<int64_t, int64_t>{1LL << 40, 0};
  if (name == "lm_head.weight") return std::pair<int64_t, int64_t>{1LL << 40, 1};
  static const char* slots[] = {
      "input_layernorm.weight",          "self_attn.qkv_proj.weight|self_attn.c_attn.weight",
      "self_attn.qkv_proj.bias|self_attn.c_attn.bias", "self_attn.o_proj.weight",
      "self_attn.o_proj.bias",           "self_attn.q_norm.weight",
      "self_attn.k_norm.weight",         "post_attention_layernorm.weight",
      "mlp.gate_up_proj.weight",         "mlp.down_proj.weight",
      // gemma2 (GemmaFamily, modellib/arch/gemma.h): after down_proj
      "pre_feedforward_layernorm.weight", "post_feedforward_layernorm.weight"};
  const std::string prefix = "model.layers.";
  if (name.rfind(prefix, 0) == 0) {
    const size_t dot = name.find('.', prefix.size());
    const int64_t layer = std::stoll(name.substr(prefix.size(), dot - prefix.size()));
    const std::string rest = name.substr(dot + 1);
    for (int64_t s = 0; s < static_cast<int64_t>(std::size(slots)); ++s) {
      std::string_view alts = slots[s];
      while (!alts.empty()) {
        const size_t bar = alts.find('|');
        if (alts.substr(0, bar) == rest) return std::pair<int64_t, int64_t>{layer, s};
        alts = bar == std::string_view::npos ? std::string_view() : alts.substr(bar + 1);
      }
    }
  }
  return Error(fmt::format("parameter \"{}\" has no place in the llama-family template", mlc_name),
               "the architecture's parameter plan and modellib/arch/llama.h disagree");
}

struct LlamaConfig {
  std::string format_tag;
  int64_t hidden, intermediate, heads, kv_heads, head_dim, layers, vocab;
  int64_t context_window, prefill_chunk, sliding_window, attention_sink;
  double rope_theta, rms_eps;
  bool tie_embeddings, qkv_bias, o_bias, qk_norm;
  // gemma/gemma2 (GemmaFamily): embedding multiplier, gemma2's extra norms and logit cap.
  bool gemma = false, feedforward_norms = false;
  // phi (PhiFamily, modellib/arch/phi.h): rms_eps holds layer_norm_eps; rotary_dim < head_dim.
  bool phi = false;
  int64_t rotary_dim = 0;
  // gpt_neox (NeoxFamily, modellib/arch/gpt_neox.h, on top of the phi fields): the residual form.
  bool neox = false, parallel_residual = false;
  double embed_scale = 1.0, final_logit_softcap = 0.0;
  // phi3 longrope (empty: plain RoPE): the long factors, one per rotary frequency, and the
  // factor on cos and sin (mlc-model-params.md §4.3).
  std::vector<double> rope_ext_factors;
  double rope_attention_factor = 1.0;
};

// phi3's RoPE as MLC's kernel computes it (TVM rope_freq_longrope): the kernel receives
// long_factor + short_factor concatenated and reads only the first rotary_dim / 2 entries, i.e.
// long_factor, at every position; cos and sin carry sqrt(1 + ln(max / orig) / ln(orig)) when
// max_position_embeddings > original_max_position_embeddings.
Status phi3_rope(const nlohmann::ordered_json& mc, const std::string& label, LlamaConfig& c) {
  if (double partial = mc.value("partial_rotary_factor", 1.0); partial != 1.0) {
    return Error(fmt::format("{}: model_config.partial_rotary_factor is {}; the phi3 model "
                             "library supports only full rotary (1.0) yet", label, partial));
  }
  auto scaling = mc.find("rope_scaling");
  if (scaling == mc.end() || scaling->is_null()) return ok_status();
  AAE_ASSIGN_OR_RETURN(int64_t head_dim, int_of(mc, "head_dim", label));
  const auto& s = *scaling;
  auto factors = s.find("long_factor");
  if (s.value("rope_type", "") != "longrope" || factors == s.end() || !factors->is_array() ||
      static_cast<int64_t>(factors->size()) < head_dim / 2) {
    return Error(fmt::format("{}: model_config.rope_scaling must be longrope with at least {} "
                             "long_factor entries", label, head_dim / 2),
                 "regenerate the chat config with sphere_aae gen_config from the phi3 config.json");
  }
  for (int64_t d = 0; d < head_dim / 2; ++d) {
    const auto& f = (*factors)[static_cast<size_t>(d)];
    if (!f.is_number() || f.get<double>() <= 0) {
      return Error(fmt::format("{}: model_config.rope_scaling.long_factor[{}] is {}, expected a "
                               "positive number", label, d, f.dump()));
    }
    c.rope_ext_factors.push_back(f.get<double>());
  }
  const double max_pos = s.value("max_position_embeddings", 0.0);
  const double orig = s.value("original_max_position_embeddings", 0.0);
  if (max_pos > orig) {
    if (orig <= 1) {
      return Error(fmt::format("{}: model_config.rope_scaling.original_max_position_embeddings "
                               "is {}; longrope needs a value above 1", label, orig));
    }
    c.rope_attention_factor = std::sqrt(1 + std::log(max_pos / orig) / std::log(orig));
  }
  return ok_status();
}

// gemma/gemma2 (mlc-model-params.md §4.2, §4.6): always tied; the embedding multiplier is
// sqrt(hidden) in the model dtype (fp16(sqrt(H)) for fp16 models, as MLC's scalar operand takes
// the tensor's dtype); gemma2 adds the feed-forward norms and final_logit_softcapping.
Status gemma_config(const ModelInput& input, LlamaConfig& c) {
  const auto& mc = input.definition.model_config;
  c.gemma = true;
  c.tie_embeddings = true;
  const float scale = static_cast<float>(std::sqrt(static_cast<double>(c.hidden)));
  const DType dtype = input.quantization->model_dtype;
  c.embed_scale = dtype == DType::kFloat16    ? round_to_half(scale)
                  : dtype == DType::kBFloat16 ? bfloat16_to_float(float_to_bfloat16(scale))
                                              : scale;
  if (input.model_type != "gemma2") return ok_status();
  c.feedforward_norms = true;
  auto cap = mc.find("final_logit_softcapping");
  if (cap != mc.end() && !cap->is_null()) {
    if (!cap->is_number() || cap->get<double>() <= 0) {
      return Error(fmt::format("{}: model_config.final_logit_softcapping is {}, expected a "
                               "positive number or null", input.chat_config_path, cap->dump()));
    }
    c.final_logit_softcap = cap->get<double>();
  }
  return ok_status();
}

Result<LlamaConfig> llama_config(const ModelInput& input) {
  const ModelDefinition& def = input.definition;
  const auto& mc = def.model_config;
  const std::string& label = input.chat_config_path;
  const std::string& type = input.model_type;
  if (Status supported = check_model_lib_support(type, input.quantization_name); !supported.ok()) {
    return Error(label + ": " + supported.error().message(), supported.error().hint());
  }
  auto tag = format_tags().find(input.quantization_name);
  if (auto it = mc.find("rope_scaling"); it != mc.end() && !it->is_null() && type != "phi3") {
    return Error(fmt::format("{}: model_config.rope_scaling is not supported by the model "
                             "library yet", label));
  }
  if (def.context_window_size <= 0) {
    return Error(fmt::format("{}: context_window_size is {}; the model library needs a fixed "
                             "context window", label, def.context_window_size),
                 "pass --overrides \"context_window_size=N\"");
  }
  LlamaConfig c;
  c.format_tag = tag->second;
  AAE_ASSIGN_OR_RETURN(c.hidden, int_of(mc, "hidden_size", label));
  AAE_ASSIGN_OR_RETURN(c.intermediate, int_of(mc, "intermediate_size", label));
  AAE_ASSIGN_OR_RETURN(c.heads, int_of(mc, "num_attention_heads", label));
  if (type == "gpt_neox") {
    c.kv_heads = c.heads;  // GPTNeoXConfig has no num_key_value_heads: one K/V head per head
  } else {
    AAE_ASSIGN_OR_RETURN(c.kv_heads, int_of(mc, "num_key_value_heads", label));
  }
  AAE_ASSIGN_OR_RETURN(c.head_dim, int_of(mc, "head_dim", label));
  AAE_ASSIGN_OR_RETURN(c.layers, int_of(mc, "num_hidden_layers", label));
  c.vocab = def.vocab_size;
  c.context_window = def.context_window_size;
  c.prefill_chunk = std::min(def.prefill_chunk_size, def.context_window_size);
  c.sliding_window = def.sliding_window_size;
  c.attention_sink = std::max<int64_t>(def.attention_sink_size, 0);
  const bool llama_like = type == "llama" || type == "mistral" || type == "phi3" ||
                          type == "gemma" || type == "gemma2" || type == "phi" ||
                          type == "gpt_neox";
  const bool layer_norm = type == "phi" || type == "gpt_neox";
  if (type == "phi3") AAE_TRY(phi3_rope(mc, label, c));
  AAE_ASSIGN_OR_RETURN(c.rope_theta,
                       number_of(mc, llama_like ? "position_embedding_base" : "rope_theta", label));
  AAE_ASSIGN_OR_RETURN(c.rms_eps,
                       number_of(mc, layer_norm ? "layer_norm_eps" : "rms_norm_eps", label));
  if (layer_norm) {
    c.phi = true;
    c.neox = type == "gpt_neox";
    AAE_ASSIGN_OR_RETURN(c.rotary_dim,
                         codegen_detail::phi_rotary_dim(mc, c.head_dim, label,
                                                        c.neox ? "rotary_pct"
                                                               : "partial_rotary_factor"));
  }
  if (c.neox) {
    auto parallel = mc.find("use_parallel_residual");
    if (parallel == mc.end() || !parallel->is_boolean()) {
      return Error(fmt::format("{}: model_config.use_parallel_residual is missing or not a "
                               "boolean", label),
                   "regenerate the chat config with sphere_aae gen_config");
    }
    c.parallel_residual = parallel->get<bool>();
    // NeoxFamily reads the MLP biases as float32 (model_lib_params gives them ffn_out_dtype).
    auto ffn = mc.find("ffn_out_dtype");
    if (ffn != mc.end() && !(ffn->is_string() && ffn->get<std::string>() == "float32")) {
      return Error(fmt::format("{}: model_config.ffn_out_dtype is {}; the model library supports "
                               "only \"float32\" (MLC's default)", label, ffn->dump()),
                   "convert and gen_config without overriding ffn_out_dtype");
    }
  }
  c.tie_embeddings = mc.value("tie_word_embeddings", false);
  c.qkv_bias = type == "qwen2" || (type == "qwen3" && mc.value("attention_bias", false));
  c.o_bias = type == "qwen3" && mc.value("attention_bias", false);
  c.qk_norm = type == "qwen3";
  if (type == "gemma" || type == "gemma2") AAE_TRY(gemma_config(input, c));
  return c;
}

// Mirrors LlamaFamily's state layout (each region 64-byte aligned). The TU static_asserts the
// template agrees, so a layout change on either side fails the compile instead of lying.
StateBytes llama_state_bytes(const LlamaConfig& c, DType kv_dtype, const QuantizationSpec& q) {
  auto a64 = [](int64_t n) { return (n + 63) & ~int64_t{63}; };
  const int64_t T = c.prefill_chunk, H = c.hidden, D = c.head_dim, C = c.context_window;
  const int64_t qkv = (c.heads + 2 * c.kv_heads) * D;
  StateBytes s;
  const int64_t kv_element = static_cast<int64_t>(dtype_size(kv_dtype));
  s.kv_cache = 2 * a64(c.layers * C * c.kv_heads * D * kv_element);
  s.workspace = 64 + 2 * a64(C * (D / 2) * 4) + 2 * a64(T * H * 4) + a64(T * qkv * 4) +
                a64(T * c.heads * D * 4) + a64(T * 2 * c.intermediate * 4) +
                a64(T * c.intermediate * 4) + (D % 4 == 0 ? 0 : a64(c.heads * C * 4));
  // Int8 activations of group formats (Q8Acts in modellib/kernels/linear_base.h), per token:
  // codes padded to whole groups, then a float scale and a float correction per group.
  if (q.kind == QuantizationKind::kGroup) {
    const int64_t max_k = std::max({H, c.heads * D, c.intermediate});
    const int64_t groups = q.num_groups(max_k);
    s.workspace += a64(T * (a64(groups * q.group_size) + 2 * a64(groups * 4)));
  }
  return s;
}

std::string render(const LlamaConfig& c, const MetadataInputs& meta, const GeneratedModelLib& lib,
                   const ModelInput& input) {
  std::string tu;
  tu += fmt::format(
      "// Generated by sphere_aae compile; do not edit.\n"
      "// model_lib {}: {} {}, from {}\n"
      "#include \"modellib/export.h\"\n"
      "#include \"modellib/arch/{}.h\"\n\n"
      "namespace {{\n"
      "struct Config {{\n"
      "  using Format = aae::modellib::{};\n",
      lib.model_lib, input.model_type, input.quantization_name, input.chat_config_path,
      c.gemma ? "gemma" : c.neox ? "gpt_neox" : c.phi ? "phi" : "llama", c.format_tag);
  auto i64 = [&](const char* name, int64_t v) {
    tu += fmt::format("  static constexpr int64_t {} = {};\n", name, v);
  };
  i64("hidden", c.hidden);
  i64("intermediate", c.intermediate);
  i64("heads", c.heads);
  i64("kv_heads", c.kv_heads);
  i64("head_dim", c.head_dim);
  i64("layers", c.layers);
  i64("vocab", c.vocab);
  i64("context_window", c.context_window);
  i64("prefill_chunk", c.prefill_chunk);
  i64("sliding_window", c.sliding_window);
  i64("attention_sink", c.attention_sink);
  tu += fmt::format("  static constexpr double rope_theta = {:.17g};\n", c.rope_theta);
  tu += fmt::format("  static constexpr double rms_eps = {:.17g};\n", c.rms_eps);
  auto flag = [&](const char* name, bool v) {
    tu += fmt::format("  static constexpr bool {} = {};\n", name, v ? "true" : "false");
  };
  flag("tie_embeddings", c.tie_embeddings);
  flag("qkv_bias", c.qkv_bias);
  flag("o_bias", c.o_bias);
  flag("qk_norm", c.qk_norm);
  if (!c.rope_ext_factors.empty()) {
    tu += fmt::format("  static constexpr double rope_ext_factors[] = {{{:.17g}}};\n",
                      fmt::join(c.rope_ext_factors, ", "));
    tu += fmt::format("  static constexpr double rope_attention_factor = {:.17g};\n",
                      c.rope_attention_factor);
  }
  if (c.phi) {
    i64("rotary_dim", c.rotary_dim);
    tu += fmt::format("  static constexpr double layer_norm_eps = {:.17g};\n", c.rms_eps);
  }
  if (c.neox) flag("parallel_residual", c.parallel_residual);
  if (c.gemma) {
    tu += fmt::format("  static constexpr double embed_scale = {:.17g};\n", c.embed_scale);
    flag("feedforward_norms", c.feedforward_norms);
    tu += fmt::format("  static constexpr double final_logit_softcap = {:.17g};\n",
                      c.final_logit_softcap);
  }
  tu += fmt::format("}};\nusing Model = aae::modellib::{}<Config>;\n}}  // namespace\n\n",
                    c.gemma  ? "GemmaFamily"
                    : c.neox ? "NeoxFamily"
                    : c.phi  ? "PhiFamily"
                             : "LlamaFamily");
  tu += fmt::format(
      "static_assert(Model::kStateBytes == {}ull, \"state size: generator and template "
      "disagree\");\n"
      "static_assert(Model::kKvCacheBytes == {}ull, \"kv cache size: generator and template "
      "disagree\");\n"
      "static_assert(Model::kNumParams == {}, \"parameter count: generator and template "
      "disagree\");\n\n",
      meta.state.total(), meta.state.kv_cache, meta.params.size());
  tu += fmt::format("AAE_MODEL_METADATA_DEFINE({},\n{});\n", lib.model_lib,
                    c_string_literal(lib.metadata_json));
  tu += fmt::format("AAE_MODEL_LIB_DEFINE({}, Model)\n", lib.model_lib);
  // Shared objects only (compile_model_lib defines the macro for a .so): a fixed-name entry so a
  // host can dlopen any library without knowing its model_lib. Objects and archives must not
  // carry it, or two libraries linked into one app would clash.
  tu += fmt::format(
      "\n#ifdef AAE_MODEL_LIB_SHARED_ENTRY\n"
      "extern \"C\" __attribute__((visibility(\"default\"))) const AaeModelLib* "
      "aae_model_lib_entry(void) {{\n"
      "  return &AAE_MODEL_LIB_SYMBOL({});\n"
      "}}\n"
      "#endif\n",
      lib.model_lib);
  return tu;
}

}  // namespace

Status check_model_lib_support(std::string_view model_type, std::string_view quantization) {
  static const char* const kTypes[] = {"llama", "mistral", "qwen2", "qwen3",
                                       "phi3",  "gemma",   "gemma2", "phi",
                                       "gpt_neox"};
  if (std::find(std::begin(kTypes), std::end(kTypes), model_type) == std::end(kTypes)) {
    return Error(fmt::format("model_type \"{}\" has no architecture template yet", model_type),
                 "supported for model libraries: llama, mistral, qwen2, qwen3, phi3, gemma, "
                 "gemma2, phi, gpt_neox");
  }
  if (format_tags().count(std::string(quantization)) == 0) {
    std::vector<std::string> names;
    for (const auto& [k, v] : format_tags()) names.push_back(k);
    return Error(fmt::format("quantization \"{}\" has no model-library weight format yet",
                             quantization),
                 fmt::format("supported: {}", fmt::join(names, ", ")));
  }
  return ok_status();
}

Result<GeneratedModelLib> generate_model_lib(const ModelInput& input, std::string_view model_lib) {
  auto checked = model_lib_name_from_prefix(model_lib);
  if (!checked.ok() || *checked != model_lib) {
    return Error(fmt::format("model library name \"{}\" is not a C identifier", model_lib));
  }
  AAE_ASSIGN_OR_RETURN(LlamaConfig config, llama_config(input));

  // The plan is sorted by name; the library takes the template's order.
  std::vector<std::pair<std::pair<int64_t, int64_t>, ParamPlan>> ranked;
  for (const ParamPlan& p : input.definition.params) {
    AAE_ASSIGN_OR_RETURN(auto rank, input.model_type == "phi"
                                        ? codegen_detail::phi_param_rank(p.name)
                                    : input.model_type == "gpt_neox"
                                        ? codegen_detail::neox_param_rank(p.name)
                                        : llama_rank(p.name));
    ranked.push_back({rank, p});
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<ParamPlan> ordered;
  for (auto& [rank, p] : ranked) ordered.push_back(std::move(p));

  MetadataInputs meta;
  meta.abi_version = kModelLibAbiVersion;
  meta.model_lib = std::string(model_lib);
  meta.input = &input;
  meta.params = model_lib_params(ordered, *input.quantization);
  meta.kv_capacity_tokens = config.context_window;
  meta.kv_dtype = model_lib_kv_dtype(input.quantization_name);
  meta.state = llama_state_bytes(config, meta.kv_dtype, *input.quantization);

  GeneratedModelLib out;
  out.model_lib = std::string(model_lib);
  out.metadata_json = model_lib_metadata(meta).dump();
  out.metadata_symbol = out.model_lib + "___aae_model_metadata";
  out.descriptor_symbol = out.model_lib + "___aae_model_lib";
  out.source = render(config, meta, out, input);
  return out;
}

}  // namespace aae
