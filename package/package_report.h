// What `sphere_aae package` did, or with --dry-run would do: per model where it comes from,
// which library it gets (and whether that was a cache hit, with the reason for a miss), what is
// bundled and copied, and the memory it needs; then the archive, the runtime and the totals.
// Printed as text for people and as JSON (--json) for scripts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "package/output_stage.h"

namespace aae {

struct ModelMemory {
  int64_t weight_bytes = 0;
  int64_t kv_cache_bytes = 0;
  int64_t workspace_bytes = 0;  // everything in the state besides the KV cache
  int64_t total() const { return weight_bytes + kv_cache_bytes + workspace_bytes; }
};

struct ModelReport {
  std::string model_id;
  std::string model;          // as written in the config
  std::string source;         // "local" or "hub"
  std::string model_dir;      // where the weights are (empty: not downloaded yet, dry run)
  std::string download;       // "local", "cached", "downloaded", "needed"
  int64_t download_bytes = 0;  // shard bytes a download fetches ("needed" in a dry run)
  std::string model_lib;
  std::string library_origin;  // "prebuilt" or "jit"
  std::string library_path;    // empty when it would still be compiled
  std::string library_cache;   // "hit", "miss" (dry run), "compiled"; "" for prebuilt
  std::string miss_reason;
  double compile_seconds = 0;
  bool bundle_weight = false;
  int64_t bundle_files = 0;
  int64_t bundle_bytes = 0;
  int64_t bundle_bytes_to_copy = 0;  // 0 when everything is unchanged since the last run
  int64_t estimated_vram_bytes = 0;
  bool memory_known = false;
  ModelMemory memory;
};

struct PackageReport {
  bool dry_run = false;
  std::string device;
  std::string config_path;
  std::string output_dir;
  std::string jit_policy;
  std::vector<ModelReport> models;
  std::string archive;                   // dist/lib/libmodel_<device>.a
  std::string archive_status;            // "built", "unchanged", "would build"
  std::vector<std::string> archive_model_libs;
  std::string runtime_status;            // "built", "cached", "skipped", "would build", "cached (dry run)"
  std::string runtime_toolchain;
  double runtime_seconds = 0;
  PlacementStats files;                  // what placing the output did
  std::vector<std::string> warnings;     // memory warnings and notes from the run
  double seconds = 0;
};

nlohmann::ordered_json package_report_json(const PackageReport& report);

// The human summary: one block per model, then archive, runtime, files, totals.
std::string package_report_text(const PackageReport& report);

}  // namespace aae
