/* Reading the app config that `sphere_aae package` writes (dist/bundle/sphere-aae-app-config.json;
 * MLC's mlc-app-config.json reads too): list its models and load one by model_id.
 *
 *   aae_app_config* c = NULL;
 *   if (aae_app_config_open("bundle/sphere-aae-app-config.json", &c) != AAE_OK) ...
 *   for (int32_t i = 0; i < aae_app_config_model_count(c); ++i) ... aae_app_config_model_id(c, i)
 *   aae_engine* engine = NULL;
 *   aae_status s = aae_app_config_load(c, "my-model", downloads_dir, NULL, &engine);
 *   aae_app_config_free(c);   (the engine does not need the config)
 *
 * The lower-level lookup below (aae_app_config_find) leaves loading to the caller:
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

typedef struct aae_app_config aae_app_config;

/* Reads and parses the app config. AAE_ERR_NOT_FOUND when the file is missing,
 * AAE_ERR_FAILED when it is not a valid app config (aae_last_error() names the JSON path). */
aae_status aae_app_config_open(const char* app_config_path, aae_app_config** out);
void aae_app_config_free(aae_app_config* config);

/* The number of models in model_list (0 for NULL), and the model_id of entry `index`, in file
 * order (NULL when index is out of range). The string lives as long as the config. */
int32_t aae_app_config_model_count(const aae_app_config* config);
const char* aae_app_config_model_id(const aae_app_config* config, int32_t index);

/* Loads model_id into a new engine (release it with aae_engine_free).
 *
 * Weights: a model_path entry loads the bundled folder (model_path is relative to the app
 * config's folder); a model_url entry loads <downloads_dir>/<model_id>/, where the app put the
 * weights it downloaded from model_url (downloads_dir may be NULL for bundled-only apps).
 *
 * Model library: params->model_lib or params->model_lib_path when set, else
 * aae_system_model_lib(<the entry's model_lib>) from libmodel_<device>.a linked into the app.
 * The runtime references aae_system_model_lib weakly, so it links without libmodel; note that a
 * weak reference does not pull an archive member in by itself, so an app that never calls
 * aae_system_model_lib directly links libmodel with -Wl,-u,aae_system_model_lib (Apple:
 * -Wl,-u,_aae_system_model_lib) or whole-archive.
 *
 * params may be NULL (defaults); its model_dir is ignored. Before creating the engine the
 * entry's estimated_vram_bytes is compared with the memory available to the app.
 *
 * Returns:
 *   AAE_ERR_INVALID_ARGUMENT  NULL config/model_id/out_engine, or a model_url entry with no
 *                             downloads_dir;
 *   AAE_ERR_NOT_FOUND         unknown model_id (aae_last_error() lists the ids), missing
 *                             weights (names the folder expected), or the model library is
 *                             not linked into the app (names the library);
 *   AAE_ERR_OUT_OF_MEMORY     available memory below estimated_vram_bytes (names both sizes
 *                             and the model_id);
 *   otherwise what aae_engine_create returns. */
aae_status aae_app_config_load(const aae_app_config* config, const char* model_id,
                               const char* downloads_dir, const aae_engine_params* params,
                               aae_engine** out_engine);

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
