#include "hub/hub_config.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string_view>

#include "runtime/base/aae_home.h"

namespace aae::hub {
namespace {

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : std::string();
}

bool valid_name(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

std::string strip_trailing_slashes(std::string text) {
  while (!text.empty() && text.back() == '/') text.pop_back();
  return text;
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  }
  return true;
}

Error bad_url(const std::string& url, const std::string& why) {
  return Error("invalid model url '" + url + "': " + why,
               "use HF://org/repo, HF://org/repo@revision or https://huggingface.co/org/repo");
}

// "org/repo" followed by nothing, "@rev" (HF form) or "/tree/rev" (web form).
Result<ModelRef> parse_path(const std::string& url, std::string path, bool hf_scheme) {
  path = strip_trailing_slashes(path);
  ModelRef ref;
  if (hf_scheme) {
    auto at = path.find('@');
    if (at != std::string::npos) {
      ref.revision = path.substr(at + 1);
      ref.pinned = true;
      path = path.substr(0, at);
    }
  }
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  if (!hf_scheme && parts.size() == 4 && parts[2] == "tree") {
    ref.revision = parts[3];
    ref.pinned = true;
    parts.resize(2);
  }
  if (parts.size() != 2) return bad_url(url, "expected exactly org/repo after the host");
  ref.org = parts[0];
  ref.repo = parts[1];
  if (!valid_name(ref.org)) return bad_url(url, "bad organisation name '" + ref.org + "'");
  if (!valid_name(ref.repo)) return bad_url(url, "bad repository name '" + ref.repo + "'");
  if (!valid_name(ref.revision)) return bad_url(url, "bad revision '" + ref.revision + "'");
  return ref;
}

std::string pinned_suffix(const ModelRef& ref) { return ref.pinned ? "@" + ref.revision : ""; }

}  // namespace

std::string ModelRef::display() const { return org + "/" + repo + pinned_suffix(*this); }

Result<ModelRef> parse_model_url(const std::string& url, const std::string& endpoint) {
  if (starts_with_nocase(url, "hf://")) return parse_path(url, url.substr(5), true);
  for (std::string base : {std::string(kDefaultEndpoint), strip_trailing_slashes(endpoint)}) {
    if (base.empty()) continue;
    base += "/";
    if (starts_with_nocase(url, base)) return parse_path(url, url.substr(base.size()), false);
  }
  return bad_url(url, "not an HF:// url nor a url on " + std::string(kDefaultEndpoint) +
                          (endpoint.empty() || endpoint == kDefaultEndpoint ? "" : " or " + endpoint));
}

Result<CachePolicy> parse_cache_policy(const std::string& text) {
  std::string upper = text;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper.empty() || upper == "ON") return CachePolicy::kOn;
  if (upper == "OFF") return CachePolicy::kOff;
  if (upper == "REDO") return CachePolicy::kRedo;
  if (upper == "READONLY") return CachePolicy::kReadOnly;
  return Error("SPHERE_AAE_DOWNLOAD_CACHE_POLICY: unknown value '" + text + "'",
               "use one of ON, OFF, REDO, READONLY");
}

const char* cache_policy_name(CachePolicy policy) {
  switch (policy) {
    case CachePolicy::kOn: return "ON";
    case CachePolicy::kOff: return "OFF";
    case CachePolicy::kRedo: return "REDO";
    case CachePolicy::kReadOnly: return "READONLY";
  }
  return "ON";
}

Result<HubEnvironment> hub_environment_from_env() {
  HubEnvironment env;
  std::string endpoint = strip_trailing_slashes(env_or_empty("HF_ENDPOINT"));
  if (!endpoint.empty()) {
    if (!starts_with_nocase(endpoint, "http://") && !starts_with_nocase(endpoint, "https://")) {
      return Error("HF_ENDPOINT: '" + endpoint + "' is not an http(s) url",
                   "e.g. HF_ENDPOINT=https://hf-mirror.com");
    }
    env.endpoint = endpoint;
  }
  env.token = env_or_empty("HF_TOKEN");
  AAE_ASSIGN_OR_RETURN(env.home, aae_home_from_env());
  AAE_ASSIGN_OR_RETURN(env.policy, parse_cache_policy(env_or_empty("SPHERE_AAE_DOWNLOAD_CACHE_POLICY")));
  std::string roots = env_or_empty("SPHERE_AAE_READONLY_WEIGHT_CACHE");
  size_t start = 0;
  while (start < roots.size()) {
    auto colon = roots.find(':', start);
    if (colon == std::string::npos) colon = roots.size();
    if (colon > start) env.readonly_roots.emplace_back(roots.substr(start, colon - start));
    start = colon + 1;
  }
  return env;
}

std::filesystem::path model_cache_dir(const std::filesystem::path& home, const ModelRef& ref) {
  return home / "model_weights" / "hf" / ref.org / (ref.repo + pinned_suffix(ref));
}

std::filesystem::path readonly_cache_dir(const std::filesystem::path& root, const ModelRef& ref) {
  return root / "hf" / ref.org / (ref.repo + pinned_suffix(ref));
}

std::filesystem::path staging_dir(const std::filesystem::path& home, const ModelRef& ref) {
  return home / "model_weights" / ".staging" / (ref.org + "--" + ref.repo + pinned_suffix(ref));
}

std::filesystem::path lock_file_path(const std::filesystem::path& home, const ModelRef& ref) {
  return home / "model_weights" / ".locks" /
         (ref.org + "--" + ref.repo + pinned_suffix(ref) + ".lock");
}

}  // namespace aae::hub
