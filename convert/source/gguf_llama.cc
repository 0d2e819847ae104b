// A llama-architecture GGUF seen as a Hugging Face checkpoint: renamed tensors, Q/K rows
// restored to Hugging Face order, and a config.json derived from the metadata.
#include <charconv>
#include <string>
#include <unordered_map>

#include <fmt/format.h>

#include "convert/source/gguf.h"

namespace aae {
namespace {

constexpr const char* kUnsupportedTypeHint =
    "supported gguf tensor types are F32, F16, BF16 and Q8_0; convert from the original Hugging Face "
    "safetensors, or re-export the gguf as F16/Q8_0 with llama.cpp";

struct BlockPart {
  std::string_view gguf;
  std::string_view hf;
};
constexpr BlockPart kBlockParts[] = {
    {"attn_norm", "input_layernorm"},        {"attn_q", "self_attn.q_proj"},
    {"attn_k", "self_attn.k_proj"},          {"attn_v", "self_attn.v_proj"},
    {"attn_output", "self_attn.o_proj"},     {"ffn_norm", "post_attention_layernorm"},
    {"ffn_gate", "mlp.gate_proj"},           {"ffn_up", "mlp.up_proj"},
    {"ffn_down", "mlp.down_proj"},
};

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Which heads count a tensor's rows are permuted by (none, attention heads, KV heads).
enum class Permutation { kNone, kQuery, kKey };

Permutation permutation_of(std::string_view gguf_name) {
  const size_t last = gguf_name.rfind('.');
  const size_t part_dot = last == std::string_view::npos ? last : gguf_name.rfind('.', last - 1);
  if (part_dot == std::string_view::npos || !gguf_name.starts_with("blk.")) return Permutation::kNone;
  const std::string_view part = gguf_name.substr(part_dot + 1, last - part_dot - 1);
  if (part == "attn_q") return Permutation::kQuery;
  if (part == "attn_k") return Permutation::kKey;
  return Permutation::kNone;
}

// llama.cpp's converter reorders the rows of each head (size D) so rotary pairs are adjacent:
// stored row 2*i + j came from Hugging Face row j*D/2 + i. This puts them back.
// `data` is [heads * D, cols] row-major.
std::vector<float> unpermute_rows(const std::vector<float>& data, int64_t rows, int64_t cols, int64_t heads) {
  std::vector<float> out(data.size());
  const int64_t head_dim = rows / heads;
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t i = 0; i < half; ++i) {
      for (int64_t j = 0; j < 2; ++j) {
        const float* src = data.data() + (h * head_dim + 2 * i + j) * cols;
        float* dst = out.data() + (h * head_dim + j * half + i) * cols;
        std::copy(src, src + cols, dst);
      }
    }
  }
  return out;
}

struct Entry {
  const GgufTensorInfo* info;
  Permutation permutation;
};

class GgufLlamaSource final : public TensorSource {
 public:
  explicit GgufLlamaSource(GgufFile gguf) : gguf_(std::move(gguf)) {}

  Status init();

  std::string describe() const override { return gguf_.path().string(); }
  const std::vector<SourceTensor>& tensors() const override { return tensors_; }

  Result<std::vector<float>> read_f32(std::string_view name) const override {
    const auto it = entries_.find(std::string(name));
    if (it == entries_.end()) return Error(fmt::format("{}: no tensor named '{}'", describe(), name));
    const Entry& entry = it->second;
    AAE_ASSIGN_OR_RETURN(std::vector<float> data, gguf_.read_f32(*entry.info));
    if (entry.permutation == Permutation::kNone) return data;
    const int64_t rows = entry.info->shape.front();
    const int64_t cols = entry.info->numel() / rows;
    return unpermute_rows(data, rows, cols, entry.permutation == Permutation::kQuery ? heads_ : kv_heads_);
  }

 private:
  GgufFile gguf_;
  int64_t heads_ = 0;
  int64_t kv_heads_ = 0;
  std::vector<SourceTensor> tensors_;
  std::unordered_map<std::string, Entry> entries_;
};

