// gen_config: read the source (HF directory or GGUF), derive the model definition, assemble the
// chat config in MLC's field order, then write everything.
#include "convert/gen_config.h"

#include <map>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "convert/conv_template.h"
#include "convert/gen_config_tokenizer.h"
#include "convert/source/gguf.h"
#include "convert/source/gguf_tokenizer.h"
#include "runtime/base/file_util.h"
#include "runtime/format/chat_config.h"
#include "runtime/format/quantization.h"

namespace aae {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using nlohmann::ordered_json;

// Everything gen_config needs from the source, held in memory until all checks pass.
struct SourceModel {
  Json config;                             // config.json (or its GGUF equivalent)
  std::optional<Json> generation_config;   // generation_config.json when present
  std::vector<std::pair<std::string, std::string>> tokenizer_files;  // name -> bytes, MLC order
  std::optional<Json> tokenizer_json;      // parsed tokenizer.json, when one is written
  std::string tokenizer_json_label;        // for error messages
};

Result<Json> parse_json_text(const std::string& text, const std::string& label) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    Error error(fmt::format("{}: invalid JSON", label));
    error.add_cause(e.what());
    return error;
  }
}

Result<Json> read_json_file(const fs::path& path) {
  AAE_ASSIGN_OR_RETURN(std::string text, read_file(path.string()));
  return parse_json_text(text, path.string());
}

bool is_gguf_path(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && path.extension() == ".gguf";
}

Result<SourceModel> load_hf_directory(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Error(fmt::format("source {} is neither a directory nor a .gguf file", dir.string()),
                 "pass a Hugging Face model directory (with config.json) or a GGUF file");
  }
  SourceModel source;
  const fs::path config_path = dir / "config.json";
  if (!fs::exists(config_path, ec)) {
    return Error(fmt::format("{}: config.json not found", dir.string()),
                 "the source must be a Hugging Face model directory containing config.json");
  }
  AAE_ASSIGN_OR_RETURN(source.config, read_json_file(config_path));
  if (!source.config.is_object()) {
    return Error(fmt::format("{}: expected a JSON object", config_path.string()));
  }
  const fs::path generation_path = dir / "generation_config.json";
  if (fs::exists(generation_path, ec)) {
    AAE_ASSIGN_OR_RETURN(Json generation, read_json_file(generation_path));
    if (!generation.is_object()) {
      return Error(fmt::format("{}: expected a JSON object", generation_path.string()));
    }
    source.generation_config = std::move(generation);
  }
  for (const std::string& name : tokenizer_file_names()) {
    const fs::path path = dir / name;
    if (!fs::is_regular_file(path, ec)) continue;
    AAE_ASSIGN_OR_RETURN(std::string bytes, read_file(path.string()));
    if (name == "tokenizer.json") {
      AAE_ASSIGN_OR_RETURN(source.tokenizer_json, parse_json_text(bytes, path.string()));
      source.tokenizer_json_label = path.string();
    }
    source.tokenizer_files.emplace_back(name, std::move(bytes));
  }
  return source;
}

Result<std::string> gguf_tokenizer_text(const GgufFile& gguf, const fs::path& path,
                                        Json* parsed) {
  auto tokenizer = gguf_tokenizer_json(gguf);
  if (!tokenizer.ok()) {
    return std::move(tokenizer).error().context(
        fmt::format("{}: cannot build tokenizer.json", path.string()));
  }
  *parsed = Json::parse(tokenizer->dump());
  return tokenizer->dump(2);
}

Result<SourceModel> load_gguf(const fs::path& path) {
  AAE_ASSIGN_OR_RETURN(GgufFile gguf, GgufFile::open(path));
  SourceModel source;
  auto config = gguf_llama_hf_config(gguf);
  if (!config.ok()) {
    return std::move(config).error().context(
        fmt::format("{}: cannot derive a model config", path.string()));
  }
  source.config = std::move(config).value();
  Json parsed;
  AAE_ASSIGN_OR_RETURN(std::string text, gguf_tokenizer_text(gguf, path, &parsed));
  source.tokenizer_files.emplace_back("tokenizer.json", std::move(text));
  source.tokenizer_json = std::move(parsed);
  source.tokenizer_json_label = path.string() + " (tokenizer metadata)";
  return source;
}

