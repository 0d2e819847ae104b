// sphere_aae cache list [--json] | cache clean [NAME ...] [--all] [--dry-run]: inspect and
// prune the local caches: downloaded weights (docs/download.md "Managing the cache") and
// JIT-compiled model libraries (docs/jit-cache.md). A NAME that is an HF:// or https:// url
// names weights; anything else a model library by model_lib name or cache key.
#include <cctype>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/jit_cache.h"
#include "compiler/jit_cache_inventory.h"
#include "hub/cache_inventory.h"
#include "tools/sphere_aae/command.h"

namespace aae::cli {
namespace {

std::string describe(const hub::CacheEntry& entry) {
  std::string status = entry.kind == hub::CacheEntryKind::kModel
                           ? hub::cache_entry_status_name(entry.status)
                           : (entry.kind == hub::CacheEntryKind::kStaging ? "incomplete download"
                                                                           : "leftover, safe to clean");
  return entry.model_url() + "  " + human_bytes(entry.bytes) + " (" + std::to_string(entry.bytes) +
         " bytes, " + std::to_string(entry.files) + " files)  " + status;
}

std::string describe(const ModelLibCacheEntry& entry) {
  const std::string bytes = human_bytes(entry.bytes) + " (" + std::to_string(entry.bytes) + " bytes)";
  if (entry.status == ModelLibEntryStatus::kLeftover) {
    return "model_lib key " + entry.key + "  " + bytes + "  interrupted compile, safe to clean";
  }
  return (entry.model_lib.empty() ? std::string("(unreadable sidecar)") : entry.model_lib) + " [" +
         entry.device + " " + entry.kind + "] key " + entry.key + "  " + bytes + "  " +
         model_lib_entry_status_name(entry.status) +
         (entry.created.empty() ? "" : "  created " + entry.created);
}

// True when `name` names weights (a model url) rather than a model library.
bool is_model_url(const std::string& name) {
  auto starts = [&](const char* prefix) {
    const std::string p(prefix);
    if (name.size() < p.size()) return false;
    for (size_t i = 0; i < p.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(name[i])) != p[i]) return false;
    }
    return true;
  };
  return starts("hf://") || starts("https://") || starts("http://");
}

// {"root": ..., "weights": [...], "model_libs": [...]}.
nlohmann::ordered_json inventory_json(const std::filesystem::path& home,
                                      const std::vector<hub::CacheEntry>& entries,
                                      const std::vector<ModelLibCacheEntry>& libs) {
  nlohmann::ordered_json out;
  out["root"] = home.string();
  out["weights"] = nlohmann::ordered_json::array();
  for (const auto& entry : entries) {
    nlohmann::ordered_json item;
    item["model"] = entry.model_url();
    item["path"] = entry.path.string();
    item["bytes"] = entry.bytes;
    item["files"] = entry.files;
    item["status"] = hub::cache_entry_status_name(entry.status);
    item["kind"] = hub::cache_entry_kind_name(entry.kind);
    if (entry.ref.pinned) item["revision"] = entry.ref.revision;
    if (!entry.problem.empty()) item["problem"] = entry.problem;
    out["weights"].push_back(std::move(item));
  }
  out["model_libs"] = nlohmann::ordered_json::array();
  for (const auto& lib : libs) {
    nlohmann::ordered_json item;
    item["key"] = lib.key;
    item["model_lib"] = lib.model_lib;
    item["device"] = lib.device;
    item["target"] = lib.target;
    item["kind"] = lib.kind;
    item["path"] = lib.path.string();
    item["bytes"] = lib.bytes;
    item["created"] = lib.created;
    item["status"] = model_lib_entry_status_name(lib.status);
    out["model_libs"].push_back(std::move(item));
  }
  return out;
}

void print_model_libs(const std::filesystem::path& home, const std::vector<ModelLibCacheEntry>& libs) {
  if (libs.empty()) {
    std::printf("no cached model libraries (in %s)\n", model_lib_cache_root(home).string().c_str());
    return;
  }
  int64_t total = 0;
  std::printf("model libraries:\n");
  for (const auto& lib : libs) {
    std::printf("  %s\n    %s\n", describe(lib).c_str(), lib.path.string().c_str());
    total += lib.bytes;
  }
  std::printf("model libraries total: %s (%lld bytes) in %zu entries\n", human_bytes(total).c_str(),
              static_cast<long long>(total), libs.size());
}

Status run_list(bool as_json) {
  AAE_ASSIGN_OR_RETURN(hub::HubEnvironment env, hub::hub_environment_from_env());
  AAE_ASSIGN_OR_RETURN(std::vector<hub::CacheEntry> entries, hub::list_weight_cache(env.home));
  AAE_ASSIGN_OR_RETURN(std::vector<ModelLibCacheEntry> libs, list_model_lib_cache(env.home));
  if (as_json) {
    std::printf("%s\n", inventory_json(env.home, entries, libs).dump(2).c_str());
    return ok_status();
  }
  std::printf("cache root: %s\n", env.home.string().c_str());
  print_model_libs(env.home, libs);
  if (entries.empty()) {
    std::printf("no cached model weights (in %s)\n", hub::weights_root(env.home).string().c_str());
    return ok_status();
  }
  int64_t total = 0;
  std::printf("model weights:\n");
  for (const auto& entry : entries) {
    std::printf("  %s\n    %s\n", describe(entry).c_str(), entry.path.string().c_str());
    if (!entry.problem.empty() && entry.kind == hub::CacheEntryKind::kModel)
      std::printf("    problem: %s\n", entry.problem.c_str());
    total += entry.bytes;
  }
  std::printf("total: %s (%lld bytes) in %zu entries\n", human_bytes(total).c_str(),
              static_cast<long long>(total), entries.size());
  return ok_status();
}