Status check_llama(const GgufFile& gguf) {
  AAE_ASSIGN_OR_RETURN(std::string arch, gguf.get_string("general.architecture"));
  if (arch != "llama") {
    return Error(fmt::format("{}: gguf architecture is '{}', only 'llama' is supported", gguf.path().string(), arch),
                 "convert this model from its Hugging Face safetensors instead");
  }
  return ok_status();
}

Status GgufLlamaSource::init() {
  AAE_TRY(check_llama(gguf_));
  AAE_ASSIGN_OR_RETURN(heads_, gguf_.get_int("llama.attention.head_count"));
  kv_heads_ = heads_;
  if (gguf_.find("llama.attention.head_count_kv")) {
    AAE_ASSIGN_OR_RETURN(kv_heads_, gguf_.get_int("llama.attention.head_count_kv"));
  }
  if (heads_ <= 0 || kv_heads_ <= 0) {
    return Error(fmt::format("{}: head counts must be positive (head_count {}, head_count_kv {})", describe(), heads_,
                             kv_heads_));
  }
  for (const auto& info : gguf_.tensors()) {
    const std::string hf = hf_name_for_gguf_llama(info.name);
    if (hf.empty()) {
      return Error(fmt::format("{}: tensor '{}' has no Hugging Face llama equivalent", describe(), info.name),
                   "only plain llama checkpoints are supported (no rope_freqs / extra tensors); "
                   "convert from the Hugging Face safetensors instead");
    }
    DType dtype;
    switch (info.type) {
      case GgmlType::kF32: case GgmlType::kQ8_0: dtype = DType::kFloat32; break;
      case GgmlType::kF16: dtype = DType::kFloat16; break;
      case GgmlType::kBF16: dtype = DType::kBFloat16; break;
      default:
        return Error(fmt::format("{}: tensor '{}' has ggml type {}, which the converter cannot read", describe(),
                                 info.name, ggml_type_name(info.type)),
                     kUnsupportedTypeHint);
    }
    const Permutation permutation = permutation_of(info.name);
    if (permutation != Permutation::kNone) {
      const int64_t heads = permutation == Permutation::kQuery ? heads_ : kv_heads_;
      const int64_t rows = info.shape.empty() ? 0 : info.shape.front();
      if (rows == 0 || rows % heads != 0 || (rows / heads) % 2 != 0) {
        return Error(fmt::format("{}: tensor '{}' has {} rows, not {} heads of an even head size", describe(),
                                 info.name, rows, heads));
      }
    }
    tensors_.push_back(SourceTensor{hf, dtype, info.shape});
    entries_.emplace(hf, Entry{&info, permutation});
  }
  return ok_status();
}

// A float32 metadata value as the decimal it was written from (1e-05, not 9.99999974738e-06).
double as_written(const GgufValue& value, double fallback) {
  if (value.type != GgufType::kFloat32) return value.is_float() ? value.float_value : fallback;
  const std::string text = fmt::format("{}", static_cast<float>(value.float_value));
  double parsed = value.float_value;
  std::from_chars(text.data(), text.data() + text.size(), parsed);
  return parsed;
}

}  // namespace

std::string hf_name_for_gguf_llama(std::string_view name) {
  if (name == "token_embd.weight") return "model.embed_tokens.weight";
  if (name == "output_norm.weight") return "model.norm.weight";
  if (name == "output.weight") return "lm_head.weight";
  // blk.<N>.<part>.<weight|bias>
  if (!name.starts_with("blk.")) return {};
  const std::string_view rest = name.substr(4);
  const size_t dot = rest.find('.');
  const size_t last = rest.rfind('.');
  if (dot == std::string_view::npos || last == dot) return {};
  const std::string_view layer = rest.substr(0, dot);
  const std::string_view part = rest.substr(dot + 1, last - dot - 1);
  const std::string_view suffix = rest.substr(last + 1);
  if (!all_digits(layer) || (suffix != "weight" && suffix != "bias")) return {};
  for (const auto& p : kBlockParts) {
    if (p.gguf == part) return fmt::format("model.layers.{}.{}.{}", layer, p.hf, suffix);
  }
  return {};
}

