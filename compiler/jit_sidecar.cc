#include "compiler/jit_sidecar.h"

#include <algorithm>
#include <ctime>
#include <vector>

#include <fmt/format.h>

#include "compiler/jit_cache.h"
#include "runtime/base/file_util.h"

namespace aae {
namespace {

namespace fs = std::filesystem;

std::string utc_now_iso8601() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string string_at(const nlohmann::json& j, const char* a, const char* b = nullptr) {
  const nlohmann::json* v = &j;
  for (const char* k : {a, b}) {
    if (k == nullptr) break;
    if (!v->is_object() || !v->contains(k)) return {};
    v = &(*v)[k];
  }
  return v->is_string() ? v->get<std::string>() : std::string();
}

}  // namespace

std::string sidecar_json_text(const SidecarInfo& info) {
  const JitKeyInputs& in = info.inputs;
  nlohmann::ordered_json j;
  j["key"] = info.key;
  j["model_lib"] = in.model_lib;
  j["device"] = in.device;
  j["target"] = in.target;
  j["kind"] = in.kind;
  j["library"] = info.key + in.kind;
  j["tool_version"] = in.tool_version;
  j["model_lib_source_hash"] = in.source_hash;
  j["compiler"] = {{"path", in.compiler_path}, {"version", in.compiler_version}};
  j["flags"] = in.flags;
  j["overrides"] = in.overrides;
  j["generated_source_md5"] = in.generated_source_md5;
  j["inputs"] = {{"model_dir", info.model_dir}, {"source_dir", info.source_dir}};
  j["created"] = utc_now_iso8601();
  j["compile_seconds"] = info.compile_seconds;
  return j.dump(2) + "\n";
}

Result<nlohmann::json> read_sidecar(const fs::path& home, const std::string& key) {
  const fs::path path = model_lib_sidecar_path(home, key);
  AAE_ASSIGN_OR_RETURN(std::string text, read_file(path.string()));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Error(fmt::format("{} is not a JSON object", path.string()));
  if (string_at(j, "key") != key) {
    return Error(fmt::format("{}: \"key\" is \"{}\", expected \"{}\"", path.string(),
                             string_at(j, "key"), key));
  }
  return j;
}

bool is_complete_entry(const fs::path& home, const std::string& key, std::string_view kind) {
  std::error_code ec;
  if (!fs::is_regular_file(model_lib_entry_path(home, key, kind), ec)) return false;
  auto sidecar = read_sidecar(home, key);
  return sidecar.ok() && string_at(*sidecar, "library") == key + std::string(kind);
}

std::string describe_miss(const fs::path& home, const std::string& key,
                          const JitKeyInputs& inputs) {
  const fs::path root = model_lib_cache_root(home);
  std::error_code ec;
  std::vector<fs::path> sidecars;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".json") sidecars.push_back(it->path());
  }
  std::sort(sidecars.begin(), sidecars.end());
  for (const auto& path : sidecars) {
    const std::string other_key = path.stem().string();
    if (other_key == key) continue;
    auto j = read_sidecar(home, other_key);
    if (!j.ok() || string_at(*j, "model_lib") != inputs.model_lib ||
        string_at(*j, "target") != inputs.target || string_at(*j, "kind") != inputs.kind) {
      continue;
    }
    std::vector<std::string> changed;
    auto compare = [&](const char* what, const std::string& was, const std::string& now) {
      if (was != now) changed.push_back(fmt::format("{} (cached \"{}\", now \"{}\")", what, was, now));
    };
    compare("tool version", string_at(*j, "tool_version"), inputs.tool_version);
    compare("model-library sources", string_at(*j, "model_lib_source_hash"), inputs.source_hash);
    compare("compiler", string_at(*j, "compiler", "path"), inputs.compiler_path);
    compare("compiler version", string_at(*j, "compiler", "version"), inputs.compiler_version);
    if ((*j)["flags"] != nlohmann::json(inputs.flags)) changed.push_back("flags");
    compare("overrides", string_at(*j, "overrides"), inputs.overrides);
    compare("model config (generated source md5)", string_at(*j, "generated_source_md5"),
            inputs.generated_source_md5);
    if (changed.empty()) continue;
    return fmt::format("changed since entry {}: {}; key {}", other_key, fmt::join(changed, ", "),
                       key);
  }
  return fmt::format("first build for {} as {}; key {}", inputs.target, inputs.kind, key);
}

}  // namespace aae
