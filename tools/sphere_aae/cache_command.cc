// sphere_aae cache list [--json] | cache clean [HF://org/repo[@rev] ...] [--all] [--dry-run]:
// inspect and prune the local weight cache (docs/download.md "Managing the cache").
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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

// {"root": ..., "weights": [...]}; further caches (model libraries) become sibling arrays.
nlohmann::ordered_json inventory_json(const std::filesystem::path& home,
                                      const std::vector<hub::CacheEntry>& entries) {
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
  return out;
}

Status run_list(bool as_json) {
  AAE_ASSIGN_OR_RETURN(hub::HubEnvironment env, hub::hub_environment_from_env());
  AAE_ASSIGN_OR_RETURN(std::vector<hub::CacheEntry> entries, hub::list_weight_cache(env.home));
  if (as_json) {
    std::printf("%s\n", inventory_json(env.home, entries).dump(2).c_str());
    return ok_status();
  }
  std::printf("cache root: %s\n", env.home.string().c_str());
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
  std::vector<hub::CacheEntry> doomed;
  if (options.all) {
    doomed = all;
  } else {
    // Resolve every name before removing anything: one typo must not half-apply a command.
    for (const std::string& url : options.models) {
      auto ref = hub::parse_model_url(url, env.endpoint);
      if (!ref.ok()) return Error(ref.error()).context("cannot clean " + url);
      auto found = hub::entries_for_model(all, *ref);
      if (found.empty()) {
        return Error("HF://" + ref->display() + " is not in the weight cache (" +
                         hub::weights_root(env.home).string() + ")",
                     "run 'sphere_aae cache list' to see what is cached");
      }
      doomed.insert(doomed.end(), found.begin(), found.end());
    }
  }
  if (doomed.empty()) {
    std::printf("nothing to clean: no cached model weights in %s\n",
                hub::weights_root(env.home).string().c_str());
    return ok_status();
  }
  int64_t freed = 0;
  const char* verb = options.dry_run ? "would remove" : "removed";
  for (const auto& entry : doomed) {
    if (!options.dry_run) {
      AAE_TRY(hub::remove_cache_entry(env.home, entry, [](const std::string& note) {
        std::fprintf(stderr, "%s\n", note.c_str());
      }));
    }
    std::printf("%s %s\n", verb, describe(entry).c_str());
    std::fflush(stdout);
    freed += entry.bytes;
  }
  std::printf("%s %s (%lld bytes)\n", options.dry_run ? "would free" : "freed",
              human_bytes(freed).c_str(), static_cast<long long>(freed));
  return ok_status();
}

}  // namespace

CommandRunner setup_cache(CLI::App& app) {
  app.require_subcommand(1, 1);
  auto as_json = std::make_shared<bool>(false);
  CLI::App* list = app.add_subcommand("list", "show the cached model weights, their size and state");
  list->add_flag("--json", *as_json, "print {\"root\": ..., \"weights\": [...]} instead of text");

  auto clean_options = std::make_shared<CleanOptions>();
  CLI::App* clean = app.add_subcommand("clean", "remove cached model weights");
  clean->add_option("MODEL", clean_options->models, "HF://org/repo or HF://org/repo@revision to remove");
  clean->add_flag("--all", clean_options->all, "remove every cached model and partial download");
  clean->add_flag("--dry-run", clean_options->dry_run, "only print what would be removed");
  clean->footer(
      "Each model is removed while holding its download lock: a download in progress is waited "
      "for, never deleted under it.");
  clean->callback([clean_options]() {
    if (clean_options->all == clean_options->models.empty()) return;
    throw CLI::ValidationError(clean_options->all
                                   ? "give either --all or model names, not both"
                                   : "name the models to remove (HF://org/repo[@rev] ...) or pass --all");
  });
  app.footer("Environment: SPHERE_AAE_HOME (the cache root).");
  return [list, as_json, clean_options]() -> Status {
    if (list->parsed()) return run_list(*as_json);
    return run_clean(*clean_options);
  };
}

}  // namespace aae::cli