// MLC fills each still-unset sampling / token-id field from generation_config.json, then from
// config.json, then from its system defaults. Values keep their JSON form (an int stays an int).
struct GenerationField {
  const char* name;
  bool token_id;  // integer (eos_token_id: integer or list of integers); else a number
  ordered_json fallback;
};

const std::vector<GenerationField>& generation_fields() {
  static const std::vector<GenerationField> fields = {
      {"temperature", false, 1.0},      {"presence_penalty", false, 0.0},
      {"frequency_penalty", false, 0.0}, {"repetition_penalty", false, 1.0},
      {"top_p", false, 1.0},            {"pad_token_id", true, 0},
      {"bos_token_id", true, 1},        {"eos_token_id", true, 2},
  };
  return fields;
}

bool valid_generation_value(const GenerationField& field, const Json& value) {
  if (!field.token_id) return value.is_number();
  if (value.is_number_integer()) return true;
  if (std::string_view(field.name) != "eos_token_id" || !value.is_array()) return false;
  for (const Json& id : value) {
    if (!id.is_number_integer()) return false;
  }
  return true;
}

Result<std::map<std::string, ordered_json>> resolve_generation_values(
    const SourceModel& source, const std::string& generation_label,
    const std::string& config_label) {
  std::map<std::string, ordered_json> values;
  std::vector<std::pair<const Json*, const std::string*>> files;
  if (source.generation_config) files.emplace_back(&*source.generation_config, &generation_label);
  files.emplace_back(&source.config, &config_label);
  for (const GenerationField& field : generation_fields()) {
    for (const auto& [file, label] : files) {
      auto it = file->find(field.name);
      if (it == file->end() || it->is_null()) continue;
      if (!valid_generation_value(field, *it)) {
        return Error(fmt::format("{}: \"{}\" has an unexpected value {}", *label, field.name,
                                 it->dump()),
                     field.token_id ? "token ids are integers (eos_token_id may be a list)"
                                    : "sampling parameters are numbers");
      }
      values[field.name] = *it;
      break;
    }
    if (!values.count(field.name)) values[field.name] = field.fallback;
  }
  return values;
}

std::string quantization_list() {
  std::vector<std::string> names;
  for (std::string_view name : quantization_names()) names.emplace_back(name);
  return fmt::format("{}", fmt::join(names, ", "));
}

// Python's json.dump(indent=2): ASCII-only output, no trailing newline.
std::string dump_like_python(const ordered_json& value) { return value.dump(2, ' ', true); }

Status write_outputs(const fs::path& output,
                     const std::vector<std::pair<std::string, std::string>>& files) {
  std::error_code ec;
  fs::create_directories(output, ec);
  if (ec) {
    return Error(fmt::format("cannot create output directory {}: {}", output.string(),
                             ec.message()));
  }
  for (const auto& [name, bytes] : files) {
    AAE_TRY(write_file_atomic((output / name).string(), bytes));
  }
  return ok_status();
}

Status gen_tokenizer_only(const GenConfigOptions& options) {
  if (!is_gguf_path(options.source)) {
    return Error(fmt::format("--tokenizer-only needs a .gguf file, got {}",
                             options.source.string()),
                 "a Hugging Face directory already has its tokenizer files; run gen_config "
                 "without --tokenizer-only");
  }
  AAE_ASSIGN_OR_RETURN(GgufFile gguf, GgufFile::open(options.source));
  Json parsed;
  AAE_ASSIGN_OR_RETURN(std::string text, gguf_tokenizer_text(gguf, options.source, &parsed));
  return write_outputs(options.output, {{"tokenizer.json", std::move(text)}});
}

}  // namespace

