// The JIT cache in one process: hits never run the compiler, every key input makes a miss,
// and the four policies. Process-level behaviour (locking, kill -9): jit_cache_process_test.cc.
#include "compiler/jit_cache.h"

#include <dlfcn.h>

#include <cstdio>
#include <filesystem>

#include <gtest/gtest.h>

#include "compiler/jit_cache_inventory.h"
#include "compiler/jit_cache_test_support.h"

namespace aae {
namespace {

namespace fs = std::filesystem;
using testing::JitCacheTest;

// Compiles `req` under ON and expects success.
JitResult compile_ok(const JitRequest& req, JitPolicy policy = JitPolicy::kOn) {
  auto result = jit_compile(req, policy);
  EXPECT_TRUE(result.ok()) << result.error().to_string();
  if (!result.ok()) return {};
  std::printf("[jit] %s %s in %.3f s%s%s\n", result->hit ? "hit" : "miss", result->key.c_str(),
              result->seconds, result->hit ? "" : ": ", result->miss_reason.c_str());
  return *result;
}

TEST(JitPolicy, ParsesTheFourValuesAndRejectsOthersNamingThem) {
  EXPECT_EQ(parse_jit_policy("").value(), JitPolicy::kOn);
  EXPECT_EQ(parse_jit_policy("on").value(), JitPolicy::kOn);
  EXPECT_EQ(parse_jit_policy("OFF").value(), JitPolicy::kOff);
  EXPECT_EQ(parse_jit_policy("Redo").value(), JitPolicy::kRedo);
  EXPECT_EQ(parse_jit_policy("READONLY").value(), JitPolicy::kReadOnly);
  auto bad = parse_jit_policy("sometimes");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("sometimes"), std::string::npos);
  EXPECT_NE(bad.error().hint().find("ON, OFF, REDO, READONLY"), std::string::npos);
  ::setenv("SPHERE_AAE_JIT_POLICY", "bogus", 1);
  EXPECT_FALSE(jit_policy_from_env().ok());
  ::setenv("SPHERE_AAE_JIT_POLICY", "readonly", 1);
  EXPECT_EQ(jit_policy_from_env().value(), JitPolicy::kReadOnly);
  ::unsetenv("SPHERE_AAE_JIT_POLICY");
}

TEST_F(JitCacheTest, SecondCompileIsAHitWithoutRunningTheCompiler) {
  JitResult first = compile_ok(request());
  EXPECT_FALSE(first.hit);
  EXPECT_EQ(compile_count(), 1);
  EXPECT_TRUE(fs::is_regular_file(first.path));
  EXPECT_EQ(cache_listing(), first.key + ".json\n" + first.key + ".so\n");
  const std::string log = log_text();
  const std::string listing = cache_listing();

  JitResult second = compile_ok(request());
  EXPECT_TRUE(second.hit);
  EXPECT_TRUE(second.miss_reason.empty());
  EXPECT_EQ(second.key, first.key);
  EXPECT_EQ(second.path, first.path);
  EXPECT_EQ(log_text(), log);
  EXPECT_EQ(cache_listing(), listing);

  // The cached library is a working model library.
  void* handle = dlopen(second.path.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << dlerror();
  EXPECT_NE(dlsym(handle, (second.model_lib + "___aae_model_lib").c_str()), nullptr);
  dlclose(handle);
}

TEST_F(JitCacheTest, SidecarRecordsTheInputs) {
  JitResult r = compile_ok(request());
  const std::string sidecar = testing::read_file(model_lib_sidecar_path(home(), r.key));
  auto j = nlohmann::json::parse(sidecar);
  EXPECT_EQ(j["key"], r.key);
  EXPECT_EQ(j["model_lib"], r.model_lib);
  EXPECT_EQ(j["kind"], ".so");
  EXPECT_EQ(j["library"], r.key + ".so");
  EXPECT_EQ(j["compiler"]["version"], "clang version 99.0.0 (jit cache test stand-in)");
  EXPECT_EQ(j["compiler"]["path"], standin());
  EXPECT_TRUE(j["flags"].is_array());
  EXPECT_FALSE(j["created"].get<std::string>().empty());
  EXPECT_GT(j["compile_seconds"].get<double>(), 0.0);
}

TEST_F(JitCacheTest, ChangedCompilerVersionIsAMissThatRecompiles) {
  JitResult first = compile_ok(request());
  write_standin("clang version 99.0.1 (jit cache test stand-in)");
  JitResult second = compile_ok(request());
  EXPECT_FALSE(second.hit);
  EXPECT_NE(second.key, first.key);
  EXPECT_NE(second.miss_reason.find("compiler version"), std::string::npos) << second.miss_reason;
  EXPECT_EQ(compile_count(), 2);
  EXPECT_TRUE(fs::exists(first.path));  // the old entry stays; clean removes it
}

TEST_F(JitCacheTest, ChangedFlagOverrideOrSourceByteIsAMiss) {
  JitResult base = compile_ok(request());

  JitRequest flagged = request();
  flagged.extra_flags = {"-DAAE_JIT_CACHE_TEST_FLAG=1"};
  auto by_flag = jit_lookup(flagged);
  ASSERT_TRUE(by_flag.ok()) << by_flag.error().to_string();
  EXPECT_FALSE(by_flag->hit);
  EXPECT_NE(by_flag->key, base.key);
  EXPECT_NE(by_flag->miss_reason.find("flags"), std::string::npos) << by_flag->miss_reason;

  JitRequest overridden = request();
  overridden.base.overrides.context_window_size = 64;
  auto by_override = jit_lookup(overridden);
  ASSERT_TRUE(by_override.ok()) << by_override.error().to_string();
  EXPECT_FALSE(by_override->hit);
  EXPECT_NE(by_override->key, base.key);

  // Same override under an explicit name: only the generated source tells them apart.
  JitRequest named = overridden;
  named.base.system_lib_prefix = "jit_test_lib";
  JitRequest named_base = request();
  named_base.base.system_lib_prefix = "jit_test_lib";
  EXPECT_NE(jit_lookup(named).value().key, jit_lookup(named_base).value().key);

  auto same = jit_lookup(request());
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->hit);
  const fs::path header = sources() / "modellib" / "arch" / "llama.h";
  testing::write_file(header, testing::read_file(header) + " ");
  auto by_source = jit_lookup(request());
  ASSERT_TRUE(by_source.ok()) << by_source.error().to_string();
  EXPECT_FALSE(by_source->hit);
  EXPECT_NE(by_source->key, base.key);
  EXPECT_NE(by_source->miss_reason.find("model-library sources"), std::string::npos)
      << by_source->miss_reason;
  EXPECT_EQ(compile_count(), 1);  // lookups never compile
}

TEST_F(JitCacheTest, ExtraFlagsReachTheCompiler) {
  JitRequest flagged = request();
  flagged.extra_flags = {"-DAAE_JIT_CACHE_TEST_FLAG=1"};
  JitResult r = compile_ok(flagged);
  EXPECT_FALSE(r.hit);
  EXPECT_NE(log_text().find("-DAAE_JIT_CACHE_TEST_FLAG=1"), std::string::npos) << log_text();
}

TEST_F(JitCacheTest, RedoRecompilesAndReplacesTheEntry) {
  JitResult first = compile_ok(request());
  JitResult redo = compile_ok(request(), JitPolicy::kRedo);
  EXPECT_FALSE(redo.hit);
  EXPECT_EQ(redo.key, first.key);
  EXPECT_EQ(compile_count(), 2);
  EXPECT_EQ(cache_listing(), first.key + ".json\n" + first.key + ".so\n");
}

TEST_F(JitCacheTest, ReadOnlyHitsButAMissIsAnErrorNamingTheKeyInputs) {
  auto miss = jit_compile(request(), JitPolicy::kReadOnly);
  ASSERT_FALSE(miss.ok());
  const std::string text = miss.error().to_string();
  EXPECT_NE(text.find("READONLY"), std::string::npos) << text;
  EXPECT_NE(text.find("compiler_version="), std::string::npos) << text;
  EXPECT_NE(text.find("source_hash="), std::string::npos) << text;
  EXPECT_EQ(miss.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(compile_count(), 0);

  JitResult built = compile_ok(request());
  JitResult hit = compile_ok(request(), JitPolicy::kReadOnly);
  EXPECT_TRUE(hit.hit);
  EXPECT_EQ(hit.path, built.path);
}

TEST_F(JitCacheTest, OffNeverCompilesAndAsksForAnExplicitLibrary) {
  auto off = jit_compile(request(), JitPolicy::kOff);
  ASSERT_FALSE(off.ok());
  EXPECT_NE(off.error().message().find("explicit library"), std::string::npos)
      << off.error().to_string();
  EXPECT_EQ(compile_count(), 0);
  EXPECT_FALSE(fs::exists(home() / "model_lib"));
}

TEST_F(JitCacheTest, LibraryWithoutSidecarIsNotAHit) {
  JitResult first = compile_ok(request());
  fs::remove(model_lib_sidecar_path(home(), first.key));
  auto lookup = jit_lookup(request());
  ASSERT_TRUE(lookup.ok());
  EXPECT_FALSE(lookup->hit);
  JitResult again = compile_ok(request());
  EXPECT_FALSE(again.hit);
  EXPECT_EQ(compile_count(), 2);
}

TEST_F(JitCacheTest, InventoryListsAndRemovesEntriesByNameOrKey) {
  JitResult r = compile_ok(request());
  auto all = list_model_lib_cache(home());
  ASSERT_TRUE(all.ok()) << all.error().to_string();
  ASSERT_EQ(all->size(), 1u);
  const ModelLibCacheEntry& e = all->front();
  EXPECT_EQ(e.key, r.key);
  EXPECT_EQ(e.model_lib, r.model_lib);
  EXPECT_EQ(e.device, "linux");
  EXPECT_EQ(e.status, ModelLibEntryStatus::kComplete);
  EXPECT_GT(e.bytes, 0);
  EXPECT_EQ(model_lib_entries_matching(*all, r.model_lib).size(), 1u);
  EXPECT_EQ(model_lib_entries_matching(*all, r.key).size(), 1u);
  EXPECT_TRUE(model_lib_entries_matching(*all, "nope").empty());
  ASSERT_TRUE(remove_model_lib_entry(home(), e, nullptr).ok());
  EXPECT_EQ(cache_listing(), "");
  EXPECT_TRUE(list_model_lib_cache(home()).value().empty());
}

TEST_F(JitCacheTest, HostModelLibHonoursThePolicyFromTheEnvironment) {
  ::setenv("SPHERE_AAE_HOME", home().c_str(), 1);
  ::setenv("SPHERE_AAE_JIT_POLICY", "OFF", 1);
  ModelLibOverrides overrides;
  overrides.context_window_size = 32;
  EXPECT_FALSE(host_model_lib(model_dir().string(), overrides, sources().string()).ok());
  ::unsetenv("SPHERE_AAE_JIT_POLICY");
  auto path = host_model_lib(model_dir().string(), overrides, sources().string());
  ::unsetenv("SPHERE_AAE_HOME");
  ASSERT_TRUE(path.ok()) << path.error().to_string();
  EXPECT_EQ(fs::path(*path).parent_path(), home() / "model_lib");
  EXPECT_EQ(fs::path(*path).extension(), ".so");
  EXPECT_EQ(compile_count(), 1);
}

TEST(ModelLibSourceHash, CoversEveryFileByRelativePathAndBytes) {
  testing::ScratchDir dir;
  fs::create_directories(dir / "modellib/arch");
  fs::create_directories(dir / "include/sphere_aae");
  testing::write_file(dir / "modellib/arch/a.h", "a");
  testing::write_file(dir / "include/sphere_aae/b.h", "b");
  const std::string base = model_lib_source_hash(dir.path().string()).value();
  EXPECT_EQ(model_lib_source_hash(dir.path().string()).value(), base);
  testing::write_file(dir / "modellib/arch/a.h", "A");
  const std::string changed = model_lib_source_hash(dir.path().string()).value();
  EXPECT_NE(changed, base);
  testing::write_file(dir / "modellib/arch/a.h", "a");
  fs::rename(dir / "modellib/arch/a.h", dir / "modellib/arch/c.h");
  EXPECT_NE(model_lib_source_hash(dir.path().string()).value(), base);
  EXPECT_FALSE(model_lib_source_hash((dir / "missing").string()).ok());
}

}  // namespace
}  // namespace aae
