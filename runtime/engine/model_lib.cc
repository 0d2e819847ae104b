#include "runtime/engine/model_lib.h"

#include <dlfcn.h>

#include <utility>

#include "runtime/base/json.h"

namespace aae {
namespace {

constexpr const char* kRebuildHint =
    "rebuild the library with this version of sphere_aae: sphere_aae compile <model dir> "
    "--device linux -o <library>.so";

// Prefixes an error from the JSON reader with the library it came from.
Error metadata_error(const std::string& label, const Error& e) {
  Error out(label + ": model-library metadata: " + e.message());
  for (const auto& c : e.causes()) out.add_cause(c);
  return out.with_code(ErrorCode::kMismatch);
}

Result<std::vector<int64_t>> read_shape(const json::Value& value, const std::string& path) {
  if (!value.is_array()) {
    return Error(path + ": expected an array, found " + json::type_name(value.type()));
  }
  std::vector<int64_t> shape;
  for (size_t i = 0; i < value.as_array().size(); ++i) {
    const json::Value& dim = value.as_array()[i];
    if (!dim.is_integer() || dim.as_int64() < 0) {
      return Error(path + "[" + std::to_string(i) + "]: expected a non-negative integer");
    }
    shape.push_back(dim.as_int64());
  }
  return shape;
}

Result<DeclaredParam> read_param(const json::Value& value, const std::string& path) {
  AAE_ASSIGN_OR_RETURN(json::ObjectReader r, json::ObjectReader::make(value, path));
  DeclaredParam p;
  AAE_ASSIGN_OR_RETURN(p.name, r.get_string("name"));
  AAE_ASSIGN_OR_RETURN(const json::Value* shape, r.get_array("shape"));
  AAE_ASSIGN_OR_RETURN(p.shape, read_shape(*shape, r.child_path("shape")));
  AAE_ASSIGN_OR_RETURN(std::string dtype, r.get_string("dtype"));
  auto parsed = parse_dtype(dtype);
  if (!parsed) return Error(r.child_path("dtype") + ": unknown dtype \"" + dtype + "\"");
  p.dtype = *parsed;
  return p;
}

Result<ModelLibInfo> parse_metadata_tree(const json::Value& root) {
  AAE_ASSIGN_OR_RETURN(json::ObjectReader r, json::ObjectReader::make(root, "metadata"));
  ModelLibInfo info;
  AAE_ASSIGN_OR_RETURN(int64_t abi, r.get_int64("abi_version"));
  info.abi_version = static_cast<int>(abi);
  AAE_ASSIGN_OR_RETURN(info.model_lib, r.get_string("model_lib"));
  AAE_ASSIGN_OR_RETURN(info.architecture, r.get_string("architecture"));
  AAE_ASSIGN_OR_RETURN(info.quantization, r.get_string("quantization"));
  AAE_ASSIGN_OR_RETURN(info.vocab_size, r.get_int64("vocab_size"));
  AAE_ASSIGN_OR_RETURN(info.context_window_size, r.get_int64("context_window_size"));
  AAE_ASSIGN_OR_RETURN(info.prefill_chunk_size, r.get_int64("prefill_chunk_size"));
  AAE_ASSIGN_OR_RETURN(info.sliding_window_size, r.get_int64_or("sliding_window_size", -1));
  AAE_ASSIGN_OR_RETURN(info.attention_sink_size, r.get_int64_or("attention_sink_size", 0));
  AAE_ASSIGN_OR_RETURN(const json::Value* params, r.get_array("params"));
  for (size_t i = 0; i < params->as_array().size(); ++i) {
    AAE_ASSIGN_OR_RETURN(DeclaredParam p, read_param(params->as_array()[i],
                                                     "metadata.params[" + std::to_string(i) + "]"));
    info.params.push_back(std::move(p));
  }
  AAE_ASSIGN_OR_RETURN(const json::Value* memory, r.get_object("memory"));
  AAE_ASSIGN_OR_RETURN(json::ObjectReader m, json::ObjectReader::make(*memory, "metadata.memory"));
  AAE_ASSIGN_OR_RETURN(info.weight_bytes, m.get_int64("weight_bytes"));
  AAE_ASSIGN_OR_RETURN(info.kv_cache_bytes, m.get_int64("kv_cache_bytes"));
  AAE_ASSIGN_OR_RETURN(info.workspace_bytes, m.get_int64("workspace_bytes"));
  AAE_ASSIGN_OR_RETURN(info.state_bytes, m.get_int64("state_bytes"));
  if (info.vocab_size <= 0 || info.context_window_size <= 0 || info.prefill_chunk_size <= 0) {
    return Error("metadata: vocab_size, context_window_size and prefill_chunk_size must be "
                 "positive, found " + std::to_string(info.vocab_size) + ", " +
                 std::to_string(info.context_window_size) + ", " +
                 std::to_string(info.prefill_chunk_size));
  }
  return info;
}

// One "field: descriptor X, metadata Y" line per disagreement.
void compare(std::vector<std::string>& out, const char* field, int64_t descriptor,
             int64_t metadata) {
  if (descriptor == metadata) return;
  out.push_back(std::string(field) + ": descriptor " + std::to_string(descriptor) +
                ", metadata " + std::to_string(metadata));
}

}  // namespace

Result<ModelLibInfo> parse_model_lib_metadata(std::string_view json_text,
                                              const std::string& label) {
  auto root = json::parse(json_text);
  if (!root.ok()) return metadata_error(label, root.error());
  auto info = parse_metadata_tree(*root);
  if (!info.ok()) return metadata_error(label, info.error());
  return info;
}

struct ModelLib::State {
  void* handle = nullptr;  // from dlopen; null for a linked-in descriptor
  const AaeModelLib* descriptor = nullptr;
  ModelLibInfo info;
  std::string origin;

