/* A C99 program over include/sphere_aae/aae.h, compiled as C (tests/CMakeLists.txt) so the
 * header is proven plain C, and run by tests/c_api_test.cc.
 *
 *   c_api_smoke generate MODEL_DIR LIB_PATH MAX_TOKENS PROMPT
 *       greedy generation; the text to stdout, "n_generated=N" to stderr; exit 0 on AAE_OK.
 *   c_api_smoke cancel MODEL_DIR LIB_PATH PIECES
 *       stops through the callback after PIECES pieces; prints "status=S n_generated=N
 *       error=..." to stdout; exit 0 when the status is AAE_ERR_CANCELLED.
 *   c_api_smoke bad-dir MODEL_DIR
 *       aae_engine_create on a directory that does not exist; prints "status=S" and the last
 *       error to stdout; exit 0 when creation failed with a non-empty message and no engine.
 *   c_api_smoke version
 *       prints aae_version().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sphere_aae/aae.h"

static int write_piece(void* user, const char* text, size_t length) {
  (void)user;
  fwrite(text, 1, length, stdout);
  fflush(stdout);
  return 0;
}

typedef struct CancelState {
  int pieces_left;
} CancelState;

static int cancel_after(void* user, const char* text, size_t length) {
  CancelState* state = (CancelState*)user;
  (void)text;
  (void)length;
  state->pieces_left -= 1;
  return state->pieces_left <= 0 ? 1 : 0;
}

static aae_engine* open_engine(const char* model_dir, const char* lib_path) {
  aae_engine_params params;
  aae_engine* engine = NULL;
  aae_status status;
  aae_engine_default_params(&params);
  params.model_dir = model_dir;
  params.model_lib_path = lib_path;
  params.num_threads = 1;
  status = aae_engine_create(&params, &engine);
  if (status != AAE_OK) {
    fprintf(stderr, "aae_engine_create failed (%d): %s\n", (int)status, aae_last_error());
    return NULL;
  }
  return engine;
}

static int run_generate(const char* model_dir, const char* lib_path, int max_tokens,
                        const char* prompt) {
  aae_generate_params params;
  int32_t n_generated = -1;
  aae_status status;
  aae_engine* engine = open_engine(model_dir, lib_path);
  if (engine == NULL) return 1;
  aae_generate_default_params(engine, &params);
  params.max_tokens = max_tokens;
  params.temperature = 0.0f;
  status = aae_engine_generate(engine, prompt, &params, write_piece, NULL, &n_generated);
  fprintf(stderr, "n_generated=%d\n", (int)n_generated);
  if (status != AAE_OK) fprintf(stderr, "aae_engine_generate failed (%d): %s\n", (int)status,
                                aae_last_error());
  aae_engine_free(engine);
  return status == AAE_OK ? 0 : 1;
}

static int run_cancel(const char* model_dir, const char* lib_path, int pieces) {
  aae_generate_params params;
  CancelState state;
  int32_t n_generated = -1;
  aae_status status;
  aae_engine* engine = open_engine(model_dir, lib_path);
  if (engine == NULL) return 1;
  aae_generate_default_params(engine, &params);
  params.temperature = 0.0f;
  params.max_tokens = 100;
  state.pieces_left = pieces;
  status = aae_engine_generate(engine, "", &params, cancel_after, &state, &n_generated);
  printf("status=%d n_generated=%d error=%s\n", (int)status, (int)n_generated, aae_last_error());
  aae_engine_free(engine);
  return status == AAE_ERR_CANCELLED ? 0 : 1;
}

static int run_bad_dir(const char* model_dir) {
  aae_engine_params params;
  aae_engine* engine = (aae_engine*)&params; /* must be reset to NULL on failure */
  aae_status status;
  if (aae_last_error()[0] != '\0') {
    printf("aae_last_error is not empty before any failure\n");
    return 1;
  }
  aae_engine_default_params(&params);
  params.model_dir = model_dir;
  params.model_lib_path = "/nonexistent/model_lib.so";
  status = aae_engine_create(&params, &engine);
  printf("status=%d\n%s\n", (int)status, aae_last_error());
  return (status != AAE_OK && engine == NULL && aae_last_error()[0] != '\0') ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc >= 2 && strcmp(argv[1], "version") == 0) {
    printf("%s\n", aae_version());
    return 0;
  }
  if (argc == 6 && strcmp(argv[1], "generate") == 0)
    return run_generate(argv[2], argv[3], atoi(argv[4]), argv[5]);
  if (argc == 5 && strcmp(argv[1], "cancel") == 0)
    return run_cancel(argv[2], argv[3], atoi(argv[4]));
  if (argc == 3 && strcmp(argv[1], "bad-dir") == 0) return run_bad_dir(argv[2]);
  fprintf(stderr, "usage: c_api_smoke generate|cancel|bad-dir|version ...\n");
  return 2;
}
