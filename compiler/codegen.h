// Generates the one C++ translation unit of a model library: it instantiates the architecture
// template from modellib/ with the model's dimensions, quantization and overrides as
// compile-time constants, checks the template's state size against the generator's number,
// and defines the two exported symbols <model_lib>___aae_model_metadata (relocation-free JSON)
// and <model_lib>___aae_model_lib (the descriptor), per include/sphere_aae/aae_model_lib.h.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "compiler/model_input.h"
#include "runtime/base/status.h"

namespace aae {

// AAE_MODEL_LIB_ABI_VERSION of include/sphere_aae/aae_model_lib.h, written into the metadata.
inline constexpr int kModelLibAbiVersion = 1;

struct GeneratedModelLib {
  std::string model_lib;       // symbol prefix
  std::string source;          // the translation unit
  std::string metadata_json;   // exactly the bytes of the metadata symbol, without its NUL
  std::string metadata_symbol; // "<model_lib>___aae_model_metadata" (C name; Mach-O adds '_')
  std::string descriptor_symbol;  // "<model_lib>___aae_model_lib"
};

// Whether the generator has an architecture template for `model_type` and a weight format for
// `quantization` (a quantization code such as "q4f16_1"). generate_model_lib applies the same
// check; the packager calls it on a chat config before downloading or building anything.
// The error names the supported ones in its hint.
Status check_model_lib_support(std::string_view model_type, std::string_view quantization);

// Prepended to the generated source for a shared-object build: the library then also exports
// aae_model_lib_entry() (runtime/engine/model_lib.h), so a host can dlopen it without knowing
// its model_lib name. Objects and archives (static linking of many libraries) never get it.
inline constexpr std::string_view kSharedEntryDefine = "#define AAE_MODEL_LIB_SHARED_ENTRY 1\n";

// Errors: a model_type with no architecture template yet (naming the supported ones), a
// quantization the template has no weight format for, a model_lib that is not a C identifier.
Result<GeneratedModelLib> generate_model_lib(const ModelInput& input, std::string_view model_lib);

}  // namespace aae
