#include "package/package_report.h"

#include <fmt/format.h>

#include "runtime/base/human_units.h"

namespace aae {

nlohmann::ordered_json package_report_json(const PackageReport& r) {
  nlohmann::ordered_json models = nlohmann::ordered_json::array();
  for (const auto& m : r.models) {
    nlohmann::ordered_json library = {{"model_lib", m.model_lib},
                                      {"origin", m.library_origin},
                                      {"path", m.library_path}};
    if (m.library_origin == "jit") {
      library["cache"] = m.library_cache;
      if (!m.miss_reason.empty()) library["miss_reason"] = m.miss_reason;
      library["compile_seconds"] = m.compile_seconds;
    }
    nlohmann::ordered_json item = {{"model_id", m.model_id},
                                   {"model", m.model},
                                   {"source", m.source},
                                   {"model_dir", m.model_dir},
                                   {"download", m.download},
                                   {"download_bytes", m.download_bytes},
                                   {"library", library},
                                   {"bundle_weight", m.bundle_weight}};
    if (m.bundle_weight) {
      item["bundle"] = {{"files", m.bundle_files},
                        {"bytes", m.bundle_bytes},
                        {"bytes_to_copy", m.bundle_bytes_to_copy}};
    }
    item["memory"] = {{"estimated_vram_bytes", m.estimated_vram_bytes}};
    if (m.memory_known) {
      item["memory"]["weight_bytes"] = m.memory.weight_bytes;
      item["memory"]["kv_cache_bytes"] = m.memory.kv_cache_bytes;
      item["memory"]["workspace_bytes"] = m.memory.workspace_bytes;
      item["memory"]["required_bytes"] = m.memory.total();
    }
    models.push_back(std::move(item));
  }
  return {{"dry_run", r.dry_run},
          {"device", r.device},
          {"config", r.config_path},
          {"output", r.output_dir},
          {"jit_policy", r.jit_policy},
          {"models", models},
          {"archive", {{"path", r.archive}, {"status", r.archive_status},
                       {"model_libs", r.archive_model_libs}}},
          {"runtime", {{"status", r.runtime_status}, {"toolchain", r.runtime_toolchain},
                       {"seconds", r.runtime_seconds}}},
          {"files", {{"linked_unchanged", r.files.files_linked},
                     {"cloned", r.files.files_cloned},
                     {"copied", r.files.files_copied},
                     {"bytes_copied", r.files.bytes_copied}}},
          {"warnings", r.warnings},
          {"seconds", r.seconds}};
}

std::string package_report_text(const PackageReport& r) {
  std::string out = fmt::format("{} for {} -> {}\n", r.dry_run ? "plan" : "packaged", r.device,
                                r.output_dir);
  for (const auto& m : r.models) {
    out += fmt::format("  {}  ({})\n", m.model_id, m.model);
    out += fmt::format("    weights   {}{}\n", m.download,
                       m.model_dir.empty()
                           ? fmt::format(" ({} to download)", human_bytes(m.download_bytes))
                           : "  " + m.model_dir);
    std::string lib = m.model_lib.empty() ? "(named after download)" : m.model_lib;
    if (m.library_origin == "prebuilt") {
      out += fmt::format("    library   {}  prebuilt {}\n", lib, m.library_path);
    } else {
      out += fmt::format("    library   {}  jit cache {}{}\n", lib, m.library_cache,
                         m.miss_reason.empty() ? "" : " (" + m.miss_reason + ")");
    }
    if (m.bundle_weight) {
      out += fmt::format("    bundle    {} files, {}, {} to copy\n", m.bundle_files,
                         human_bytes(m.bundle_bytes), human_bytes(m.bundle_bytes_to_copy));
    } else {
      out += "    bundle    no (the app downloads the weights)\n";
    }
    if (m.memory_known) {
      out += fmt::format("    memory    {} needed (weights {} + KV cache {} + workspace {}); "
                         "estimated_vram_bytes {}\n",
                         human_bytes(m.memory.total()), human_bytes(m.memory.weight_bytes),
                         human_bytes(m.memory.kv_cache_bytes),
                         human_bytes(m.memory.workspace_bytes),
                         human_bytes(m.estimated_vram_bytes));
    } else {
      out += fmt::format("    memory    known after download; estimated_vram_bytes {}\n",
                         human_bytes(m.estimated_vram_bytes));
    }
  }
  out += fmt::format("  archive   {}  {}\n", r.archive, r.archive_status);
  out += fmt::format("  runtime   {}{}\n", r.runtime_status,
                     r.runtime_toolchain.empty() ? "" : "  (" + r.runtime_toolchain + ")");
  if (!r.dry_run) {
    out += fmt::format("  files     {} unchanged (linked), {} cloned, {} copied ({})\n",
                       r.files.files_linked, r.files.files_cloned, r.files.files_copied,
                       human_bytes(r.files.bytes_copied));
  }
  for (const auto& w : r.warnings) out += "warning: " + w + "\n";
  return out;
}

}  // namespace aae