Result<std::unique_ptr<TensorSource>> open_gguf_llama(const std::filesystem::path& gguf_file) {
  AAE_ASSIGN_OR_RETURN(GgufFile gguf, GgufFile::open(gguf_file));
  auto source = std::make_unique<GgufLlamaSource>(std::move(gguf));
  AAE_TRY(source->init());
  return std::unique_ptr<TensorSource>(std::move(source));
}

Result<nlohmann::json> gguf_llama_hf_config(const GgufFile& gguf) {
  AAE_TRY(check_llama(gguf));
  nlohmann::json config;
  config["architectures"] = nlohmann::json::array({"LlamaForCausalLM"});
  config["model_type"] = "llama";
  config["hidden_act"] = "silu";
  AAE_ASSIGN_OR_RETURN(int64_t hidden, gguf.get_int("llama.embedding_length"));
  AAE_ASSIGN_OR_RETURN(int64_t intermediate, gguf.get_int("llama.feed_forward_length"));
  AAE_ASSIGN_OR_RETURN(int64_t heads, gguf.get_int("llama.attention.head_count"));
  int64_t kv_heads = heads;
  if (gguf.find("llama.attention.head_count_kv")) {
    AAE_ASSIGN_OR_RETURN(kv_heads, gguf.get_int("llama.attention.head_count_kv"));
  }
  AAE_ASSIGN_OR_RETURN(int64_t layers, gguf.get_int("llama.block_count"));
  AAE_ASSIGN_OR_RETURN(int64_t context, gguf.get_int("llama.context_length"));
  AAE_TRY(gguf.get_float("llama.attention.layer_norm_rms_epsilon"));
  const double eps = as_written(*gguf.find("llama.attention.layer_norm_rms_epsilon"), 0);
  double rope_theta = 10000.0;
  if (const GgufValue* base = gguf.find("llama.rope.freq_base")) {
    AAE_TRY(gguf.get_float("llama.rope.freq_base"));
    rope_theta = base->is_integer() ? static_cast<double>(base->int_value) : as_written(*base, rope_theta);
  }
  int64_t vocab = 0;
  if (const GgufValue* tokens = gguf.find("tokenizer.ggml.tokens"); tokens && tokens->type == GgufType::kArray) {
    vocab = static_cast<int64_t>(tokens->array.size());
  } else if (gguf.find("llama.vocab_size")) {
    AAE_ASSIGN_OR_RETURN(vocab, gguf.get_int("llama.vocab_size"));
  } else if (const GgufTensorInfo* embed = gguf.find_tensor("token_embd.weight"); embed && !embed->shape.empty()) {
    vocab = embed->shape.front();
  } else {
    return Error(fmt::format("{}: cannot tell the vocabulary size (no tokenizer.ggml.tokens, llama.vocab_size "
                             "or token_embd.weight)", gguf.path().string()));
  }
  config["hidden_size"] = hidden;
  config["intermediate_size"] = intermediate;
  config["num_attention_heads"] = heads;
  config["num_key_value_heads"] = kv_heads;
  config["num_hidden_layers"] = layers;
  config["rms_norm_eps"] = eps;
  config["rope_theta"] = rope_theta;
  config["max_position_embeddings"] = context;
  config["vocab_size"] = vocab;
  config["tie_word_embeddings"] = gguf.find_tensor("output.weight") == nullptr;
  for (const char* key : {"bos", "eos"}) {
    const std::string gguf_key = fmt::format("tokenizer.ggml.{}_token_id", key);
    if (gguf.find(gguf_key)) {
      AAE_ASSIGN_OR_RETURN(int64_t id, gguf.get_int(gguf_key));
      config[fmt::format("{}_token_id", key)] = id;
    }
  }
  return config;
}

}  // namespace aae
