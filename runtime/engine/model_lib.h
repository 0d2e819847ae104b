// A model library the runtime can call: its descriptor (include/sphere_aae/aae_model_lib.h)
// plus the metadata parsed from the JSON the library carries. It comes either from a shared
// object opened with dlopen (desktop hosts, `sphere_aae generate`) or from a descriptor linked
// into the app (static system libraries on phones, found through the registry that `package`
// generates into libmodel_<device>.a).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/status.h"
#include "runtime/format/dtype.h"
#include "sphere_aae/aae_model_lib.h"

namespace aae {

struct DeclaredParam {
  std::string name;            // the tensor-cache record name
  std::vector<int64_t> shape;
  DType dtype;
};

// The metadata JSON of a library (keys as written by compiler/model_lib_metadata.h).
struct ModelLibInfo {
  int abi_version = 0;
  std::string model_lib;
  std::string architecture;  // model_type
  std::string quantization;
  int64_t vocab_size = 0;
  int64_t context_window_size = 0;
  int64_t prefill_chunk_size = 0;
  int64_t sliding_window_size = -1;
  int64_t attention_sink_size = 0;
  std::vector<DeclaredParam> params;  // in the order the library takes its param pointers
  int64_t weight_bytes = 0, kv_cache_bytes = 0, workspace_bytes = 0, state_bytes = 0;
};

// Errors name `label` (a file or a symbol) and the JSON path.
Result<ModelLibInfo> parse_model_lib_metadata(std::string_view json_text,
                                              const std::string& label);

// The exported function a shared-object build of a library carries in addition to the two
// prefixed symbols, so a host can open any .so without knowing its model_lib name first.
inline constexpr const char* kSharedModelLibEntry = "aae_model_lib_entry";

class ModelLib {
 public:
  // dlopen(path) (RTLD_NOW | RTLD_LOCAL), then the entry above; checks abi_version and that the
  // descriptor and metadata agree. Errors name the path and say how to rebuild.
  static Result<ModelLib> open_shared(const std::string& path);
  // A descriptor linked into the process (not owned; must outlive the ModelLib).
  static Result<ModelLib> from_descriptor(const AaeModelLib* descriptor);

  ModelLib(ModelLib&&) noexcept;
  ModelLib& operator=(ModelLib&&) noexcept;
  ~ModelLib();  // dlclose for shared objects

  const AaeModelLib& descriptor() const;
  const ModelLibInfo& info() const;
  const std::string& origin() const;  // the path, or "linked-in <model_lib>"

 private:
  struct State;
  explicit ModelLib(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace aae
