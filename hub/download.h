// HF:// model downloads into the weight cache (docs/download.md). The public entry point for
// `sphere_aae download` and, later, `sphere_aae package`.
#pragma once

#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "hub/hub_config.h"
#include "hub/http_fetch.h"
#include "runtime/base/status.h"

namespace aae::hub {

struct DownloadOptions {
  HubEnvironment env;          // endpoint, token, cache home, policy, read-only roots
  TransferOptions transfer;    // retries and timeouts; endpoint/token are taken from env
  bool verify = false;         // check a cache hit's md5s too, not only sizes
  int parallel_files = 4;      // shards fetched at once
  std::FILE* log = stderr;     // progress and notes; null for silence
  // Called with the chat config's file name and text right after it is fetched, before the
  // tensor cache and any shard; an error stops the download (e.g. `package` refusing a model
  // whose architecture it cannot build, without downloading gigabytes first). May be empty.
  std::function<Status(const std::string& file_name, std::string_view text)> check_chat_config;
};

// Options from the environment: hub_environment_from_env() plus test/tuning knobs
// SPHERE_AAE_DOWNLOAD_BACKOFF_MS, SPHERE_AAE_DOWNLOAD_STALL_TIMEOUT_S,
// SPHERE_AAE_DOWNLOAD_MAX_ATTEMPTS, SPHERE_AAE_DOWNLOAD_PARALLEL.
Result<DownloadOptions> download_options_from_env();

// Returns a complete local model directory for `url`: a cache hit (checked cheaply, or fully
// with options.verify) or a fresh, verified download promoted atomically into the cache.
Result<std::filesystem::path> get_or_download_model(const std::string& url,
                                                    const DownloadOptions& options);

// What a hub model holds, read without writing anything (for plans and dry runs): its chat
// config and tensor cache, fetched into memory.
struct RemoteModelIndex {
  std::string chat_config_file;  // "sphere-aae-chat-config.json" or "mlc-chat-config.json"
  std::string chat_config_text;
  int64_t weight_bytes = 0;      // the shards' bytes (what a download fetches, roughly all of it)
  int64_t shard_count = 0;
};
Result<RemoteModelIndex> fetch_model_index(const std::string& url,
                                           const DownloadOptions& options);

}  // namespace aae::hub
