#include "hub/download.h"

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "hub/download_progress.h"
#include "hub/model_cache.h"
#include "runtime/base/file_util.h"
#include "runtime/format/chat_config.h"
#include "runtime/format/tensor_cache.h"

namespace aae::hub {
namespace fs = std::filesystem;
namespace {

long env_number(const char* name, long fallback) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  return (end && *end == '\0' && value >= 0) ? value : fallback;
}

void note(const DownloadOptions& options, const std::string& line) {
  if (options.log) std::fprintf(options.log, "%s\n", line.c_str());
}

// File names from the repo's JSON become paths in our cache: allow plain names only.
Status check_plain_name(const std::string& name, const std::string& where) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\\') != std::string::npos) {
    return Error(where + ": file name '" + name + "' is not a plain file name");
  }
  return ok_status();
}

struct RepoFetcher {
  const DownloadOptions& options;
  const ModelRef& ref;
  TransferOptions transfer;
  fs::path staging;

  std::string url_of(const std::string& name) const {
    return options.env.endpoint + "/" + ref.org + "/" + ref.repo + "/resolve/" + ref.revision +
           "/" + name;
  }

  // A small file's bytes, or nullopt when the hub says 404.
  Result<std::optional<std::string>> small(const std::string& name) const {
    AAE_ASSIGN_OR_RETURN(FetchResult got, fetch_to_memory(transfer, url_of(name)));
    if (got.status == 200) return std::optional<std::string>(std::move(got.body));
    if (got.status == 404) return std::optional<std::string>();
    if (got.status == 401 || got.status == 403) {
      return Error(ref.display() + ": the hub refused " + name + " (HTTP " +
                       std::to_string(got.status) + ")",
                   "the repository may be private or gated: set HF_TOKEN to a token with access");
    }
    return Error(ref.display() + ": fetching " + name + " failed with HTTP " +
                 std::to_string(got.status));
  }

  // The first of `names` the repo has, saved into staging. Returns its name and bytes.
  Result<std::optional<std::pair<std::string, std::string>>> first_of(
      std::initializer_list<std::string_view> names) const {
    for (std::string_view name : names) {
      AAE_ASSIGN_OR_RETURN(auto bytes, small(std::string(name)));
      if (!bytes) continue;
      AAE_TRY(write_file_atomic((staging / name).string(), *bytes));
      return std::optional(std::make_pair(std::string(name), std::move(*bytes)));
    }
    return std::optional<std::pair<std::string, std::string>>();
  }

  // Downloads one shard to <name>.part, verifies it, renames it to <name> inside staging.
  Status shard(const ShardRecord& record, std::atomic<int64_t>* counter) const {
    fs::path part = staging / (record.data_path + ".part");
    fs::path done = staging / record.data_path;
    AAE_ASSIGN_OR_RETURN(FetchResult got, fetch_to_file(transfer, url_of(record.data_path), part, counter));
    if (got.status != 200 && got.status != 206) {
      return Error(ref.display() + ": " + record.data_path + " is listed in the tensor cache but "
                   "the hub answered HTTP " + std::to_string(got.status));
    }
    FileDigests digests;
    if (got.sha256.empty()) {  // the md5 was computed while the bytes streamed in
      std::error_code size_ec;
      digests.size = static_cast<int64_t>(fs::file_size(part, size_ec));
      if (size_ec) return Error("cannot stat " + part.string() + ": " + size_ec.message());
      digests.md5 = got.md5;
    } else {
      AAE_ASSIGN_OR_RETURN(digests, digest_file(part, true));
    }
    std::string problem;
    if (digests.size != record.nbytes) {
      problem = "size: expected " + std::to_string(record.nbytes) + " bytes, got " +
                std::to_string(digests.size);
    } else if (!record.md5sum.empty() && digests.md5 != record.md5sum) {
      problem = "md5: expected " + record.md5sum + ", got " + digests.md5;
    } else if (!got.sha256.empty() && digests.sha256 != got.sha256) {
      problem = "sha256: the hub announced " + got.sha256 + ", got " + digests.sha256;
    }
    if (!problem.empty()) {
      std::error_code ec;
      fs::remove(part, ec);  // never keep (or resume) bytes we know are wrong
      return Error(ref.display() + ": downloaded " + record.data_path + " is corrupt (" + problem + ")",
                   "the bytes were discarded; rerun to download the file again");
    }
    std::error_code ec;
    fs::rename(part, done, ec);
    if (ec) return Error("cannot rename " + part.string() + ": " + ec.message());
    return ok_status();
  }
};

