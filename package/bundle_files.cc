#include "package/bundle_files.h"

#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "runtime/format/chat_config.h"
#include "runtime/format/tensor_cache.h"

namespace aae {

namespace fs = std::filesystem;

namespace {

// Files the runtime's tokenizer loader reads (Tokenizer::from_dir), bundled whenever present
// even if an older chat config does not list them.
constexpr const char* kTokenizerFiles[] = {"tokenizer.json", "vocab.json", "merges.txt",
                                           "added_tokens.json", "tokenizer_config.json",
                                           "tokenizer.model"};

}  // namespace

Result<std::vector<BundleFile>> model_bundle_files(const std::string& model_dir) {
  auto chat = read_chat_config(model_dir);
  if (!chat.ok()) {
    return std::move(chat).error().context(
        fmt::format("{} is not a converted model directory", model_dir),
        "convert it first: sphere_aae convert_weight, then sphere_aae gen_config");
  }
  auto cache = read_tensor_cache(model_dir);
  if (!cache.ok()) {
    return std::move(cache).error().context(
        fmt::format("bundle_weight needs the weights, but {} has none", model_dir),
        "run sphere_aae convert_weight into that directory, or set \"bundle_weight\": false "
        "for a model the app downloads");
  }
  std::vector<std::string> problems;
  if (!check_shard_files(*cache, model_dir, /*verify_md5=*/false, &problems).ok()) {
    Error error(fmt::format("the weights in {} are incomplete", model_dir),
                "convert or download the model again");
    for (const auto& problem : problems) error.add_cause(problem);
    return error;
  }

  std::vector<BundleFile> files;
  std::set<std::string> seen;
  auto add = [&](const std::string& name) -> Status {
    if (!seen.insert(name).second) return Status();
    std::error_code ec;
    const auto size = fs::file_size(fs::path(model_dir) / name, ec);
    if (ec) {
      return Error(fmt::format("{}: cannot read {}: {}", model_dir, name, ec.message()));
    }
    files.push_back({name, static_cast<int64_t>(size)});
    return Status();
  };
  for (const auto name : {kAaeChatConfigFile, kMlcChatConfigFile}) {
    if (fs::exists(fs::path(model_dir) / name)) AAE_TRY(add(std::string(name)));
  }
  AAE_TRY(add(cache->file_name));
  for (const auto& listed : chat->tokenizer_files) {
    if (!fs::exists(fs::path(model_dir) / listed)) {
      return Error(fmt::format("{}: {} lists tokenizer file \"{}\", which is missing", model_dir,
                               chat->file_name, listed),
                   "rerun sphere_aae gen_config to copy the tokenizer files");
    }
    AAE_TRY(add(listed));
  }
  for (const char* name : kTokenizerFiles) {
    if (fs::exists(fs::path(model_dir) / name)) AAE_TRY(add(name));
  }
  for (const auto& shard : cache->shards) AAE_TRY(add(shard.data_path));
  return files;
}

}  // namespace aae
