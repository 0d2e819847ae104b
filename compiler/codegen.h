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

// Errors: a model_type with no architecture template yet (naming the supported ones), a
// quantization the template has no weight format for, a model_lib that is not a C identifier.
Result<GeneratedModelLib> generate_model_lib(const ModelInput& input, std::string_view model_lib);

}  // namespace aae
