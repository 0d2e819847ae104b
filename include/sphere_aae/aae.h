/* The Astro Agent Edge runtime C API: load a model (weights + tokenizer + model library) and
 * generate text with a streaming callback. Plain C (C99), usable from C, C++, Swift (through
 * the module map `package` writes for iphone) and JNI.
 *
 * Conventions:
 *   - Every function that can fail returns an aae_status; AAE_OK is 0. After a failure,
 *     aae_last_error() describes it (thread-local; valid until the next failing call on the
 *     same thread).
 *   - Objects are opaque handles made by aae_*_create and released by the matching aae_*_free
 *     (free accepts NULL).
 *   - Parameter structs are filled with defaults by aae_*_default_params(); set what you need.
 *   - Strings are UTF-8 and NUL-terminated; the library copies what it keeps.
 *   - One aae_engine runs one sequence; calls on one engine must not overlap. Different
 *     engines are independent.
 */
#ifndef SPHERE_AAE_AAE_H_
#define SPHERE_AAE_AAE_H_

#include <stddef.h>
#include <stdint.h>

#include "sphere_aae/aae_model_lib.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum aae_status {
  AAE_OK = 0,
  AAE_ERR_INVALID_ARGUMENT = 1, /* a NULL handle, a bad parameter value */
  AAE_ERR_NOT_FOUND = 2,        /* a file, model library or model_id is missing */
  AAE_ERR_MISMATCH = 3,         /* weights do not fit the model library; ABI differs */
  AAE_ERR_CONTEXT_OVERFLOW = 4, /* prompt + generation exceed the context window */
  AAE_ERR_CANCELLED = 5,        /* the callback returned non-zero */
  AAE_ERR_FAILED = 6,           /* anything else: see aae_last_error() */
  AAE_ERR_OUT_OF_MEMORY = 7     /* the device lacks the memory a model needs */
} aae_status;

/* The message of the last failure on this thread ("" when none). */
const char* aae_last_error(void);
/* The runtime's version, e.g. "0.1.0". */
const char* aae_version(void);

typedef struct aae_engine aae_engine;

typedef struct aae_engine_params {
  const char* model_dir;      /* required: holds the chat config, tensor cache, tokenizer */
  /* Exactly one of the next two: a shared object written by `sphere_aae compile` (desktop),
   * or a descriptor linked into the app (see aae_system_model_lib). */
  const char* model_lib_path;
  const AaeModelLib* model_lib;
  int32_t num_threads;        /* 0: one per core */
} aae_engine_params;

void aae_engine_default_params(aae_engine_params* params);
aae_status aae_engine_create(const aae_engine_params* params, aae_engine** out_engine);
void aae_engine_free(aae_engine* engine);

typedef struct aae_generate_params {
  int32_t max_tokens;         /* default 256; generation also stops at an EOS token */
  float temperature;          /* default: the model's chat config; 0 = greedy */
  float top_p;                /* default: the model's chat config (1 = off) */
  int32_t top_k;              /* default 0 = off */
  float repetition_penalty;   /* default: the model's chat config (1 = off) */
  uint64_t seed;              /* default 0; same seed + params + prompt = same text */
  int32_t add_bos;            /* default 1: start with the model's BOS token */
} aae_generate_params;

/* Fills from the engine's chat config where the comments above say so; engine may be NULL
 * (then temperature 1, top_p 1, repetition_penalty 1). */
void aae_generate_default_params(const aae_engine* engine, aae_generate_params* params);

/* Receives each new piece of text as soon as it is complete UTF-8 (never half a character).
 * `text` is not NUL-terminated and only valid during the call. Return 0 to continue,
 * non-zero to stop (aae_engine_generate then returns AAE_ERR_CANCELLED). */
typedef int (*aae_text_callback)(void* user, const char* text, size_t length);

/* Raw completion: tokens = [bos] + encode(prompt), no conversation template. Starts a new
 * sequence each call. `callback` may be NULL. n_generated (may be NULL) receives the number
 * of tokens generated. */
aae_status aae_engine_generate(aae_engine* engine, const char* prompt,
                               const aae_generate_params* params, aae_text_callback callback,
                               void* user, int32_t* n_generated);

/* Statically linked model libraries (phones): defined by the registry object inside
 * libmodel_<device>.a that `sphere_aae package` writes, so referencing it pulls exactly the
 * registered libraries into the app. Returns NULL for an unknown name. Not in the runtime
 * library itself: link libmodel_<device>.a to use it. */
const AaeModelLib* aae_system_model_lib(const char* model_lib);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SPHERE_AAE_AAE_H_ */
