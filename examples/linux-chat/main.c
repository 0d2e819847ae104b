/* linux-chat: answers a prompt with a model from a `sphere_aae package` output.
 *
 *   linux-chat BUNDLE_DIR MODEL_ID PROMPT [MAX_TOKENS]
 *
 * BUNDLE_DIR is dist/bundle (it holds sphere-aae-app-config.json and the bundled weights); the
 * model library comes from libmodel_linux.a, linked into this program, found by its model_lib
 * name through aae_system_model_lib(). Text streams to stdout as it is generated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sphere_aae/aae.h"
#include "sphere_aae/aae_app_config.h"

static int print_text(void* user, const char* text, size_t length) {
  (void)user;
  fwrite(text, 1, length, stdout);
  fflush(stdout);
  return 0; /* keep going */
}

static int fail(const char* what) {
  fprintf(stderr, "linux-chat: %s: %s\n", what, aae_last_error());
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 4 || argc > 5) {
    fprintf(stderr, "usage: %s BUNDLE_DIR MODEL_ID PROMPT [MAX_TOKENS]\n", argv[0]);
    return 2;
  }
  char config_path[4096];
  snprintf(config_path, sizeof config_path, "%s/sphere-aae-app-config.json", argv[1]);

  aae_app_model* model = NULL;
  if (aae_app_config_find(config_path, argv[2], &model) != AAE_OK) return fail("app config");
  if (aae_app_model_dir(model) == NULL) {
    fprintf(stderr, "linux-chat: model %s is not bundled (download it from %s)\n", argv[2],
            aae_app_model_url(model));
    aae_app_model_free(model);
    return 1;
  }

  aae_engine_params params;
  aae_engine_default_params(&params);
  params.model_dir = aae_app_model_dir(model);
  params.model_lib = aae_system_model_lib(aae_app_model_lib(model));
  if (params.model_lib == NULL) {
    fprintf(stderr, "linux-chat: model library %s is not linked into this app\n",
            aae_app_model_lib(model));
    aae_app_model_free(model);
    return 1;
  }
  aae_engine* engine = NULL;
  aae_status status = aae_engine_create(&params, &engine);
  aae_app_model_free(model);
  if (status != AAE_OK) return fail("loading the model");

  aae_generate_params gen;
  aae_generate_default_params(engine, &gen);
  gen.temperature = 0; /* greedy: the same prompt gives the same answer */
  if (argc == 5) gen.max_tokens = atoi(argv[4]);
  int32_t generated = 0;
  status = aae_engine_generate(engine, argv[3], &gen, print_text, NULL, &generated);
  printf("\n");
  aae_engine_free(engine);
  if (status != AAE_OK) return fail("generating");
  return 0;
}
