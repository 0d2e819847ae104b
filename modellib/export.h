// Macros for the generated per-model translation unit: define the two exported symbols.
//
//   #include "modellib/export.h"
//   #include "modellib/arch/llama.h"
//   namespace { struct Config { ... }; using Model = aae::modellib::LlamaFamily<Config>; }
//   static_assert(Model::kStateBytes == 123456ull, "generator and template disagree");
//   AAE_MODEL_METADATA_DEFINE(llama_q4f16_1_0123abcd, "{\"abi_version\":1," "...}");
//   AAE_MODEL_LIB_DEFINE(llama_q4f16_1_0123abcd, Model);
//
// The metadata is a char array (no pointers, so no relocations; NUL-terminated). Both symbols
// are declared `extern "C"` before being defined: a C++ const at namespace scope otherwise has
// internal linkage and would silently vanish from the object. Compile with
// -fvisibility=hidden; these two are the only default-visibility symbols.
#pragma once

#include "sphere_aae/aae_model_lib.h"

#define AAE_MODELLIB_EXPORT_DECL __attribute__((visibility("default")))
#define AAE_MODELLIB_EXPORT __attribute__((used))  // visibility comes from the declaration

#define AAE_MODEL_METADATA_DEFINE(prefix, literal)                                    \
  extern "C" {                                                                        \
  extern AAE_MODELLIB_EXPORT_DECL const char AAE_MODEL_METADATA_SYMBOL(prefix)[];          \
  AAE_MODELLIB_EXPORT const char AAE_MODEL_METADATA_SYMBOL(prefix)[] = literal;       \
  }

#define AAE_MODELLIB_STR2(x) #x
#define AAE_MODELLIB_STR(x) AAE_MODELLIB_STR2(x)

#define AAE_MODEL_LIB_DEFINE(prefix, Model)                                             \
  extern "C" {                                                                          \
  extern AAE_MODELLIB_EXPORT_DECL const AaeModelLib AAE_MODEL_LIB_SYMBOL(prefix);            \
  AAE_MODELLIB_EXPORT const AaeModelLib AAE_MODEL_LIB_SYMBOL(prefix) = {                \
      AAE_MODEL_LIB_ABI_VERSION,                                                        \
      AAE_MODELLIB_STR(prefix),                                                         \
      AAE_MODEL_METADATA_SYMBOL(prefix),                                                \
      static_cast<uint64_t>(Model::kNumParams),                                         \
      Model::kStateBytes,                                                               \
      Model::kKvCacheBytes,                                                             \
      Model::kWorkspaceBytes,                                                           \
      static_cast<int32_t>(Model::V),                                                   \
      static_cast<int32_t>(Model::C),                                                   \
      static_cast<int32_t>(Model::T),                                                   \
      0,                                                                                \
      &Model::prepare,                                                                  \
      &Model::reset,                                                                    \
      &Model::prefill,                                                                  \
      &Model::decode,                                                                   \
  };                                                                                    \
  }
