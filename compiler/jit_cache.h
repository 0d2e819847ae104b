// The JIT model-library cache (docs/jit-cache.md): compiles a model directory's library once
// and reuses it from $SPHERE_AAE_HOME/model_lib/ while nothing that changes the output changed.
//
// Layout, flat under <home>/model_lib/:
//   <key><kind>       the library (".so", ".a" or ".o"); renamed into place last
//   <key>.json        the sidecar: every key input plus created time and compile seconds
//   .locks/<key>.lock flock taken while compiling or removing that key
//   .tmp-<key>-<pid>/ work dir of a compile in progress (or killed); removed under the lock
// An entry is a hit only when both the library and a sidecar naming the same key exist, so a
// compile killed at any point never leaves something that is used.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/compile_model_lib.h"
#include "runtime/base/status.h"

namespace aae {

// SPHERE_AAE_JIT_POLICY. ON: use the cache, compile on a miss. OFF: never compile (an explicit
// library is needed). REDO: always compile and replace the entry. READONLY: use the cache, a
// miss is an error.
enum class JitPolicy { kOn, kOff, kRedo, kReadOnly };

// "ON" / "OFF" / "REDO" / "READONLY", case-insensitive; empty means ON. Errors name the four.
Result<JitPolicy> parse_jit_policy(std::string_view text);
const char* jit_policy_name(JitPolicy policy);
// parse_jit_policy($SPHERE_AAE_JIT_POLICY).
Result<JitPolicy> jit_policy_from_env();

struct JitRequest {
  CompileRequest base;     // model_dir, device, overrides, system_lib_prefix, source_dir; output ignored
  std::string kind = ".so";  // ".so" (linux devices), ".a" or ".o"
  // Appended to model_lib_flags() for the object compile; part of the key. Empty normally.
  std::vector<std::string> extra_flags;
  std::filesystem::path home;  // cache root; empty: aae_home_from_env()
  // Called (may be empty) before blocking on a key another process is compiling.
  std::function<void(const std::string&)> on_wait;
};

struct JitResult {
  std::string path;         // the cached library (inside the cache: do not modify or delete)
  std::string model_lib;    // symbol prefix
  bool hit = false;
  std::string key;          // 32 hex chars
  std::string miss_reason;  // empty on a hit
  double seconds = 0;       // wall time of the whole call (compile included on a miss)
};

// Everything the key covers, resolved for one request. The source dir's location is not part
// of it (its files' bytes are), so the same checkout moved elsewhere still hits.
struct JitKeyInputs {
  std::string tool_version;         // SPHERE_AAE_VERSION_STRING
  std::string source_hash;          // model_lib_source_hash()
  std::string compiler_path;        // as found (find_clang)
  std::string compiler_version;     // first line of --version
  std::vector<std::string> flags;   // model_lib_flags(target, "$SOURCE_DIR") + extra_flags
  std::string device;
  std::string target;               // triple
  std::string kind;                 // ".so", ".a", ".o"
  std::string model_lib;
  std::string overrides;            // overrides_hash_string
  std::string generated_source_md5; // the TU: covers the model config after overrides

  // One "name=value" line per input, in the order above: what the key hashes.
  std::string canonical_text() const;
  // md5 hex of canonical_text().
  std::string key() const;
};

// md5 over every regular file under <source_dir>/modellib and <source_dir>/include/sphere_aae:
// for each, sorted by path relative to source_dir: path, NUL, size, NUL, bytes.
Result<std::string> model_lib_source_hash(const std::string& source_dir);

// <home>/model_lib and the entry paths of a key.
std::filesystem::path model_lib_cache_root(const std::filesystem::path& home);
std::filesystem::path model_lib_entry_path(const std::filesystem::path& home,
                                           const std::string& key, std::string_view kind);
std::filesystem::path model_lib_sidecar_path(const std::filesystem::path& home,
                                             const std::string& key);
std::filesystem::path model_lib_lock_path(const std::filesystem::path& home,
                                          const std::string& key);

// What a request resolves to without compiling (for plans and dry runs). Runs the compiler's
// --version only.
struct JitLookup {
  JitKeyInputs inputs;
  std::string key;
  std::string path;         // where the library is or would be
  bool hit = false;
  std::string miss_reason;  // empty on a hit; names what differs from a near entry if any
};
Result<JitLookup> jit_lookup(const JitRequest& request);

// Resolves the key, then per `policy` returns the cached library or compiles and installs it.
// Concurrent calls for one key compile once: the others wait on the key's lock, then hit.
Result<JitResult> jit_compile(const JitRequest& request, JitPolicy policy);

// The cached shared object for the build host ("linux", ".so") under jit_policy_from_env():
// what the CLI loads when no explicit library is given.
Result<std::string> host_model_lib(const std::string& model_dir,
                                   const ModelLibOverrides& overrides,
                                   const std::string& source_dir);

}  // namespace aae