Status download_into(const DownloadOptions& options, const ModelRef& ref, const fs::path& staging) {
  std::error_code ec;
  fs::create_directories(staging, ec);
  if (ec) return Error("cannot create " + staging.string() + ": " + ec.message());
  RepoFetcher fetcher{options, ref, options.transfer, staging};
  fetcher.transfer.endpoint = options.env.endpoint;
  fetcher.transfer.token = options.env.token;

  // Small files first: a repository that is not a converted model fails here, before any shard.
  AAE_ASSIGN_OR_RETURN(auto config_file, fetcher.first_of({kAaeChatConfigFile, kMlcChatConfigFile}));
  if (!config_file) {
    return Error(ref.display() + " is not a converted model (no " + std::string(kAaeChatConfigFile) +
                     " nor " + std::string(kMlcChatConfigFile) + " at revision " + ref.revision + ")",
                 "download the original weights and convert them with `sphere_aae convert_weight` "
                 "and `sphere_aae gen_config`");
  }
  AAE_ASSIGN_OR_RETURN(ChatConfig config, parse_chat_config(config_file->second, config_file->first));
  if (options.check_chat_config) {
    AAE_TRY(options.check_chat_config(config_file->first, config_file->second));
  }
  // Shards left in staging by an interrupted run are reused only if they belong to the same
  // tensor cache (the branch may have moved since).
  std::string previous_index;
  for (std::string_view name : {kTensorCacheFile, kLegacyTensorCacheFile}) {
    if (auto bytes = read_file((staging / name).string()); bytes.ok()) previous_index = *bytes;
  }
  AAE_ASSIGN_OR_RETURN(auto cache_file, fetcher.first_of({kTensorCacheFile, kLegacyTensorCacheFile}));
  if (!cache_file) {
    return Error(ref.display() + " is not a converted model (no " + std::string(kTensorCacheFile) + ")",
                 "convert the weights with `sphere_aae convert_weight`");
  }
  AAE_ASSIGN_OR_RETURN(TensorCache cache, parse_tensor_cache(cache_file->second, cache_file->first));
  if (!previous_index.empty() && previous_index != cache_file->second) {
    for (const auto& entry : fs::directory_iterator(staging, ec)) {
      std::string name = entry.path().filename().string();
      if (name != config_file->first && name != cache_file->first) fs::remove_all(entry.path(), ec);
    }
    ec.clear();
  }
  for (const std::string& name : config.tokenizer_files) {
    AAE_TRY(check_plain_name(name, config.file_name + ": tokenizer_files"));
    AAE_ASSIGN_OR_RETURN(auto bytes, fetcher.small(name));
    if (!bytes) return Error(ref.display() + ": tokenizer file " + name + " is listed but absent");
    AAE_TRY(write_file_atomic((staging / name).string(), *bytes));
  }

  std::vector<const ShardRecord*> todo;
  int64_t total = 0, already = 0;
  for (const ShardRecord& shard : cache.shards) {
    AAE_TRY(check_plain_name(shard.data_path, cache.file_name + ": data_path"));
    total += shard.nbytes;
    // A shard renamed into staging by an earlier (interrupted) run was verified before.
    if (static_cast<int64_t>(fs::file_size(staging / shard.data_path, ec)) == shard.nbytes && !ec) {
      already += shard.nbytes;
      continue;
    }
    ec.clear();
    auto part_size = fs::file_size(staging / (shard.data_path + ".part"), ec);
    if (!ec) already += static_cast<int64_t>(part_size);
    ec.clear();
    todo.push_back(&shard);
  }

  std::mutex mutex;
  std::vector<Error> errors;
  std::atomic<size_t> next{0};
  {
    DownloadProgress progress(options.log, ref.display(), total);
    progress.counter() = already;
    auto worker = [&] {
      for (size_t i = next++; i < todo.size(); i = next++) {
        {
          std::lock_guard<std::mutex> lock(mutex);
          if (!errors.empty()) return;  // stop starting new shards after a failure
        }
        Status status = fetcher.shard(*todo[i], &progress.counter());
        if (!status.ok()) {
          std::lock_guard<std::mutex> lock(mutex);
          errors.push_back(std::move(status).error());
        }
      }
    };
    std::vector<std::thread> threads;
    int count = std::max(1, std::min<int>(options.parallel_files, static_cast<int>(todo.size())));
    for (int i = 0; i < count; ++i) threads.emplace_back(worker);
    for (auto& thread : threads) thread.join();
  }
  if (!errors.empty()) {
    Error first = errors.front();
    for (size_t i = 1; i < errors.size(); ++i) first.add_cause("also: " + errors[i].to_string());
    return first;
  }
  return ok_status();
}

Result<fs::path> find_cached(const DownloadOptions& options, const ModelRef& ref, Error* why) {
  std::vector<fs::path> candidates;
  for (const fs::path& root : options.env.readonly_roots) candidates.push_back(readonly_cache_dir(root, ref));
  candidates.push_back(model_cache_dir(options.env.home, ref));
  for (const fs::path& dir : candidates) {
    Status status = check_cached_model(dir, options.verify);
    if (status.ok()) return dir;
    why->add_cause(status.error().to_string());
  }
  return *why;
}

}  // namespace

