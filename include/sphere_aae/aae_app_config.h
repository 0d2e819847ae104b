/* Reading the app config that `sphere_aae package` writes (dist/bundle/sphere-aae-app-config.json;
 * MLC's mlc-app-config.json reads too): find a model by model_id, then load it.
 *
 *   aae_app_model* m = NULL;
 *   if (aae_app_config_find("bundle/sphere-aae-app-config.json", "my-model", &m) != AAE_OK) ...
 *   aae_engine_params p;
 *   aae_engine_default_params(&p);
 *   p.model_dir = aae_app_model_dir(m);                        (NULL: weights not bundled)
 *   p.model_lib = aae_system_model_lib(aae_app_model_lib(m));  (from libmodel_<device>.a)
 *   ... aae_engine_create(&p, &engine) ...; aae_app_model_free(m);
 */
#ifndef SPHERE_AAE_AAE_APP_CONFIG_H_
#define SPHERE_AAE_AAE_APP_CONFIG_H_

#include <stdint.h>

#include "sphere_aae/aae.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct aae_app_model aae_app_model;

/* Reads the app config at `app_config_path` and finds `model_id`. AAE_ERR_NOT_FOUND when the
 * file or the model_id is missing (aae_last_error() lists the model_ids there are). */
aae_status aae_app_config_find(const char* app_config_path, const char* model_id,
                               aae_app_model** out_model);
void aae_app_model_free(aae_app_model* model);

const char* aae_app_model_id(const aae_app_model* model);
/* The model_lib name, to look up with aae_system_model_lib(). */
const char* aae_app_model_lib(const aae_app_model* model);
/* The bundled weights' folder (model_path resolved against the app config's folder), or NULL
 * when the app config gives a model_url instead (the app downloads those weights). */
const char* aae_app_model_dir(const aae_app_model* model);
/* The download URL, or NULL for bundled weights. */
const char* aae_app_model_url(const aae_app_model* model);
int64_t aae_app_model_estimated_vram_bytes(const aae_app_model* model);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SPHERE_AAE_AAE_APP_CONFIG_H_ */
