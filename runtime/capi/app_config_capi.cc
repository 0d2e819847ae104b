// The app-config part of the C API (include/sphere_aae/aae_app_config.h).
#include "sphere_aae/aae_app_config.h"

#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "runtime/base/available_memory.h"
#include "runtime/capi/capi_support.h"
#include "runtime/format/app_config.h"

// aae_system_model_lib is defined by the registry inside libmodel_<device>.a, not by the
// runtime: a weak reference lets the runtime link without it (the address is then null).
#if defined(__APPLE__)
extern "C" const AaeModelLib* aae_system_model_lib(const char* model_lib)
    __attribute__((weak_import));
#define AAE_HAVE_WEAK_SYSTEM_LIB 1
#elif defined(__GNUC__) || defined(__clang__)
extern "C" const AaeModelLib* aae_system_model_lib(const char* model_lib) __attribute__((weak));
#define AAE_HAVE_WEAK_SYSTEM_LIB 1
#endif

struct aae_app_model {
  aae::AppConfigEntry entry;
  std::string model_dir;  // model_path resolved against the app config's folder; "" if remote
};

struct aae_app_config {
  std::vector<aae::AppConfigEntry> entries;
  std::string dir;  // the app config's folder, which model_path entries are relative to
};

namespace {

// The registry's lookup function, or null when libmodel_<device>.a is not linked in.
using SystemLibLookup = const AaeModelLib* (*)(const char*);
SystemLibLookup system_lib_lookup() {
#if defined(AAE_HAVE_WEAK_SYSTEM_LIB)
  return &aae_system_model_lib;
#else
  return nullptr;
#endif
}

// The descriptor for `entry` from the app's linked model libraries.
aae::Result<const AaeModelLib*> find_system_lib(const aae::AppConfigEntry& entry) {
  const std::string which =
      "model library \"" + entry.model_lib + "\" (model \"" + entry.model_id + "\")";
  SystemLibLookup lookup = system_lib_lookup();
  if (lookup == nullptr) {
    return aae::Error(which + ": aae_system_model_lib is not linked into this app",
                      "link the libmodel_<device>.a that `sphere_aae package` wrote (with "
                      "-Wl,-u,aae_system_model_lib), or set params->model_lib_path")
        .with_code(aae::ErrorCode::kNotFound);
  }
  const AaeModelLib* lib = lookup(entry.model_lib.c_str());
  if (lib == nullptr) {
    return aae::Error(which + ": not among the libraries linked into this app",
                      "rerun `sphere_aae package` with this model and link the new "
                      "libmodel_<device>.a")
        .with_code(aae::ErrorCode::kNotFound);
  }
  return lib;
}

}  // namespace

extern "C" {

aae_status aae_app_config_open(const char* app_config_path, aae_app_config** out) {
  if (out == nullptr || app_config_path == nullptr) {
    return aae::capi::fail(AAE_ERR_INVALID_ARGUMENT,
                           "aae_app_config_open: app_config_path and out must not be NULL");
  }
  *out = nullptr;
  return aae::capi::guarded([&]() -> aae_status {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(app_config_path, ec)) {
      return aae::capi::fail(aae::Error(std::string("app config ") + app_config_path +
                                            " does not exist",
                                        "it is dist/bundle/sphere-aae-app-config.json from "
                                        "`sphere_aae package`, copied into the app")
                                 .with_code(aae::ErrorCode::kNotFound));
    }
    auto entries = aae::read_app_config(app_config_path);
    if (!entries.ok()) return aae::capi::fail(entries.error());
    *out = new aae_app_config{std::move(*entries),
                              std::filesystem::path(app_config_path).parent_path().string()};
    return AAE_OK;
  });
}

void aae_app_config_free(aae_app_config* config) { delete config; }

int32_t aae_app_config_model_count(const aae_app_config* config) {
  return config == nullptr ? 0 : static_cast<int32_t>(config->entries.size());
}

const char* aae_app_config_model_id(const aae_app_config* config, int32_t index) {
  if (config == nullptr || index < 0 || static_cast<size_t>(index) >= config->entries.size()) {
    return nullptr;
  }
  return config->entries[static_cast<size_t>(index)].model_id.c_str();
}

