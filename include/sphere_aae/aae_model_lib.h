/* The model-library ABI: what a compiled per-model library exports and what the runtime
 * passes in. Plain C, freestanding-safe (stdint.h / stddef.h only), so the generated
 * translation unit, the hosted runtime and any C tool can all include it.
 *
 * A library exports exactly two symbols (see AAE_MODEL_LIB_SYMBOL below):
 *   <model_lib>___aae_model_lib       const AaeModelLib, the descriptor
 *   <model_lib>___aae_model_metadata  const char[], the metadata JSON, NUL-terminated and
 *                                     relocation-free (readable from an object file of any
 *                                     architecture without running it)
 * On Mach-O the linker-level names carry the usual leading '_'.
 *
 * Memory contract:
 *   - params: one pointer per parameter, in the metadata's "params" order (the tensor-cache
 *     record names). Every pointer must be aligned to its element size (4 bytes for
 *     float32/uint32, 2 for float16); the runtime copies a tensor whose mapped address is not.
 *     The library never writes through them and never keeps them beyond a call.
 *   - state: caller-allocated, exactly state_bytes, aligned to AAE_MODEL_LIB_STATE_ALIGN.
 *     It holds the KV cache (first kv_cache_bytes) and the workspace. The library never
 *     allocates. One state = one sequence; calls on one state must not overlap.
 *   - logits: caller-owned float[vocab_size], written with the last token's logits.
 * Positions are absolute token positions; position + n_tokens must be <= context_window_size.
 */
#ifndef SPHERE_AAE_AAE_MODEL_LIB_H_
#define SPHERE_AAE_AAE_MODEL_LIB_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AAE_MODEL_LIB_ABI_VERSION 1
#define AAE_MODEL_LIB_STATE_ALIGN 64

/* CPU feature bits in AaeHostApi.cpu_features, detected by the runtime (the library never
 * probes the CPU itself: __builtin_cpu_supports would import __cpu_model). */
#define AAE_CPU_X86_AVX2 (1ull << 0)
#define AAE_CPU_X86_F16C (1ull << 1)
#define AAE_CPU_X86_FMA (1ull << 2)
#define AAE_CPU_X86_AVX512F (1ull << 3)
#define AAE_CPU_X86_AVX512VNNI (1ull << 4)
#define AAE_CPU_X86_AVX512BW (1ull << 5)
#define AAE_CPU_ARM_NEON (1ull << 16)
#define AAE_CPU_ARM_DOTPROD (1ull << 17)
#define AAE_CPU_ARM_FP16 (1ull << 18)
#define AAE_CPU_ARM_I8MM (1ull << 19)

/* Status codes returned by every entry point. */
typedef enum AaeModelLibStatus {
  AAE_MODEL_LIB_OK = 0,
  AAE_MODEL_LIB_ERR_ABI = 1,          /* host abi_version differs from the library's */
  AAE_MODEL_LIB_ERR_ARGUMENT = 2,     /* null pointer, n_tokens < 1 or > prefill_chunk_size */
  AAE_MODEL_LIB_ERR_CONTEXT = 3,      /* position + n_tokens > context_window_size */
  AAE_MODEL_LIB_ERR_TOKEN = 4,        /* token id outside [0, vocab_size) */
  AAE_MODEL_LIB_ERR_NOT_PREPARED = 5  /* prefill/decode before prepare on this state */
} AaeModelLibStatus;

/* Log levels for AaeHostApi.log. */
#define AAE_LOG_DEBUG 0
#define AAE_LOG_INFO 1
#define AAE_LOG_WARNING 2
#define AAE_LOG_ERROR 3

typedef void (*AaeTaskFn)(void* ctx, int64_t begin, int64_t end);

/* Host services, owned by the runtime and valid for the duration of each call. */
typedef struct AaeHostApi {
  uint32_t abi_version; /* AAE_MODEL_LIB_ABI_VERSION the runtime was built with */
  uint64_t cpu_features; /* AAE_CPU_* bits */
  void* user;            /* passed back to log and parallel_for */
  /* May be null (then the library stays silent). message is NUL-terminated. */
  void (*log)(void* user, int level, const char* message);
  /* Runs task over [0, n) split into disjoint ranges across threads and returns when all are
   * done; may run task(ctx, 0, n) inline. May be null (then the library runs inline). */
  void (*parallel_for)(void* user, int64_t n, AaeTaskFn task, void* ctx);
} AaeHostApi;

/* The descriptor. Every field is constant for the library's lifetime. */
typedef struct AaeModelLib {
  uint32_t abi_version;      /* AAE_MODEL_LIB_ABI_VERSION */
  const char* model_lib;     /* the symbol prefix, e.g. "llama_q4f16_1_0123abcd" */
  const char* metadata_json; /* == <model_lib>___aae_model_metadata */
  uint64_t num_params;       /* entries expected in params */
  uint64_t state_bytes;      /* kv_cache_bytes + workspace_bytes (plus alignment padding) */
  uint64_t kv_cache_bytes;
  uint64_t workspace_bytes;
  int32_t vocab_size;          /* length of the logits array */
  int32_t context_window_size; /* positions [0, context_window_size) are valid */
  int32_t prefill_chunk_size;  /* max n_tokens per prefill call */
  int32_t reserved;
  /* Once per state, before anything else: checks the host ABI, picks SIMD variants from
   * cpu_features, fills the RoPE tables, clears the KV cache. */
  int32_t (*prepare)(const AaeHostApi* host, const void* const* params, void* state);
  /* Forgets every cached position (a new sequence) without redoing prepare's tables. */
  int32_t (*reset)(const AaeHostApi* host, void* state);
  /* Runs tokens[0..n_tokens) at positions position.. ; 1 <= n_tokens <= prefill_chunk_size.
   * Writes the last token's logits (float[vocab_size]) when logits is non-null. */
  int32_t (*prefill)(const AaeHostApi* host, const void* const* params, void* state,
                     const int32_t* tokens, int32_t n_tokens, int32_t position, float* logits);
  /* One token at position; logits as for prefill (required here). */
  int32_t (*decode)(const AaeHostApi* host, const void* const* params, void* state,
                    int32_t token, int32_t position, float* logits);
} AaeModelLib;

/* Names of the two exported symbols for a model_lib prefix written as a bare identifier. */
#define AAE_MODEL_LIB_SYMBOL(prefix) prefix##___aae_model_lib
#define AAE_MODEL_METADATA_SYMBOL(prefix) prefix##___aae_model_metadata

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SPHERE_AAE_AAE_MODEL_LIB_H_ */
