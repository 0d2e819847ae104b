// sphere_aae inspect DIR [--verify] [--json]: what a model directory holds, and whether its
// shards are intact. Exit 1 names every missing or damaged file.
// sphere_aae inspect LIB [--json]: the model libraries in a compiled .so/.a/.o of any device,
// read from their metadata symbols without running anything.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "compiler/model_lib_archive.h"
#include "runtime/base/human_units.h"
#include "runtime/format/chat_config.h"
#include "runtime/format/quantization.h"
#include "runtime/format/tensor_cache.h"
#include "tools/sphere_aae/command.h"

namespace aae::cli {
namespace {

struct InspectOptions {
  std::string model_dir;
  bool verify = false;
  bool json = false;
};

int64_t numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// Parameters before quantization: a uint32 q_weight word packs 32/bits values (padding included),
// q_scale tensors are bookkeeping and are not counted.
int64_t original_parameters(const TensorCache& cache, const QuantizationSpec* spec) {
  int64_t total = 0;
  for (const auto& shard : cache.shards) {
    for (const auto& record : shard.records) {
      const bool ends_q_scale = record.name.size() > 8 &&
                                record.name.compare(record.name.size() - 8, 8, ".q_scale") == 0;
      if (ends_q_scale) continue;
      int64_t n = numel(record.shape);
      if (record.dtype == DType::kUInt32 && spec && spec->kind == QuantizationKind::kGroup)
        n *= spec->elements_per_word();
      total += n;
    }
  }
  return total;
}

std::string shape_text(const nlohmann::json& shape) {
  std::string out;
  for (const auto& d : shape) out += (out.empty() ? "" : ", ") + d.dump();
  return "[" + out + "]";
}

std::string bytes_text(const nlohmann::json& memory, const char* key) {
  auto it = memory.find(key);
  if (it == memory.end() || !it->is_number_integer()) return "?";
  return human_bytes(it->get<int64_t>());
}

void print_model_lib_text(const ModelLibEntry& entry, const nlohmann::json& meta) {
  fmt::print("model_lib     {}\n", entry.model_lib);
  fmt::print("object        {} {}{}{}\n", object_format_name(entry.format), entry.architecture,
             entry.shared_object ? ", shared object" : "",
             entry.member.empty() ? "" : ", member " + entry.member);
  fmt::print("architecture  {}\n", meta.value("architecture", std::string("?")));
  fmt::print("quantization  {}\n", meta.value("quantization", std::string("?")));
  fmt::print("context       {} tokens (prefill chunk {})\n",
             meta.value("context_window_size", int64_t{-1}),
             meta.value("prefill_chunk_size", int64_t{-1}));
  const nlohmann::json params = meta.value("params", nlohmann::json::array());
  fmt::print("parameters    {} tensors\n", params.size());
  for (const auto& p : params) {
    fmt::print("  {:<48} {:<16} {}\n", p.value("name", std::string("?")),
               shape_text(p.value("shape", nlohmann::json::array())),
               p.value("dtype", std::string("?")));
  }
  const nlohmann::json memory = meta.value("memory", nlohmann::json::object());
  fmt::print("memory        weights {}, KV cache {}, workspace {}, state {}\n",
             bytes_text(memory, "weight_bytes"), bytes_text(memory, "kv_cache_bytes"),
             bytes_text(memory, "workspace_bytes"), bytes_text(memory, "state_bytes"));
}

// A compiled model library: the metadata of every descriptor in it.
Status run_inspect_library(const InspectOptions& options) {
  AAE_ASSIGN_OR_RETURN(std::vector<ModelLibEntry> entries, list_model_libs(options.model_dir));
  if (entries.empty()) {
    return Error(fmt::format("'{}' holds no model library (no *___aae_model_lib symbol)",
                             options.model_dir),
                 "pass a .so, .a or .o written by sphere_aae compile, or a model directory");
  }
  std::vector<nlohmann::json> metadata;
  for (const auto& entry : entries) {
    auto parsed = nlohmann::json::parse(entry.metadata_json, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      return Error(fmt::format("{}: the metadata of \"{}\" is not a JSON object",
                               entry.object_label, entry.model_lib),
                   "the library is damaged or was not written by sphere_aae compile");
    }
    metadata.push_back(std::move(parsed));
  }
  if (options.json) {
    nlohmann::ordered_json out;
    out["library"] = options.model_dir;
    nlohmann::ordered_json libs = nlohmann::ordered_json::array();
    for (size_t i = 0; i < entries.size(); ++i) {
      libs.push_back({{"model_lib", entries[i].model_lib},
                      {"member", entries[i].member},
                      {"format", object_format_name(entries[i].format)},
                      {"arch", entries[i].architecture},
                      {"shared_object", entries[i].shared_object},
                      {"metadata", metadata[i]}});
    }
    out["model_libs"] = libs;
    fmt::print("{}\n", out.dump(2));
    return ok_status();
  }
  fmt::print("library       {}: {} model librar{}\n", options.model_dir, entries.size(),
             entries.size() == 1 ? "y" : "ies");
  for (size_t i = 0; i < entries.size(); ++i) {
    fmt::print("\n");
    print_model_lib_text(entries[i], metadata[i]);
  }
  return ok_status();
}

Status run_inspect(const InspectOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_regular_file(options.model_dir, ec)) return run_inspect_library(options);
  if (!fs::is_directory(options.model_dir, ec)) {
    return Error("'" + options.model_dir + "' is not a directory",
                 "pass the folder that holds tensor-cache.json (a converted model), or a "
                 "compiled model library (.so, .a, .o)");
  }

