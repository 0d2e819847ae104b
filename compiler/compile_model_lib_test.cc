#include "compiler/compile_model_lib.h"
#include "compiler/small_model_test_config.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/object_reader.h"
#include "compiler/tinyllama_test_config.h"
#include "compiler/toolchain.h"
#include "include/sphere_aae/aae_model_lib.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

std::string checkout() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().string();
}

void write_small_model(const testing::ScratchDir& dir) {
  testing::write_file(dir / "mlc-chat-config.json", testing::small_chat_config().dump(2));
}

TEST(CompileModelLib, SourceDirComesFromFlagThenEnvironment) {
  EXPECT_TRUE(find_model_lib_source_dir(checkout()).ok());
  auto bad = find_model_lib_source_dir("/nonexistent-dir");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("/nonexistent-dir"), std::string::npos);
  setenv("SPHERE_AAE_SOURCE_DIR", checkout().c_str(), 1);
  EXPECT_EQ(find_model_lib_source_dir("").value(), checkout());
  unsetenv("SPHERE_AAE_SOURCE_DIR");
  EXPECT_FALSE(find_model_lib_source_dir("").ok());
}

TEST(CompileModelLib, BuildsAHostSharedObjectThatRuns) {
  if (!find_clang().ok()) GTEST_SKIP() << "clang++ not found";
  testing::ScratchDir dir;
  write_small_model(dir);
  CompileRequest req;
  req.model_dir = dir.path().string();
  req.device = "linux";
  req.output = (dir / "lib.so").string();
  req.overrides.context_window_size = 32;
  req.source_dir = checkout();
  auto out = compile_model_lib(req);
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  // Nothing but the output is left beside it.
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) entries += !e.path().empty();
  EXPECT_EQ(entries, 2);  // mlc-chat-config.json, lib.so

  auto objects = read_objects(out->output);
  ASSERT_TRUE(objects.ok()) << objects.error().to_string();
  EXPECT_TRUE(objects->front().shared_object);
  auto meta = find_symbol_bytes(*objects, out->model_lib + "___aae_model_metadata");
  ASSERT_TRUE(meta.ok()) << meta.error().to_string();
  EXPECT_NE(meta->find("\"context_window_size\":32"), std::string::npos);

  void* handle = dlopen(out->output.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << dlerror();
  auto* lib = static_cast<const AaeModelLib*>(
      dlsym(handle, (out->model_lib + "___aae_model_lib").c_str()));
  ASSERT_NE(lib, nullptr);
  EXPECT_EQ(lib->abi_version, static_cast<uint32_t>(AAE_MODEL_LIB_ABI_VERSION));
  EXPECT_EQ(lib->context_window_size, 32);
  std::vector<uint32_t> zeros(100 * 96, 0);  // large enough for every parameter
  std::vector<const void*> params(lib->num_params, zeros.data());
  std::vector<uint64_t> state(lib->state_bytes / 8 + 8);
  AaeHostApi host = {AAE_MODEL_LIB_ABI_VERSION, 0, nullptr, nullptr, nullptr};
  void* aligned = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(state.data()) + 63) &
                                          ~uintptr_t{63});
  ASSERT_EQ(lib->prepare(&host, params.data(), aligned), AAE_MODEL_LIB_OK);
  std::vector<float> logits(lib->vocab_size, 1.0f);
  ASSERT_EQ(lib->decode(&host, params.data(), aligned, 3, 0, logits.data()), AAE_MODEL_LIB_OK);
  for (float v : logits) EXPECT_EQ(v, 0.0f);
  EXPECT_EQ(lib->decode(&host, params.data(), aligned, 3, 32, logits.data()),
            AAE_MODEL_LIB_ERR_CONTEXT);
  dlclose(handle);
}

TEST(CompileModelLib, RefusesSharedObjectsForPhonesAndUnknownOutputs) {
  testing::ScratchDir dir;
  write_small_model(dir);
  CompileRequest req;
  req.model_dir = dir.path().string();
  req.device = "iphone";
  req.output = (dir / "lib.so").string();
  req.source_dir = checkout();
  auto r = compile_model_lib(req);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().hint().find(".a"), std::string::npos);
  req.output = (dir / "lib.dylib").string();
  EXPECT_FALSE(compile_model_lib(req).ok());
}

TEST(CompileModelLib, BuildsADarwinArchiveForIphone) {
  if (!find_clang().ok()) GTEST_SKIP() << "clang++ not found";
  if (!run_process({"llvm-ar", "--version"}).ok()) GTEST_SKIP() << "llvm-ar not found";
  testing::ScratchDir dir;
  write_small_model(dir);
  CompileRequest req;
  req.model_dir = dir.path().string();
  req.device = "iphone";
  req.output = (dir / "libmodel.a").string();
  req.system_lib_prefix = "small-llama_";
  req.source_dir = checkout();
  auto out = compile_model_lib(req);
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  EXPECT_EQ(out->model_lib, "small_llama");
  auto objects = read_objects(out->output);
  ASSERT_TRUE(objects.ok()) << objects.error().to_string();
  EXPECT_EQ(objects->front().format, ObjectFormat::kMachO);
  EXPECT_TRUE(find_symbol_bytes(*objects, "_small_llama___aae_model_metadata").ok());
}

}  // namespace
}  // namespace aae
