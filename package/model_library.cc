#include "package/model_library.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "compiler/codegen.h"
#include "compiler/model_lib_archive.h"
#include "compiler/model_lib_name.h"

namespace aae {

namespace fs = std::filesystem;

Result<ModelMemory> memory_from_metadata(std::string_view metadata_json, const std::string& label) {
  const auto meta = nlohmann::json::parse(metadata_json, nullptr, /*allow_exceptions=*/false);
  const auto* memory = meta.is_object() && meta.contains("memory") ? &meta["memory"] : nullptr;
  if (memory == nullptr || !memory->is_object()) {
    return Error(label + ": the library metadata has no \"memory\" object",
                 "rebuild the library with this version of sphere_aae");
  }
  auto field = [&](const char* key) -> int64_t {
    const auto it = memory->find(key);
    return it != memory->end() && it->is_number_integer() ? it->get<int64_t>() : 0;
  };
  ModelMemory out;
  out.weight_bytes = field("weight_bytes");
  out.kv_cache_bytes = field("kv_cache_bytes");
  // The state holds the KV cache, the workspace and alignment padding: count all of it.
  out.workspace_bytes = field("state_bytes") - out.kv_cache_bytes;
  if (out.workspace_bytes < 0) out.workspace_bytes = field("workspace_bytes");
  return out;
}

Result<LibraryChoice> prebuilt_library(const std::string& model_lib, const fs::path& path,
                                       const std::string& device) {
  const std::string ext = path.extension().string();
  if (ext == ".tar") {
    return Error(fmt::format("{} is an MLC LLM/TVM model library (.tar), which AAE cannot link",
                             path.string()),
                 fmt::format("remove \"{}\" from model_lib_path_for_prepare_libs so package "
                             "compiles the library, or build one with `sphere_aae compile "
                             "MODEL_DIR --device {} --system-lib-prefix {} -o {}.a`",
                             model_lib, device, model_lib, model_lib));
  }
  auto found = list_model_libs(path.string());
  if (!found.ok()) {
    return std::move(found).error().context(
        fmt::format("cannot use prebuilt library {} for model_lib \"{}\"", path.string(),
                    model_lib),
        "give a .o or .a written by `sphere_aae compile --device " + device + "`");
  }
  std::string names;
  for (const auto& entry : *found) {
    if (entry.model_lib == model_lib) {
      LibraryChoice choice{model_lib, "prebuilt", path.string(), "", "", 0, std::nullopt};
      auto memory = memory_from_metadata(entry.metadata_json, path.string());
      if (memory.ok()) choice.memory = *memory;
      return choice;
    }
    names += (names.empty() ? "" : ", ") + entry.model_lib;
  }
  return Error(fmt::format("prebuilt library {} does not contain model_lib \"{}\"",
                           path.string(), model_lib),
               names.empty() ? "it holds no AAE model library at all"
                             : "it holds: " + names + "; fix the key or the path");
}

Result<LibraryChoice> jit_library(const JitLibraryRequest& req) {
  // The name and the memory come from the generated translation unit: no compile needed.
  AAE_ASSIGN_OR_RETURN(ModelInput input, load_model_input(req.model_dir, req.overrides));
  AAE_ASSIGN_OR_RETURN(std::string name,
                       resolve_model_lib_name(input, req.device, req.system_lib_prefix));
  AAE_ASSIGN_OR_RETURN(GeneratedModelLib generated, generate_model_lib(input, name));
  LibraryChoice choice;
  choice.model_lib = name;
  choice.origin = "jit";
  if (auto memory = memory_from_metadata(generated.metadata_json, name); memory.ok()) {
    choice.memory = *memory;
  }

  JitRequest jit;
  jit.base.model_dir = req.model_dir;
  jit.base.device = req.device;
  jit.base.overrides = req.overrides;
  jit.base.system_lib_prefix = req.system_lib_prefix;
  jit.base.source_dir = req.source_dir;
  jit.kind = ".o";
  jit.home = req.home;
  if (req.dry_run) {
    AAE_ASSIGN_OR_RETURN(JitLookup lookup, jit_lookup(jit));
    choice.cache = lookup.hit && req.policy != JitPolicy::kRedo ? "hit" : "miss";
    choice.miss_reason = req.policy == JitPolicy::kRedo ? "SPHERE_AAE_JIT_POLICY=REDO"
                                                        : lookup.miss_reason;
    if (lookup.hit) choice.path = lookup.path;
    return choice;
  }
  AAE_ASSIGN_OR_RETURN(JitResult result, jit_compile(jit, req.policy));
  choice.path = result.path;
  choice.cache = result.hit ? "hit" : "compiled";
  choice.miss_reason = result.miss_reason;
  choice.seconds = result.seconds;
  return choice;
}

}  // namespace aae
