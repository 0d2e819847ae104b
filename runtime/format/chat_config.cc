#include "runtime/format/chat_config.h"

#include <filesystem>

#include "runtime/format/quantization.h"

namespace aae {
namespace {

Error in_file(const std::string& label, const Error& error) {
  return Error(label + ": " + error.message(), error.hint());
}

std::string join_names(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

// The top-level key if present, else the same key inside model_config, else `fallback`.
Result<int64_t> int_with_model_fallback(const json::ObjectReader& root,
                                        const json::ObjectReader& model, std::string_view key,
                                        int64_t fallback) {
  const json::Value* top = root.find(key);
  if (top && !top->is_null()) return root.get_int64(key);
  return model.get_int64_or(key, fallback);
}

Result<std::vector<int64_t>> read_eos(const json::ObjectReader& root) {
  const json::Value* value = root.find("eos_token_id");
  if (!value || value->is_null()) return std::vector<int64_t>{2};
  if (!value->is_array()) {
    AAE_ASSIGN_OR_RETURN(int64_t id, root.get_int64("eos_token_id"));
    return std::vector<int64_t>{id};
  }
  std::vector<int64_t> ids;
  for (size_t i = 0; i < value->as_array().size(); ++i) {
    const json::Value& item = value->as_array()[i];
    if (!item.is_integer()) {
      return Error("eos_token_id[" + std::to_string(i) + "]: expected an integer, found " +
                   json::type_name(item.type()));
    }
    ids.push_back(item.as_int64());
  }
  if (ids.empty())
    return Error("eos_token_id: empty list", "list at least one end-of-sequence token id");
  return ids;
}

Result<std::vector<std::string>> read_string_list(const json::ObjectReader& root,
                                                  std::string_view key) {
  std::vector<std::string> out;
  const json::Value* value = root.find(key);
  if (!value || value->is_null()) return out;
  AAE_ASSIGN_OR_RETURN(const json::Value* list, root.get_array(key));
  for (size_t i = 0; i < list->as_array().size(); ++i) {
    const json::Value& item = list->as_array()[i];
    if (!item.is_string()) {
      return Error(root.child_path(key) + "[" + std::to_string(i) + "]: expected a string, found " +
                   json::type_name(item.type()));
    }
    out.push_back(item.as_string());
  }
  return out;
}

Result<TokenizerInfo> read_tokenizer_info(const json::ObjectReader& root) {
  TokenizerInfo info;
  const json::Value* value = root.find("tokenizer_info");
  if (!value || value->is_null()) return info;
  AAE_ASSIGN_OR_RETURN(json::ObjectReader reader,
                       json::ObjectReader::make(*value, "tokenizer_info"));
  AAE_ASSIGN_OR_RETURN(info.token_postproc_method,
                       reader.get_string_or("token_postproc_method", info.token_postproc_method));
  if (info.token_postproc_method != "byte_level" && info.token_postproc_method != "byte_fallback") {
    return Error(reader.child_path("token_postproc_method") + ": unknown method \"" +
                     info.token_postproc_method + "\"",
                 "accepted methods: byte_level, byte_fallback");
  }
  AAE_ASSIGN_OR_RETURN(info.prepend_space_in_encode,
                       reader.get_bool_or("prepend_space_in_encode", info.prepend_space_in_encode));
  AAE_ASSIGN_OR_RETURN(info.strip_space_in_decode,
                       reader.get_bool_or("strip_space_in_decode", info.strip_space_in_decode));
  return info;
}

Result<ChatConfig> config_from_json(const json::Value& root_value) {
  AAE_ASSIGN_OR_RETURN(json::ObjectReader root, json::ObjectReader::make(root_value, ""));
  ChatConfig c;
  AAE_ASSIGN_OR_RETURN(c.version, root.get_string_or("version", "0.1.0"));
  AAE_ASSIGN_OR_RETURN(c.model_type, root.get_string("model_type"));
  AAE_ASSIGN_OR_RETURN(c.quantization, root.get_string("quantization"));
  if (!find_quantization(c.quantization)) {
    return Error("quantization: unsupported quantization \"" + c.quantization + "\"",
                 "supported: " + join_names(quantization_names()));
  }
  AAE_ASSIGN_OR_RETURN(const json::Value* model_config, root.get_object("model_config"));
  c.model_config = *model_config;
  AAE_ASSIGN_OR_RETURN(json::ObjectReader model,
                       json::ObjectReader::make(*model_config, "model_config"));
  AAE_ASSIGN_OR_RETURN(c.vocab_size, root.get_int64("vocab_size"));
  if (c.vocab_size <= 0)
    return Error("vocab_size: must be positive, found " + std::to_string(c.vocab_size));

  AAE_ASSIGN_OR_RETURN(c.context_window_size,
                       int_with_model_fallback(root, model, "context_window_size", -1));
  AAE_ASSIGN_OR_RETURN(c.sliding_window_size,
                       int_with_model_fallback(root, model, "sliding_window_size", -1));
  AAE_ASSIGN_OR_RETURN(
      c.prefill_chunk_size,
      int_with_model_fallback(root, model, "prefill_chunk_size", c.context_window_size));
  AAE_ASSIGN_OR_RETURN(c.attention_sink_size,
                       int_with_model_fallback(root, model, "attention_sink_size", -1));
  AAE_ASSIGN_OR_RETURN(c.tensor_parallel_shards,
                       int_with_model_fallback(root, model, "tensor_parallel_shards", 1));
  AAE_ASSIGN_OR_RETURN(c.pipeline_parallel_stages,
                       root.get_int64_or("pipeline_parallel_stages", 1));
  if (root.find("active_vocab_size") && !root.find("active_vocab_size")->is_null()) {
    AAE_ASSIGN_OR_RETURN(c.active_vocab_size, root.get_int64("active_vocab_size"));
    if (*c.active_vocab_size <= 0) {
      return Error("active_vocab_size: must be positive, found " +
                   std::to_string(*c.active_vocab_size));
    }
  }

  AAE_ASSIGN_OR_RETURN(c.temperature, root.get_double_or("temperature", 1.0));
  AAE_ASSIGN_OR_RETURN(c.presence_penalty, root.get_double_or("presence_penalty", 0.0));
  AAE_ASSIGN_OR_RETURN(c.frequency_penalty, root.get_double_or("frequency_penalty", 0.0));
  AAE_ASSIGN_OR_RETURN(c.repetition_penalty, root.get_double_or("repetition_penalty", 1.0));
  AAE_ASSIGN_OR_RETURN(c.top_p, root.get_double_or("top_p", 1.0));

  AAE_ASSIGN_OR_RETURN(c.tokenizer_files, read_string_list(root, "tokenizer_files"));
  AAE_ASSIGN_OR_RETURN(c.tokenizer_info, read_tokenizer_info(root));
  if (const json::Value* conv = root.find("conv_template")) {
    if (!conv->is_null() && !conv->is_object() && !conv->is_string()) {
      return Error(std::string("conv_template: expected an object, found ") +
                   json::type_name(conv->type()));
    }
    c.conv_template = *conv;
  }
  AAE_ASSIGN_OR_RETURN(c.pad_token_id, root.get_int64_or("pad_token_id", 0));
  AAE_ASSIGN_OR_RETURN(c.bos_token_id, root.get_int64_or("bos_token_id", 1));
  AAE_ASSIGN_OR_RETURN(c.eos_token_ids, read_eos(root));
  return c;
}

std::string base_name(const std::string& label) {
  const size_t slash = label.find_last_of('/');
  return slash == std::string::npos ? label : label.substr(slash + 1);
}

}  // namespace

Result<ChatConfig> parse_chat_config(std::string_view text, const std::string& file_label) {
  auto root = json::parse(text);
  if (!root.ok()) return in_file(file_label, root.error());
  auto config = config_from_json(*root);
  if (!config.ok()) return in_file(file_label, config.error());
  config->file_name = base_name(file_label);
  return config;
}

Result<ChatConfig> read_chat_config(const std::string& model_dir) {
  std::error_code ec;
  for (std::string_view name : {kAaeChatConfigFile, kMlcChatConfigFile}) {
    const std::string path =
        (model_dir.empty() || model_dir.back() == '/' ? model_dir : model_dir + "/") +
        std::string(name);
    if (!std::filesystem::exists(path, ec)) continue;
    auto root = json::parse_file(path);
    if (!root.ok()) return std::move(root).error();  // already names the file
    auto config = config_from_json(*root);
    if (!config.ok()) return in_file(path, config.error());
    config->file_name = std::string(name);
    return config;
  }
  return Error("no chat config in " + model_dir + ": neither " + std::string(kAaeChatConfigFile) +
                   " nor " + std::string(kMlcChatConfigFile) + " exists",
               "point at a converted model directory");
}

}  // namespace aae
