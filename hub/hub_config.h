// Where a HF:// model comes from and where it lives on disk: URL parsing, the cache layout and
// the environment knobs (docs/download.md).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "runtime/base/status.h"

namespace aae::hub {

inline constexpr const char* kDefaultEndpoint = "https://huggingface.co";

// A model repository on the hub. `pinned` is true when the URL named a revision explicitly.
struct ModelRef {
  std::string org;
  std::string repo;
  std::string revision = "main";
  bool pinned = false;

  // "org/repo" or "org/repo@rev".
  std::string display() const;
};

// Accepts HF://org/repo, HF://org/repo@rev, https://huggingface.co/org/repo[/tree/rev] and
// <endpoint>/org/repo[/tree/rev] (endpoint without a trailing slash, e.g. from HF_ENDPOINT).
Result<ModelRef> parse_model_url(const std::string& url, const std::string& endpoint);

// ON: use the cache, download on a miss. OFF: never touch the network (cached models still
// work). REDO: download again and replace. READONLY: use caches only; a miss is an error.
enum class CachePolicy { kOn, kOff, kRedo, kReadOnly };

// "ON" / "OFF" / "REDO" / "READONLY" (case-insensitive); empty means ON.
Result<CachePolicy> parse_cache_policy(const std::string& text);
const char* cache_policy_name(CachePolicy policy);

// Everything the environment decides.
struct HubEnvironment {
  std::string endpoint = kDefaultEndpoint;  // no trailing slash
  std::string token;                        // HF_TOKEN; never print it
  std::filesystem::path home;               // $SPHERE_AAE_HOME or its default
  CachePolicy policy = CachePolicy::kOn;
  std::vector<std::filesystem::path> readonly_roots;  // layout <root>/hf/<org>/<repo>
};

// Reads HF_ENDPOINT, HF_TOKEN, SPHERE_AAE_HOME (else $XDG_CACHE_HOME/sphere_aae, else
// ~/.cache/sphere_aae), SPHERE_AAE_DOWNLOAD_CACHE_POLICY, SPHERE_AAE_READONLY_WEIGHT_CACHE.
Result<HubEnvironment> hub_environment_from_env();

// <home>/model_weights/hf/<org>/<repo>, or .../<repo>@<rev> for a pinned revision.
std::filesystem::path model_cache_dir(const std::filesystem::path& home, const ModelRef& ref);
// The same directory under a read-only root: <root>/hf/<org>/<repo>[@<rev>].
std::filesystem::path readonly_cache_dir(const std::filesystem::path& root, const ModelRef& ref);
// Per-repo staging dir and lock file, on the same filesystem as the cache dir.
std::filesystem::path staging_dir(const std::filesystem::path& home, const ModelRef& ref);
std::filesystem::path lock_file_path(const std::filesystem::path& home, const ModelRef& ref);

}  // namespace aae::hub
