// The JSON sidecar of a JIT cache entry (<home>/model_lib/<key>.json): what the library was
// built from, when, and how long it took. Read back to decide hits, list the cache and explain
// misses. Format: docs/jit-cache.md.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "compiler/jit_cache.h"
#include "runtime/base/status.h"

namespace aae {

struct SidecarInfo {
  std::string key;
  JitKeyInputs inputs;
  std::string model_dir;    // informational: where the config came from
  std::string source_dir;   // informational: the model-library sources used
  double compile_seconds = 0;
};

// The sidecar text (indented JSON, "created" = now in UTC, ISO 8601).
std::string sidecar_json_text(const SidecarInfo& info);

// The parsed sidecar of `key`; errors when absent, unreadable or not naming `key`.
Result<nlohmann::json> read_sidecar(const std::filesystem::path& home, const std::string& key);

// True when <key><kind> is a regular file and the sidecar names the same key and library.
bool is_complete_entry(const std::filesystem::path& home, const std::string& key,
                       std::string_view kind);

// One line on why `key` is a miss: which inputs differ from a cached entry for the same
// model_lib, target and kind, or that there is none.
std::string describe_miss(const std::filesystem::path& home, const std::string& key,
                          const JitKeyInputs& inputs);

}  // namespace aae
