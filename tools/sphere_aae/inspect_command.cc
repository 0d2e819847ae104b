// sphere_aae inspect DIR [--verify] [--json]: what a model directory holds, and whether its
// shards are intact. Exit 1 names every missing or damaged file.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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

Status run_inspect(const InspectOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(options.model_dir, ec)) {
    return Error("'" + options.model_dir + "' is not a directory",
                 "pass the folder that holds tensor-cache.json (a converted model)");
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
  app.add_option("DIR", options->model_dir, "model directory (tensor-cache.json, chat config, shards)")
      ->required();
  app.add_flag("--verify", options->verify, "check every shard's md5sum, not only its size");
  app.add_flag("--json", options->json, "print a JSON report for machines");
  return [options] { return run_inspect(*options); };
}

}  // namespace aae::cli