Result<DownloadOptions> download_options_from_env() {
  DownloadOptions options;
  AAE_ASSIGN_OR_RETURN(options.env, hub_environment_from_env());
  options.transfer.initial_backoff =
      std::chrono::milliseconds(env_number("SPHERE_AAE_DOWNLOAD_BACKOFF_MS", 1000));
  options.transfer.stall_timeout_s = env_number("SPHERE_AAE_DOWNLOAD_STALL_TIMEOUT_S", 30);
  options.transfer.max_attempts = static_cast<int>(env_number("SPHERE_AAE_DOWNLOAD_MAX_ATTEMPTS", 6));
  options.parallel_files = static_cast<int>(env_number("SPHERE_AAE_DOWNLOAD_PARALLEL", 4));
  return options;
}

Result<fs::path> get_or_download_model(const std::string& url, const DownloadOptions& options) {
  AAE_ASSIGN_OR_RETURN(ModelRef ref, parse_model_url(url, options.env.endpoint));
  const CachePolicy policy = options.env.policy;
  if (policy != CachePolicy::kRedo) {
    Error why("no usable cached copy of " + ref.display());
    auto cached = find_cached(options, ref, &why);
    if (cached.ok()) {
      note(options, "using cached " + ref.display() + (options.verify ? " (verified)" : ""));
      return cached;
    }
    if (policy == CachePolicy::kOff || policy == CachePolicy::kReadOnly) {
      return why.with_hint(std::string("SPHERE_AAE_DOWNLOAD_CACHE_POLICY=") + cache_policy_name(policy) +
                           " forbids downloading; use ON, or fill the cache (or "
                           "SPHERE_AAE_READONLY_WEIGHT_CACHE roots) first");
    }
  }
  const fs::path final_dir = model_cache_dir(options.env.home, ref);
  AAE_ASSIGN_OR_RETURN(RepoLock lock, RepoLock::acquire(lock_file_path(options.env.home, ref)));
  // Another process may have finished the same download while we waited for the lock.
  if (policy != CachePolicy::kRedo && check_cached_model(final_dir, options.verify).ok()) {
    note(options, "another process downloaded " + ref.display() + " meanwhile");
    return final_dir;
  }
  const fs::path staging = staging_dir(options.env.home, ref);
  if (policy == CachePolicy::kRedo) {
    std::error_code ec;
    fs::remove_all(staging, ec);  // REDO trusts nothing on disk, partial files included
  }
  Status status = download_into(options, ref, staging);
  if (!status.ok()) {
    return Error(std::move(status).error())
        .context("cannot download " + ref.display() + " from " + options.env.endpoint);
  }
  Status complete = check_cached_model(staging, false);
  if (!complete.ok()) return Error(std::move(complete).error()).context("download of " + ref.display() + " is incomplete");
  AAE_TRY(promote_directory(staging, final_dir));
  note(options, "downloaded " + ref.display() + " into " + final_dir.string());
  return final_dir;
}

Result<RemoteModelIndex> fetch_model_index(const std::string& url,
                                           const DownloadOptions& options) {
  AAE_ASSIGN_OR_RETURN(ModelRef ref, parse_model_url(url, options.env.endpoint));
  RepoFetcher fetcher{options, ref, options.transfer, fs::path()};
  fetcher.transfer.endpoint = options.env.endpoint;
  fetcher.transfer.token = options.env.token;
  RemoteModelIndex index;
  for (std::string_view name : {kAaeChatConfigFile, kMlcChatConfigFile}) {
    AAE_ASSIGN_OR_RETURN(auto bytes, fetcher.small(std::string(name)));
    if (!bytes) continue;
    index.chat_config_file = std::string(name);
    index.chat_config_text = std::move(*bytes);
    break;
  }
  if (index.chat_config_file.empty()) {
    return Error(ref.display() + " is not a converted model (no " +
                 std::string(kAaeChatConfigFile) + " nor " + std::string(kMlcChatConfigFile) +
                 " at revision " + ref.revision + ")");
  }
  for (std::string_view name : {kTensorCacheFile, kLegacyTensorCacheFile}) {
    AAE_ASSIGN_OR_RETURN(auto bytes, fetcher.small(std::string(name)));
    if (!bytes) continue;
    AAE_ASSIGN_OR_RETURN(TensorCache cache, parse_tensor_cache(*bytes, ref.display() + "/" +
                                                                           std::string(name)));
    for (const auto& shard : cache.shards) {
      index.weight_bytes += shard.nbytes;
      ++index.shard_count;
    }
    return index;
  }
  return Error(ref.display() + " is not a converted model (no " +
               std::string(kTensorCacheFile) + ")");
}

}  // namespace aae::hub
