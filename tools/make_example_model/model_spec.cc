#include "tools/make_example_model/model_spec.h"

namespace aae::example {
namespace {

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

struct Preset {
  const char* name;
  int64_t hidden, layers, heads, kv_heads, intermediate, vocab, context;
  bool big;
};

// Dimensions of the real models the big presets imitate. "tiny" is deliberately odd: an FFN
// width of 176 is a multiple of neither 32 nor 40 (the int4 and int3 group sizes), so
// converters must handle a partial last group.
constexpr Preset kPresets[] = {
    {"tiny", 64, 2, 4, 2, 176, 0, 512, false},
    {"tinyllama-1.1b", 2048, 22, 32, 4, 5632, 32000, 2048, true},
    {"qwen2-0.5b", 896, 24, 14, 2, 4864, 151936, 32768, true},
};

struct ArchInfo {
  Arch arch;
  const char* model_type;
  const char* architecture;
  double rms_norm_eps;
  double rope_theta;
};

constexpr ArchInfo kArchs[] = {
    {Arch::kLlama, "llama", "LlamaForCausalLM", 1e-5, 10000.0},
    {Arch::kMistral, "mistral", "MistralForCausalLM", 1e-5, 1000000.0},
    {Arch::kQwen2, "qwen2", "Qwen2ForCausalLM", 1e-6, 1000000.0},
    {Arch::kQwen3, "qwen3", "Qwen3ForCausalLM", 1e-6, 1000000.0},
    {Arch::kGemma, "gemma", "GemmaForCausalLM", 1e-6, 10000.0},
    {Arch::kGemma2, "gemma2", "Gemma2ForCausalLM", 1e-6, 10000.0},
    {Arch::kPhi3, "phi3", "Phi3ForCausalLM", 1e-5, 10000.0},
    {Arch::kPhi, "phi", "PhiForCausalLM", 1e-5, 10000.0},  // eps: layer_norm_eps
    {Arch::kGptNeox, "gpt_neox", "GPTNeoXForCausalLM", 1e-5, 10000.0},  // layer_norm_eps
};

}  // namespace

const std::vector<std::string>& arch_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& info : kArchs) out.emplace_back(info.model_type);
    return out;
  }();
  return names;
}

const std::vector<std::string>& preset_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& preset : kPresets) out.emplace_back(preset.name);
    return out;
  }();
  return names;
}

const std::vector<std::string>& weight_dtype_names() {
  static const std::vector<std::string> names = {"float32", "float16", "bfloat16"};
  return names;
}

Result<ModelSpec> make_model_spec(std::string_view arch, std::string_view preset, std::string_view dtype) {
  const ArchInfo* arch_info = nullptr;
  for (const auto& info : kArchs)
    if (arch == info.model_type) arch_info = &info;
  if (!arch_info) {
    return Error("unknown architecture '" + std::string(arch) + "'", "choose one of: " + join(arch_names()));
  }
  const Preset* size = nullptr;
  for (const auto& p : kPresets)
    if (preset == p.name) size = &p;
  if (!size) return Error("unknown preset '" + std::string(preset) + "'", "choose one of: " + join(preset_names()));
  bool dtype_ok = false;
  for (const auto& name : weight_dtype_names()) dtype_ok |= (dtype == name);
  if (!dtype_ok) {
    return Error("unsupported weight dtype '" + std::string(dtype) + "'",
                 "choose one of: " + join(weight_dtype_names()));
  }

  ModelSpec spec;
  spec.arch = arch_info->arch;
  spec.model_type = arch_info->model_type;
  spec.architecture = arch_info->architecture;
  spec.preset = size->name;
  spec.hidden_size = size->hidden;
  spec.num_layers = size->layers;
  spec.num_heads = size->heads;
  spec.num_kv_heads = size->kv_heads;
  spec.head_dim = size->hidden / size->heads;
  spec.intermediate_size = size->intermediate;
  spec.vocab_size = size->vocab;
  spec.context_length = size->context;
  spec.rms_norm_eps = arch_info->rms_norm_eps;
  spec.rope_theta = arch_info->rope_theta;
  if (spec.is_gemma()) spec.head_dim = 2 * size->hidden / size->heads;
  if (spec.arch == Arch::kGptNeox) spec.num_kv_heads = spec.num_heads;  // no grouped K/V
  spec.tie_word_embeddings = spec.is_qwen() || spec.is_gemma();
  spec.qkv_bias = spec.arch == Arch::kQwen2;
  spec.qk_norm = spec.arch == Arch::kQwen3;
  spec.fused_projections = spec.arch == Arch::kPhi3;
  spec.big = size->big;
  spec.dtype = *parse_dtype(dtype);
  return spec;
}

std::vector<std::string> special_tokens(Arch arch) {
  if (arch == Arch::kGemma || arch == Arch::kGemma2)
    return {"<eos>", "<bos>", "<start_of_turn>", "<end_of_turn>"};
  if (arch == Arch::kQwen2 || arch == Arch::kQwen3) return {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
  return {"<|endoftext|>"};
}

}  // namespace aae::example
