// Loading models through the app config with the C API (include/sphere_aae/aae_app_config.h),
// in-process: listing model ids, bundled and downloaded weights, missing downloads, the memory
// refusal (made deterministic with SPHERE_AAE_AVAILABLE_MEMORY_BYTES) and a missing model
// library. Loads use stories260K converted and compiled by the real CLI.
#include <stdlib.h>

#include <filesystem>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "sphere_aae/aae.h"
#include "sphere_aae/aae_app_config.h"
#include "tests/stories260k_model.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

namespace fs = std::filesystem;

constexpr const char* kMemoryEnv = "SPHERE_AAE_AVAILABLE_MEMORY_BYTES";

// Sets the available-memory override for one test and restores the previous value.
class ScopedAvailableMemory {
 public:
  explicit ScopedAvailableMemory(const char* bytes) {
    if (const char* old = getenv(kMemoryEnv)) saved_ = old;
    setenv(kMemoryEnv, bytes, 1);
  }
  ~ScopedAvailableMemory() {
    if (saved_) {
      setenv(kMemoryEnv, saved_->c_str(), 1);
    } else {
      unsetenv(kMemoryEnv);
    }
  }

 private:
  std::optional<std::string> saved_;
};

// bundle/sphere-aae-app-config.json with a bundled entry ("stories", model_path "models/stories"),
// a downloaded one ("stories-dl", found in downloads/stories-dl), one whose download is absent
// ("missing-dl") and a bundled one that needs 8 GiB ("huge"). Every model folder is
// `model_dir` (symlinked).
struct AppLayout {
  testing::ScratchDir scratch;
  fs::path app_config;
  fs::path downloads;

  explicit AppLayout(const fs::path& model_dir) {
    const fs::path bundle = scratch / "bundle";
    downloads = scratch / "downloads";
    fs::create_directories(bundle / "models");
    fs::create_directories(downloads);
    fs::create_directory_symlink(fs::absolute(model_dir), bundle / "models" / "stories");
    fs::create_directory_symlink(fs::absolute(model_dir), downloads / "stories-dl");
    app_config = bundle / "sphere-aae-app-config.json";
    testing::write_file(app_config, R"({"model_list": [
      {"model_id": "stories", "model_lib": "stories_lib", "model_path": "models/stories",
       "estimated_vram_bytes": 1000000},
      {"model_id": "stories-dl", "model_lib": "stories_lib",
       "model_url": "https://huggingface.co/example/stories-dl", "estimated_vram_bytes": 1000000},
      {"model_id": "missing-dl", "model_lib": "stories_lib",
       "model_url": "https://huggingface.co/example/missing-dl", "estimated_vram_bytes": 0},
      {"model_id": "huge", "model_lib": "stories_lib", "model_path": "models/stories",
       "estimated_vram_bytes": 8589934592}]})");
  }
};

// A folder that passes the "weights are here" check but is no real model: enough for the
// failures that happen before the engine opens.
fs::path fake_model_dir(const testing::ScratchDir& scratch) {
  const fs::path dir = scratch / "fake-model";
  fs::create_directories(dir);
  testing::write_file(dir / "mlc-chat-config.json", "{}");
  return dir;
}

