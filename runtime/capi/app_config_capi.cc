// The app-config part of the C API (include/sphere_aae/aae_app_config.h).
#include "sphere_aae/aae_app_config.h"

#include <filesystem>
#include <string>

#include "runtime/capi/capi_support.h"
#include "runtime/format/app_config.h"

struct aae_app_model {
  aae::AppConfigEntry entry;
  std::string model_dir;  // model_path resolved against the app config's folder; "" if remote
};

extern "C" {

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
