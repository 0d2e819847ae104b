#include "package/package_runner.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "compiler/model_lib_archive.h"
#include "compiler/system_lib.h"
#include "hub/download.h"
#include "hub/model_cache.h"
#include "package/android_module.h"
#include "package/app_config_writer.h"
#include "package/bundle_files.h"
#include "package/dist_lib.h"
#include "package/model_library.h"
#include "package/model_source.h"
#include "package/output_stage.h"
#include "package/package_config.h"
#include "package/runtime_build.h"
#include "runtime/base/file_util.h"
#include "runtime/base/human_units.h"
#include "runtime/base/md5.h"
#include "runtime/format/chat_config.h"

namespace aae {

namespace fs = std::filesystem;

namespace {

void progress(const PackageOptions& o, const std::string& line) {
  if (o.log == nullptr) return;
  std::fprintf(o.log, "%s\n", line.c_str());
  std::fflush(o.log);
}

std::string model_url(const hub::ModelRef& ref, const std::string& endpoint) {
  std::string url = fmt::format("{}/{}/{}", endpoint, ref.org, ref.repo);
  if (ref.pinned) url += "/tree/" + ref.revision;
  return url;
}

// Where a hub model's weights are: a complete cached copy, else (dry run) nothing yet, else a
// download that checks the chat config before any shard.
Result<std::string> resolve_hub_model(const PackageOptions& o, const PackageModel& m,
                                      ModelReport* report, std::string* planned_chat_config) {
  AAE_ASSIGN_OR_RETURN(hub::DownloadOptions download, hub::download_options_from_env());
  if (!o.home.empty()) download.env.home = o.home;
  std::vector<fs::path> candidates = {hub::model_cache_dir(download.env.home, m.source.hub_ref)};
  for (const auto& root : download.env.readonly_roots) {
    candidates.push_back(hub::readonly_cache_dir(root, m.source.hub_ref));
  }
  for (const auto& dir : candidates) {
    if (fs::exists(dir) && hub::check_cached_model(dir, false).ok()) {
      report->download = "cached";
      return dir.string();
    }
  }
  if (o.dry_run) {
    // Read the index only (nothing is written): the plan can then name the library, the bytes
    // to download and the memory, and refuse an unsupported model already.
    auto index = hub::fetch_model_index(m.model, download);
    if (!index.ok()) {
      return std::move(index).error().context(fmt::format("{}: cannot read model {}", m.json_path,
                                                          m.model));
    }
    AAE_TRY(check_chat_config_runnable(index->chat_config_text, index->chat_config_file,
                                       m.overrides));
    report->download = "needed";
    report->download_bytes = index->weight_bytes;
    *planned_chat_config = index->chat_config_text;
    return std::string();
  }
  download.log = o.log;
  const ModelLibOverrides overrides = m.overrides;
  download.check_chat_config = [overrides](const std::string& file, std::string_view text) {
    return check_chat_config_runnable(text, file, overrides);
  };
  progress(o, fmt::format("downloading {} ...", m.model));
  auto dir = hub::get_or_download_model(m.model, download);
  if (!dir.ok()) {
    return std::move(dir).error().context(fmt::format("{}: cannot get model {}", m.json_path,
                                                      m.model));
  }
  report->download = "downloaded";
  return dir->string();
}

// A stamp of everything that goes into libmodel_<device>.a: when the previous dist/ has the
// same stamp beside its archive, the archive is reused as is (nothing recompiled or copied).
Result<std::string> archive_stamp(const std::string& device, const std::vector<std::string>& inputs) {
  std::string text = fmt::format("device {}\n", device);
  for (const auto& input : inputs) {
    AAE_ASSIGN_OR_RETURN(std::string digest, md5_file(input));
    text += digest + " " + fs::path(input).filename().string() + "\n";
  }
  return text;
}

}  // namespace

Result<PackageReport> run_package(const PackageOptions& o, Diagnostics* diagnostics) {
  const auto start = std::chrono::steady_clock::now();
  auto config = load_package_config(o.config_path, diagnostics);
  if (!config.ok()) return std::move(config).error();

  PackageReport report;
  report.dry_run = o.dry_run;
  report.device = config->device;
  report.config_path = config->config_path.string();
  report.output_dir = fs::absolute(o.output_dir).lexically_normal().string();
  report.jit_policy = jit_policy_name(o.jit_policy);
  const std::string archive_name = model_archive_name(config->device);
  report.archive = (fs::path(report.output_dir) / "lib" / archive_name).string();

  std::optional<OutputStage> stage;
  if (!o.dry_run) {
    AAE_ASSIGN_OR_RETURN(OutputStage begun, OutputStage::begin(o.output_dir));
    stage.emplace(std::move(begun));
  }

  // 1. Models and their libraries, in file order.
  std::vector<AppConfigEntry> app_entries;
  std::vector<std::string> archive_inputs;
  std::set<std::string> used_prebuilt;
  std::set<std::string> archived_libs;
  for (const auto& m : config->models) {
    ModelReport r;
    std::string planned_chat_config;  // dry run, hub model not downloaded yet
    r.model_id = m.model_id;
    r.model = m.model;
    r.source = m.source.is_local() ? "local" : "hub";
    r.bundle_weight = m.bundle_weight;
    r.estimated_vram_bytes = m.estimated_vram_bytes;
    if (m.source.is_local()) {
      r.model_dir = m.source.local_dir.string();
      r.download = "local";
    } else {
      AAE_ASSIGN_OR_RETURN(r.model_dir, resolve_hub_model(o, m, &r, &planned_chat_config));
    }

    const fs::path* prebuilt = nullptr;
    if (m.model_lib) {
      for (const auto& [name, path] : config->model_lib_path_for_prepare_libs) {
        if (name == *m.model_lib) prebuilt = &path;
      }
    }
    LibraryChoice lib;
    if (prebuilt != nullptr) {
      auto chosen = prebuilt_library(*m.model_lib, *prebuilt, config->device);
      if (!chosen.ok()) return std::move(chosen).error().context(m.json_path + ".model_lib");
      lib = std::move(*chosen);
      used_prebuilt.insert(*m.model_lib);
    } else if (!r.model_dir.empty() || !planned_chat_config.empty()) {
      if (!o.dry_run) progress(o, fmt::format("model library for {} ...", m.model_id));
      std::optional<RemoveTreeOnExit> planning_dir;
      std::string lib_model_dir = r.model_dir;
      if (lib_model_dir.empty()) {  // the chat config alone decides the library
        planning_dir.emplace(fs::temp_directory_path() /
                             fmt::format("sphere_aae-plan-{}-{}", ::getpid(), m.model_id));
        fs::create_directories(planning_dir->path);
        AAE_TRY(write_file_atomic((planning_dir->path / kAaeChatConfigFile).string(),
                                  planned_chat_config));
        lib_model_dir = planning_dir->path.string();
      }
      JitLibraryRequest jit{lib_model_dir, config->device, m.overrides, m.model_lib.value_or(""),
                            o.source_dir.string(), o.home, o.jit_policy, o.dry_run};
      auto chosen = jit_library(jit);
      if (!chosen.ok()) {
        return std::move(chosen).error().context(
            fmt::format("{}: cannot get the model library for \"{}\"", m.json_path, m.model_id));
      }
      lib = std::move(*chosen);
    } else {
      lib.origin = "jit";
      lib.cache = "miss";
      lib.miss_reason = "weights not downloaded yet";
    }
    r.model_lib = lib.model_lib;
    r.library_origin = lib.origin;
    r.library_path = lib.path;
    r.library_cache = lib.cache;
    r.miss_reason = lib.miss_reason;
    r.compile_seconds = lib.seconds;
    if (lib.memory) {
      r.memory_known = true;
      r.memory = *lib.memory;
      if (m.estimated_vram_bytes < r.memory.total()) {
        const std::string message = fmt::format(
            "{}.estimated_vram_bytes: {} ({}) is below what \"{}\" needs: {} ({} bytes: weights "
            "{} + KV cache {} + workspace {})",
            m.json_path, m.estimated_vram_bytes, human_bytes(m.estimated_vram_bytes),
            m.model_id, human_bytes(r.memory.total()), r.memory.total(), r.memory.weight_bytes,
            r.memory.kv_cache_bytes, r.memory.workspace_bytes);
        if (o.strict) {
          return Error(message, fmt::format("set estimated_vram_bytes to at least {}, or lower "
                                            "context_window_size in overrides",
                                            r.memory.total()));
        }
        report.warnings.push_back(message);
      }
    }
    // Entries of one model with the same overrides share one library: link it once.
    if (!lib.path.empty() && archived_libs.insert(lib.model_lib).second) {
      archive_inputs.push_back(lib.path);
    }

    // 2. Bundled weights (a dry run of a model not downloaded yet bundles what it downloads).
    if (m.bundle_weight && r.model_dir.empty()) {
      r.bundle_bytes = r.bundle_bytes_to_copy = r.download_bytes;
    }
    if (m.bundle_weight && !r.model_dir.empty()) {
      AAE_ASSIGN_OR_RETURN(std::vector<BundleFile> files, model_bundle_files(r.model_dir));
      if (!o.dry_run) progress(o, fmt::format("bundling {} ({} files) ...", m.model_id, files.size()));
      for (const auto& f : files) {
        const fs::path relative = fs::path("bundle") / m.model_id / f.name;
        const fs::path source = fs::path(r.model_dir) / f.name;
        r.bundle_files += 1;
        r.bundle_bytes += f.bytes;
        const Placement placement = placement_in(report.output_dir, source, relative);
        if (placement == Placement::kCopy) r.bundle_bytes_to_copy += f.bytes;
        if (stage) AAE_TRY(stage->place_file(source, relative, &report.files));
      }
      if (!o.dry_run && r.bundle_bytes_to_copy > 0) {
        progress(o, fmt::format("bundled {}: {} copied", m.model_id,
                                human_bytes(r.bundle_bytes_to_copy)));
      }
    }
    AppConfigEntry entry{m.model_id, r.model_lib, "", "", m.estimated_vram_bytes};
    if (m.bundle_weight) {
      entry.model_path = m.model_id;
    } else if (m.source.is_local()) {
      // The config check refuses this (an app could not reach a path on this machine).
      return Error(fmt::format("{}: a local model needs \"bundle_weight\": true", m.json_path));
    } else {
      AAE_ASSIGN_OR_RETURN(hub::HubEnvironment env, hub::hub_environment_from_env());
      entry.model_url = model_url(m.source.hub_ref, env.endpoint);
    }
    app_entries.push_back(std::move(entry));
    report.models.push_back(std::move(r));
  }
  for (const auto& [name, path] : config->model_lib_path_for_prepare_libs) {
    if (!used_prebuilt.count(name)) {
      report.warnings.push_back(fmt::format(
          "model_lib_path_for_prepare_libs[\"{}\"] is used by no model_list entry; not linked "
          "(MLC links it anyway)", name));
    }
  }
  for (const auto& r : report.models) {
    if (!r.model_lib.empty() &&
        std::find(report.archive_model_libs.begin(), report.archive_model_libs.end(),
                  r.model_lib) == report.archive_model_libs.end()) {
      report.archive_model_libs.push_back(r.model_lib);
    }
  }

  // 3. libmodel_<device>.a with the registry; reused when its inputs did not change.
  if (o.dry_run) {
    report.archive_status = "would build";
  } else {
    AAE_ASSIGN_OR_RETURN(std::string stamp, archive_stamp(config->device, archive_inputs));
    const fs::path stamp_rel = fs::path("lib") / ("." + archive_name + ".inputs");
    const fs::path archive_rel = fs::path("lib") / archive_name;
    auto previous_stamp = read_file((fs::path(report.output_dir) / stamp_rel).string());
    if (previous_stamp.ok() && *previous_stamp == stamp &&
        fs::exists(fs::path(report.output_dir) / archive_rel)) {
      AAE_TRY(stage->place_file(fs::path(report.output_dir) / archive_rel, archive_rel,
                                &report.files));
      report.archive_status = "unchanged";
    } else {
      progress(o, fmt::format("linking {} ({} model libraries) ...", archive_name,
                              archive_inputs.size()));
      const fs::path staged_archive = stage->staging_dir() / archive_rel;
      fs::create_directories(staged_archive.parent_path());
      auto built = build_system_lib(config->device, archive_inputs, staged_archive.string());
      if (!built.ok()) return std::move(built).error().context("building " + archive_name);
      report.archive_status = "built";
    }
    AAE_TRY(stage->place_bytes(stamp, stamp_rel, &report.files));
    // 4. Validation: every model_lib of the app config is really in the archive.
    std::vector<std::string> expected;
    for (const auto& e : app_entries) expected.push_back(e.model_lib);
    AAE_TRY(check_model_libs((stage->staging_dir() / archive_rel).string(), expected));
  }

  // 5. Runtime library, headers, module map / CMake package.
  if (o.skip_runtime) {
    report.runtime_status = "skipped";
  } else {
    RuntimeBuildRequest req{config->device, o.source_dir, o.home / "runtime"};
    AAE_ASSIGN_OR_RETURN(RuntimeBuildPlan plan, plan_runtime_build(req));
    report.runtime_toolchain = plan.toolchain;
    if (o.dry_run) {
      report.runtime_status = plan.cached ? "cached" : "would build";
    } else {
      if (!plan.cached) {
        progress(o, fmt::format("building the runtime for {} with CMake (cached afterwards) ...",
                                config->device));
      }
      AAE_ASSIGN_OR_RETURN(RuntimeBuildOutcome built,
                           build_runtime(req, plan, o.jit_policy == JitPolicy::kRedo));
      report.runtime_status = built.built ? "built" : "cached";
      report.runtime_seconds = built.seconds;
      AAE_TRY(stage->place_file(built.library, fs::path("lib") / kRuntimeLibraryName,
                                &report.files));
    }
  }
  if (!o.dry_run) {
    AAE_ASSIGN_OR_RETURN(std::vector<GeneratedFile> support,
                         dist_lib_support_files(config->device, o.source_dir));
    for (const auto& f : support) {
      AAE_TRY(stage->place_bytes(f.bytes, fs::path("lib") / f.relative, &report.files));
    }
    // 6. The app config (android: also the asset of the library module), then the swap.
    const std::string app_config = app_config_json(app_entries);
    if (config->device == "android") {
      AAE_TRY(place_android_module(*stage, o.source_dir, app_config, !o.skip_runtime, &report));
    }
    AAE_TRY(stage->place_bytes(app_config, fs::path("bundle") / std::string(kAppConfigFile),
                               &report.files));
    AAE_TRY(stage->commit());
  }
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace aae