aae_status aae_app_config_load(const aae_app_config* config, const char* model_id,
                               const char* downloads_dir, const aae_engine_params* params,
                               aae_engine** out_engine) {
  if (out_engine == nullptr || config == nullptr || model_id == nullptr) {
    return aae::capi::fail(AAE_ERR_INVALID_ARGUMENT,
                           "aae_app_config_load: config, model_id and out_engine must not be "
                           "NULL");
  }
  *out_engine = nullptr;
  return aae::capi::guarded([&]() -> aae_status {
    auto entry = aae::find_app_config_entry(config->entries, model_id);
    if (!entry.ok()) return aae::capi::fail(entry.error());
    auto model_dir = aae::resolve_app_model_dir(*entry, config->dir,
                                                downloads_dir == nullptr ? "" : downloads_dir);
    if (!model_dir.ok()) return aae::capi::fail(model_dir.error());

    aae_engine_params engine_params;
    aae_engine_default_params(&engine_params);
    if (params != nullptr) engine_params = *params;
    engine_params.model_dir = model_dir->c_str();
    if (engine_params.model_lib == nullptr && engine_params.model_lib_path == nullptr) {
      auto lib = find_system_lib(*entry);
      if (!lib.ok()) return aae::capi::fail(lib.error());
      engine_params.model_lib = *lib;
    }

    // After the cheap checks, before mapping any weights. A platform where no probe works
    // skips the check rather than refusing every model; a malformed test override fails.
    auto available = aae::available_memory();
    if (!available.ok() && available.error().code() == aae::ErrorCode::kInvalidArgument) {
      return aae::capi::fail(available.error());
    }
    if (available.ok()) {
      aae::Status fits = aae::check_app_model_fits(*entry, *available);
      if (!fits.ok()) {
        aae::capi::fail(fits.error());
        return AAE_ERR_OUT_OF_MEMORY;
      }
    }

    const aae_status status = aae_engine_create(&engine_params, out_engine);
    if (status != AAE_OK) {
      aae::capi::last_error() =
          "loading model \"" + entry->model_id + "\" from " + *model_dir + ": " +
          aae::capi::last_error();
    }
    return status;
  });
}

aae_status aae_app_config_find(const char* app_config_path, const char* model_id,
                               aae_app_model** out_model) {
  return aae::capi::guarded([&]() -> aae_status {
    if (out_model == nullptr || app_config_path == nullptr || model_id == nullptr) {
      return aae::capi::fail(AAE_ERR_INVALID_ARGUMENT,
                             "aae_app_config_find: app_config_path, model_id and out_model "
                             "must not be NULL");
    }
    *out_model = nullptr;
    auto entries = aae::read_app_config(app_config_path);
    if (!entries.ok()) {
      aae::Error error = std::move(entries).error();
      return aae::capi::fail(error.with_code(aae::ErrorCode::kNotFound));
    }
    auto entry = aae::find_app_config_entry(*entries, model_id);
    if (!entry.ok()) return aae::capi::fail(entry.error());
    auto model = new aae_app_model{std::move(*entry), {}};
    if (!model->entry.model_path.empty()) {
      const std::filesystem::path base = std::filesystem::path(app_config_path).parent_path();
      model->model_dir = (base / model->entry.model_path).lexically_normal().string();
      if (model->model_dir.empty()) model->model_dir = ".";
    }
    *out_model = model;
    return AAE_OK;
  });
}

void aae_app_model_free(aae_app_model* model) { delete model; }

const char* aae_app_model_id(const aae_app_model* model) {
  return model == nullptr ? nullptr : model->entry.model_id.c_str();
}

const char* aae_app_model_lib(const aae_app_model* model) {
  return model == nullptr ? nullptr : model->entry.model_lib.c_str();
}

const char* aae_app_model_dir(const aae_app_model* model) {
  return model == nullptr || model->model_dir.empty() ? nullptr : model->model_dir.c_str();
}

const char* aae_app_model_url(const aae_app_model* model) {
  return model == nullptr || model->entry.model_url.empty() ? nullptr
                                                            : model->entry.model_url.c_str();
}

int64_t aae_app_model_estimated_vram_bytes(const aae_app_model* model) {
  return model == nullptr ? 0 : model->entry.estimated_vram_bytes;
}

}  // extern "C"