struct CleanOptions {
  std::vector<std::string> models;
  bool all = false;
  bool dry_run = false;
};

Status run_clean(const CleanOptions& options) {
  AAE_ASSIGN_OR_RETURN(hub::HubEnvironment env, hub::hub_environment_from_env());
  AAE_ASSIGN_OR_RETURN(std::vector<hub::CacheEntry> all, hub::list_weight_cache(env.home));
  AAE_ASSIGN_OR_RETURN(std::vector<ModelLibCacheEntry> all_libs, list_model_lib_cache(env.home));
  std::vector<hub::CacheEntry> doomed;
  std::vector<ModelLibCacheEntry> doomed_libs;
  if (options.all) {
    doomed = all;
    doomed_libs = all_libs;
  } else {
    // Resolve every name before removing anything: one typo must not half-apply a command.
    for (const std::string& name : options.models) {
      if (!is_model_url(name)) {
        auto found = model_lib_entries_matching(all_libs, name);
        if (found.empty()) {
          return Error("\"" + name + "\" is neither an HF:// model url nor the model_lib name or key of "
                       "a cached model library (" + model_lib_cache_root(env.home).string() + ")",
                       "run 'sphere_aae cache list' to see what is cached");
        }
        doomed_libs.insert(doomed_libs.end(), found.begin(), found.end());
        continue;
      }
      auto ref = hub::parse_model_url(name, env.endpoint);
      if (!ref.ok()) return Error(ref.error()).context("cannot clean " + name);
      auto found = hub::entries_for_model(all, *ref);
      if (found.empty()) {
        return Error("HF://" + ref->display() + " is not in the weight cache (" +
                         hub::weights_root(env.home).string() + ")",
                     "run 'sphere_aae cache list' to see what is cached");
      }
      doomed.insert(doomed.end(), found.begin(), found.end());
    }
  }
  if (doomed.empty() && doomed_libs.empty()) {
    std::printf("nothing to clean: no cached model weights in %s, no cached model libraries in %s\n",
                hub::weights_root(env.home).string().c_str(),
                model_lib_cache_root(env.home).string().c_str());
    return ok_status();
  }
  int64_t freed = 0;
  const char* verb = options.dry_run ? "would remove" : "removed";
  auto note = [](const std::string& text) { std::fprintf(stderr, "%s\n", text.c_str()); };
  for (const auto& entry : doomed) {
    if (!options.dry_run) AAE_TRY(hub::remove_cache_entry(env.home, entry, note));
    std::printf("%s %s\n", verb, describe(entry).c_str());
    std::fflush(stdout);
    freed += entry.bytes;
  }
  for (const auto& lib : doomed_libs) {
    if (!options.dry_run) AAE_TRY(remove_model_lib_entry(env.home, lib, note));
    std::printf("%s %s\n", verb, describe(lib).c_str());
    std::fflush(stdout);
    freed += lib.bytes;
  }
  std::printf("%s %s (%lld bytes)\n", options.dry_run ? "would free" : "freed",
              human_bytes(freed).c_str(), static_cast<long long>(freed));
  return ok_status();
}

}  // namespace

CommandRunner setup_cache(CLI::App& app) {
  app.require_subcommand(1, 1);
  auto as_json = std::make_shared<bool>(false);
  CLI::App* list = app.add_subcommand(
      "list", "show the cached model weights and model libraries, their size and state");
  list->add_flag("--json", *as_json,
                 "print {\"root\": ..., \"weights\": [...], \"model_libs\": [...]} instead of text");

  auto clean_options = std::make_shared<CleanOptions>();
  CLI::App* clean = app.add_subcommand("clean", "remove cached model weights or model libraries");
  clean->add_option("MODEL", clean_options->models,
                    "HF://org/repo[@revision] (weights), or a model_lib name or cache key (model "
                    "libraries) to remove");
  clean->add_flag("--all", clean_options->all,
                  "remove every cached model, partial download and model library");
  clean->add_flag("--dry-run", clean_options->dry_run, "only print what would be removed");
  clean->footer(
      "Each model is removed while holding its download lock, each model library while holding "
      "its compile lock: work in progress is waited for, never deleted under it.");
  clean->callback([clean_options]() {
    if (clean_options->all == clean_options->models.empty()) return;
    throw CLI::ValidationError(clean_options->all
                                   ? "give either --all or model names, not both"
                                   : "name what to remove (HF://org/repo[@rev], model_lib names or keys) or pass --all");
  });
  app.footer("Environment: SPHERE_AAE_HOME (the cache root: model_weights/, model_lib/).");
  return [list, as_json, clean_options]() -> Status {
    if (list->parsed()) return run_list(*as_json);
    return run_clean(*clean_options);
  };
}

}  // namespace aae::cli