  ~State() {
    if (handle != nullptr) dlclose(handle);
  }
};

namespace {

// Checks the descriptor (ABI first: nothing else of it may be read on a mismatch), parses its
// metadata and checks the two agree.
Status check_descriptor(const AaeModelLib* d, const std::string& label, ModelLibInfo* info) {
  if (d->abi_version != AAE_MODEL_LIB_ABI_VERSION) {
    return Error(label + ": model-library ABI version " + std::to_string(d->abi_version) +
                     ", this runtime speaks version " +
                     std::to_string(AAE_MODEL_LIB_ABI_VERSION),
                 kRebuildHint)
        .with_code(ErrorCode::kMismatch);
  }
  if (d->model_lib == nullptr || d->metadata_json == nullptr || d->prepare == nullptr ||
      d->reset == nullptr || d->prefill == nullptr || d->decode == nullptr) {
    return Error(label + ": the model-library descriptor has a null field", kRebuildHint)
        .with_code(ErrorCode::kMismatch);
  }
  AAE_ASSIGN_OR_RETURN(*info, parse_model_lib_metadata(d->metadata_json, label));
  std::vector<std::string> diffs;
  if (info->abi_version != AAE_MODEL_LIB_ABI_VERSION) {
    compare(diffs, "abi_version", AAE_MODEL_LIB_ABI_VERSION, info->abi_version);
  }
  if (info->model_lib != d->model_lib) {
    diffs.push_back("model_lib: descriptor \"" + std::string(d->model_lib) + "\", metadata \"" +
                    info->model_lib + "\"");
  }
  compare(diffs, "num_params", static_cast<int64_t>(d->num_params),
          static_cast<int64_t>(info->params.size()));
  compare(diffs, "vocab_size", d->vocab_size, info->vocab_size);
  compare(diffs, "context_window_size", d->context_window_size, info->context_window_size);
  compare(diffs, "prefill_chunk_size", d->prefill_chunk_size, info->prefill_chunk_size);
  compare(diffs, "state_bytes", static_cast<int64_t>(d->state_bytes), info->state_bytes);
  compare(diffs, "kv_cache_bytes", static_cast<int64_t>(d->kv_cache_bytes),
          info->kv_cache_bytes);
  if (diffs.empty()) return ok_status();
  Error error(label + ": the model-library descriptor and its metadata disagree", kRebuildHint);
  for (auto& line : diffs) error.add_cause(std::move(line));
  return error.with_code(ErrorCode::kMismatch);
}

}  // namespace

ModelLib::ModelLib(std::unique_ptr<State> state) : state_(std::move(state)) {}
ModelLib::ModelLib(ModelLib&&) noexcept = default;
ModelLib& ModelLib::operator=(ModelLib&&) noexcept = default;
ModelLib::~ModelLib() = default;

Result<ModelLib> ModelLib::open_shared(const std::string& path) {
  auto state = std::make_unique<State>();
  state->origin = path;
  dlerror();  // clear any stale message
  state->handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (state->handle == nullptr) {
    const char* why = dlerror();
    return Error("cannot open model library " + path + ": " + (why ? why : "dlopen failed"),
                 "check the path; build the library with: sphere_aae compile <model dir> "
                 "--device linux -o " + path)
        .with_code(ErrorCode::kNotFound);
  }
  using EntryFn = const AaeModelLib* (*)();
  void* symbol = dlsym(state->handle, kSharedModelLibEntry);
  if (symbol == nullptr) {
    return Error(path + ": not a sphere_aae model library (no " +
                     std::string(kSharedModelLibEntry) + " symbol)",
                 kRebuildHint)
        .with_code(ErrorCode::kNotFound);
  }
  const AaeModelLib* descriptor = reinterpret_cast<EntryFn>(symbol)();
  if (descriptor == nullptr) {
    return Error(path + ": " + std::string(kSharedModelLibEntry) + " returned no descriptor",
                 kRebuildHint)
        .with_code(ErrorCode::kMismatch);
  }
  AAE_TRY(check_descriptor(descriptor, path, &state->info));
  state->descriptor = descriptor;
  return ModelLib(std::move(state));
}

Result<ModelLib> ModelLib::from_descriptor(const AaeModelLib* descriptor) {
  if (descriptor == nullptr) {
    return Error("no model-library descriptor (null pointer)").with_code(
        ErrorCode::kInvalidArgument);
  }
  auto state = std::make_unique<State>();
  // The name is only trusted once the ABI check has passed.
  const std::string label = descriptor->abi_version == AAE_MODEL_LIB_ABI_VERSION &&
                                    descriptor->model_lib != nullptr
                                ? "linked-in " + std::string(descriptor->model_lib)
                                : "linked-in model library";
  AAE_TRY(check_descriptor(descriptor, label, &state->info));
  state->origin = label;
  state->descriptor = descriptor;
  return ModelLib(std::move(state));
}

const AaeModelLib& ModelLib::descriptor() const { return *state_->descriptor; }
const ModelLibInfo& ModelLib::info() const { return state_->info; }
const std::string& ModelLib::origin() const { return state_->origin; }

}  // namespace aae