aae_app_config* open_config(const fs::path& path) {
  aae_app_config* config = nullptr;
  EXPECT_EQ(aae_app_config_open(path.string().c_str(), &config), AAE_OK) << aae_last_error();
  return config;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(AppConfigLoad, ListsModelIdsInFileOrder) {
  testing::ScratchDir scratch;
  AppLayout layout(fake_model_dir(scratch));
  aae_app_config* config = open_config(layout.app_config);
  ASSERT_NE(config, nullptr);
  ASSERT_EQ(aae_app_config_model_count(config), 4);
  EXPECT_STREQ(aae_app_config_model_id(config, 0), "stories");
  EXPECT_STREQ(aae_app_config_model_id(config, 1), "stories-dl");
  EXPECT_STREQ(aae_app_config_model_id(config, 2), "missing-dl");
  EXPECT_STREQ(aae_app_config_model_id(config, 3), "huge");
  EXPECT_EQ(aae_app_config_model_id(config, 4), nullptr);
  EXPECT_EQ(aae_app_config_model_id(config, -1), nullptr);
  EXPECT_EQ(aae_app_config_model_count(nullptr), 0);
  aae_app_config_free(config);
}

TEST(AppConfigLoad, MissingOrBrokenAppConfigFailsToOpen) {
  testing::ScratchDir scratch;
  aae_app_config* config = nullptr;
  const std::string missing = (scratch / "nope.json").string();
  EXPECT_EQ(aae_app_config_open(missing.c_str(), &config), AAE_ERR_NOT_FOUND);
  EXPECT_EQ(config, nullptr);
  EXPECT_TRUE(contains(aae_last_error(), missing)) << aae_last_error();
  testing::write_file(scratch / "bad.json", R"({"model_list": [{"model_id": 3}]})");
  EXPECT_EQ(aae_app_config_open((scratch / "bad.json").string().c_str(), &config),
            AAE_ERR_FAILED);
  EXPECT_TRUE(contains(aae_last_error(), "model_list[0].model_id")) << aae_last_error();
}

TEST(AppConfigLoad, UnknownModelIdIsNotFoundListingTheIds) {
  testing::ScratchDir scratch;
  AppLayout layout(fake_model_dir(scratch));
  aae_app_config* config = open_config(layout.app_config);
  ASSERT_NE(config, nullptr);
  aae_engine* engine = nullptr;
  EXPECT_EQ(aae_app_config_load(config, "nope", nullptr, nullptr, &engine), AAE_ERR_NOT_FOUND);
  EXPECT_EQ(engine, nullptr);
  EXPECT_TRUE(contains(aae_last_error(), "stories, stories-dl, missing-dl, huge"))
      << aae_last_error();
  aae_app_config_free(config);
}

TEST(AppConfigLoad, MissingDownloadIsNotFoundNamingTheExpectedFolder) {
  testing::ScratchDir scratch;
  AppLayout layout(fake_model_dir(scratch));
  aae_app_config* config = open_config(layout.app_config);
  ASSERT_NE(config, nullptr);
  aae_engine* engine = nullptr;
  EXPECT_EQ(aae_app_config_load(config, "missing-dl", layout.downloads.string().c_str(), nullptr,
                                &engine),
            AAE_ERR_NOT_FOUND);
  EXPECT_EQ(engine, nullptr);
  const std::string expected_folder = (layout.downloads / "missing-dl").string();
  EXPECT_TRUE(contains(aae_last_error(), "expected them in " + expected_folder))
      << aae_last_error();
  EXPECT_TRUE(contains(aae_last_error(), "https://huggingface.co/example/missing-dl"))
      << aae_last_error();
  // Without a downloads folder a model_url entry cannot load at all.
  EXPECT_EQ(aae_app_config_load(config, "missing-dl", nullptr, nullptr, &engine),
            AAE_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(aae_last_error(), "no downloads folder")) << aae_last_error();
  aae_app_config_free(config);
}

TEST(AppConfigLoad, RefusesWhenAvailableMemoryIsBelowTheEstimate) {
  testing::ScratchDir scratch;
  AppLayout layout(fake_model_dir(scratch));
  aae_app_config* config = open_config(layout.app_config);
  ASSERT_NE(config, nullptr);
  ScopedAvailableMemory memory("500000");
  aae_engine_params params;
  aae_engine_default_params(&params);
  params.model_lib_path = "unused-because-refused-first.so";
  aae_engine* engine = nullptr;
  EXPECT_EQ(aae_app_config_load(config, "stories", nullptr, &params, &engine),
            AAE_ERR_OUT_OF_MEMORY);
  EXPECT_EQ(engine, nullptr);
  const std::string message = aae_last_error();
  EXPECT_TRUE(contains(message, "model \"stories\"")) << message;
  EXPECT_TRUE(contains(message, "976.6 KiB")) << message;  // 1000000 bytes needed
  EXPECT_TRUE(contains(message, "488.3 KiB")) << message;  // 500000 bytes available
  aae_app_config_free(config);
}

TEST(AppConfigLoad, MissingSystemModelLibraryIsNotFoundNamingIt) {
  testing::ScratchDir scratch;
  AppLayout layout(fake_model_dir(scratch));
  aae_app_config* config = open_config(layout.app_config);
  ASSERT_NE(config, nullptr);
  aae_engine* engine = nullptr;
  // This test binary links no libmodel_<device>.a, so the weak aae_system_model_lib is null.
  EXPECT_EQ(aae_app_config_load(config, "stories", nullptr, nullptr, &engine), AAE_ERR_NOT_FOUND);
  EXPECT_EQ(engine, nullptr);
  EXPECT_TRUE(contains(aae_last_error(), "model library \"stories_lib\"")) << aae_last_error();
  aae_app_config_free(config);
}

// Greedy text of a few tokens from BOS, to prove the loaded engine is the real model.
std::string generate_from_bos(aae_engine* engine, int32_t max_tokens) {
  aae_generate_params params;
  aae_generate_default_params(engine, &params);
  params.max_tokens = max_tokens;
  params.temperature = 0;
  std::string text;
  auto append = [](void* user, const char* piece, size_t length) -> int {
    static_cast<std::string*>(user)->append(piece, length);
    return 0;
  };
  int32_t n_generated = 0;
  EXPECT_EQ(aae_engine_generate(engine, "", &params, append, &text, &n_generated), AAE_OK)
      << aae_last_error();
  EXPECT_EQ(n_generated, max_tokens);
  return text;
}

TEST(AppConfigLoad, LoadsBundledAndDownloadedWeights) {
  AAE_REQUIRE_TESTDATA(testdata);
  const auto& model = testing::stories260k_q0f32(testdata);
  ASSERT_TRUE(model.error.empty()) << model.error;
  const std::string reference =
      testing::read_file(testdata / "expected" / "stories260K_bos_200_expected_stdout.txt");
  AppLayout layout(model.dir);
  aae_app_config* config = open_config(layout.app_config);
  ASSERT_NE(config, nullptr);
  ScopedAvailableMemory memory("2000000");  // above the 1000000-byte estimate
  aae_engine_params params;
  aae_engine_default_params(&params);
  const std::string lib = model.lib.string();
  params.model_lib_path = lib.c_str();
  params.model_dir = "ignored";

  for (const char* model_id : {"stories", "stories-dl"}) {
    SCOPED_TRACE(model_id);
    aae_engine* engine = nullptr;
    ASSERT_EQ(aae_app_config_load(config, model_id, layout.downloads.string().c_str(), &params,
                                  &engine),
              AAE_OK)
        << aae_last_error();
    ASSERT_NE(engine, nullptr);
    const std::string text = generate_from_bos(engine, 12);
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text, reference.substr(0, text.size()));
    aae_engine_free(engine);
  }
  // The same model marked as needing 8 GiB is refused at 2 MB and loads with 16 GiB.
  aae_engine* engine = nullptr;
  EXPECT_EQ(aae_app_config_load(config, "huge", nullptr, &params, &engine), AAE_ERR_OUT_OF_MEMORY);
  EXPECT_TRUE(contains(aae_last_error(), "8.0 GiB")) << aae_last_error();
  ScopedAvailableMemory plenty("17179869184");
  ASSERT_EQ(aae_app_config_load(config, "huge", nullptr, &params, &engine), AAE_OK)
      << aae_last_error();
  aae_engine_free(engine);
  aae_app_config_free(config);
}

}  // namespace
}  // namespace aae