  // The chat config is optional for inspection: a weights-only folder is still worth describing.
  Result<ChatConfig> chat = read_chat_config(options.model_dir);
  AAE_ASSIGN_OR_RETURN(TensorCache cache, read_tensor_cache(options.model_dir));

  const QuantizationSpec* spec = chat.ok() ? find_quantization(chat->quantization) : nullptr;
  int64_t tensors = 0, stored_bytes = 0;
  for (const auto& shard : cache.shards) {
    tensors += static_cast<int64_t>(shard.records.size());
    stored_bytes += shard.nbytes;
  }
  const int64_t parameters = original_parameters(cache, spec);

  std::vector<std::string> problems;
  Status files = check_shard_files(cache, options.model_dir, options.verify, &problems);
  if (chat.ok()) {
    for (const auto& file : chat->tokenizer_files) {
      if (!fs::exists(fs::path(options.model_dir) / file, ec))
        problems.push_back(file + ": listed in tokenizer_files but missing");
    }
  }

  if (options.json) {
    nlohmann::ordered_json out;
    out["model_dir"] = options.model_dir;
    out["chat_config"] = chat.ok() ? nlohmann::json(chat->file_name) : nlohmann::json(nullptr);
    out["model_type"] = chat.ok() ? nlohmann::json(chat->model_type) : nlohmann::json(nullptr);
    out["quantization"] = chat.ok() ? nlohmann::json(chat->quantization) : nlohmann::json(nullptr);
    out["tensor_cache"] = cache.file_name;
    out["tensors"] = tensors;
    out["parameters"] = spec ? nlohmann::json(parameters) : nlohmann::json(nullptr);
    out["stored_bytes"] = stored_bytes;
    out["bits_per_parameter"] = spec && parameters ? nlohmann::json(8.0 * stored_bytes / parameters)
                                                   : nlohmann::json(nullptr);
    nlohmann::ordered_json shards = nlohmann::json::array();
    for (const auto& shard : cache.shards) {
      shards.push_back({{"file", shard.data_path},
                        {"nbytes", shard.nbytes},
                        {"tensors", shard.records.size()},
                        {"md5sum", shard.md5sum}});
    }
    out["shards"] = shards;
    out["verified_md5"] = options.verify;
    out["problems"] = problems;
    out["ok"] = problems.empty();
    fmt::print("{}\n", out.dump(2));
  } else {
    fmt::print("model dir     {}\n", options.model_dir);
    if (chat.ok()) {
      fmt::print("chat config   {}\n", chat->file_name);
      fmt::print("architecture  {}\n", chat->model_type);
      fmt::print("quantization  {}\n", chat->quantization);
      fmt::print("vocab size    {}\n", chat->vocab_size);
      fmt::print("context       {} tokens (prefill chunk {})\n", chat->context_window_size,
                 chat->prefill_chunk_size);
    } else {
      fmt::print("chat config   none ({})\n", chat.error().to_string());
    }
    fmt::print("tensor cache  {}: {} tensors in {} shard{}\n", cache.file_name, tensors,
               cache.shards.size(), cache.shards.size() == 1 ? "" : "s");
    if (spec) {
      fmt::print("parameters    {} ({:.2f} M)\n", parameters, parameters / 1e6);
      fmt::print("stored        {} ({} bytes, {:.2f} bits/parameter)\n", human_bytes(stored_bytes),
                 stored_bytes, parameters ? 8.0 * stored_bytes / parameters : 0.0);
    } else {
      fmt::print("parameters    unknown without a chat config naming the quantization\n");
      fmt::print("stored        {} ({} bytes)\n", human_bytes(stored_bytes), stored_bytes);
    }
    for (const auto& shard : cache.shards) {
      fmt::print("  {:<22} {:>12} bytes  {:>4} tensors  md5 {}\n", shard.data_path, shard.nbytes,
                 shard.records.size(), shard.md5sum.empty() ? "-" : shard.md5sum);
    }
    if (problems.empty()) {
      fmt::print("{}\n", options.verify ? "verified: every shard has its size and md5sum"
                                        : "files present with the right sizes (use --verify to check md5sums)");
    }
  }

  if (!problems.empty()) {
    Error error(fmt::format("{} problem{} in '{}'", problems.size(), problems.size() == 1 ? "" : "s",
                            options.model_dir),
                "re-download or re-convert the model; 'sphere_aae inspect --verify' also checks md5sums");
    for (const auto& problem : problems) error.add_cause(problem);
    return error;
  }
  return files;
}

}  // namespace

CommandRunner setup_inspect(CLI::App& app) {
  auto options = std::make_shared<InspectOptions>();
  app.add_option("DIR", options->model_dir,
                 "model directory (tensor-cache.json, chat config, shards), or a compiled "
                 "model library (.so, .a, .o) of any device")
      ->required();
  app.add_flag("--verify", options->verify, "check every shard's md5sum, not only its size");
  app.add_flag("--json", options->json, "print a JSON report for machines");
  return [options] { return run_inspect(*options); };
}

}  // namespace aae::cli