const std::vector<std::string>& tokenizer_file_names() {
  static const std::vector<std::string> names = {"tokenizer.model",   "tokenizer.json",
                                                 "vocab.json",        "merges.txt",
                                                 "added_tokens.json", "tokenizer_config.json"};
  return names;
}

Status gen_config(const GenConfigOptions& options) {
  if (options.output.empty()) return Error("gen_config: no output directory given");
  if (options.tokenizer_only) return gen_tokenizer_only(options);

  const QuantizationSpec* quantization = find_quantization(options.quantization);
  if (quantization == nullptr) {
    return Error(fmt::format("unknown quantization \"{}\"", options.quantization),
                 fmt::format("supported quantizations: {}", quantization_list()));
  }
  AAE_ASSIGN_OR_RETURN(ordered_json conv_template, find_conv_template(options.conv_template));

  const bool gguf = is_gguf_path(options.source);
  Result<SourceModel> loaded = gguf ? load_gguf(options.source) : load_hf_directory(options.source);
  if (!loaded.ok()) return std::move(loaded).error();
  SourceModel& source = loaded.value();
  const std::string config_label =
      gguf ? options.source.string() : (options.source / "config.json").string();
  const std::string generation_label = (options.source / "generation_config.json").string();

  ConfigOverrides overrides = options.overrides;
  if (!overrides.max_batch_size) overrides.max_batch_size = 128;  // MLC gen_config's default
  auto definition = make_model_definition(source.config, *quantization, overrides);
  if (!definition.ok()) {
    return std::move(definition).error().context(
        fmt::format("cannot derive the model configuration from {}", config_label));
  }
  const ModelDefinition& def = definition.value();

  AAE_ASSIGN_OR_RETURN(auto generation,
                       resolve_generation_values(source, generation_label, config_label));

  TokenizerInfo tokenizer_info;  // MLC's defaults when there is no tokenizer.json
  int64_t active_vocab_size = def.vocab_size;
  if (source.tokenizer_json) {
    AAE_TRY(check_added_tokens_unique(*source.tokenizer_json, source.tokenizer_json_label));
    tokenizer_info = detect_tokenizer_info(*source.tokenizer_json);
    if (auto size = tokenizer_size(*source.tokenizer_json)) active_vocab_size = *size;
  }

  ordered_json chat = ordered_json::object();
  chat["version"] = "0.1.0";
  chat["model_type"] = def.model_type;
  chat["quantization"] = std::string(quantization->name);
  chat["model_config"] = def.model_config;
  chat["vocab_size"] = def.vocab_size;
  chat["context_window_size"] = def.context_window_size;
  chat["sliding_window_size"] = def.sliding_window_size;
  chat["prefill_chunk_size"] = def.prefill_chunk_size;
  chat["attention_sink_size"] = def.attention_sink_size;
  chat["tensor_parallel_shards"] = def.tensor_parallel_shards;
  chat["pipeline_parallel_stages"] = def.pipeline_parallel_stages;
  chat["active_vocab_size"] = active_vocab_size;
  for (const char* name : {"temperature", "presence_penalty", "frequency_penalty",
                           "repetition_penalty", "top_p"}) {
    chat[name] = generation.at(name);
  }
  chat["tokenizer_files"] = ordered_json::array();
  for (const auto& [name, bytes] : source.tokenizer_files) chat["tokenizer_files"].push_back(name);
  chat["tokenizer_info"] = tokenizer_info_json(tokenizer_info);
  chat["conv_template"] = std::move(conv_template);
  for (const char* name : {"pad_token_id", "bos_token_id", "eos_token_id"}) {
    chat[name] = generation.at(name);
  }

  std::vector<std::pair<std::string, std::string>> files = std::move(source.tokenizer_files);
  const std::string text = dump_like_python(chat);
  files.emplace_back(std::string(kAaeChatConfigFile), text);
  if (options.mlc_compat) files.emplace_back(std::string(kMlcChatConfigFile), text);
  return write_outputs(options.output, files);
}

}  // namespace aae
