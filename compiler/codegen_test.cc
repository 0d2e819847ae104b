#include "compiler/codegen.h"

#include <set>
#include <tuple>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "compiler/tinyllama_test_config.h"
#include "include/sphere_aae/aae_model_lib.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

static_assert(kModelLibAbiVersion == AAE_MODEL_LIB_ABI_VERSION, "codegen writes a stale ABI");

using Record = std::tuple<std::string, std::vector<int64_t>, std::string>;

TEST(Codegen, MetadataListsExactlyTheRealTensorCaches) {
  AAE_REQUIRE_TESTDATA(testdata);
  for (const char* model : {"ReaderLM-v2-q4f16_1-MLC", "qwen2.5-0.5b-med-q4f16_1-MLC"}) {
    SCOPED_TRACE(model);
    const auto dir = testdata / "mlc-real" / model;
    auto input = load_model_input(dir.string(), {});
    ASSERT_TRUE(input.ok()) << input.error().to_string();
    auto lib = generate_model_lib(*input, "qwen2_q4f16_1_test");
    ASSERT_TRUE(lib.ok()) << lib.error().to_string();
    auto meta = nlohmann::json::parse(lib->metadata_json);
    std::multiset<Record> declared;
    for (const auto& p : meta.at("params")) {
      declared.insert({p.at("name"), p.at("shape").get<std::vector<int64_t>>(), p.at("dtype")});
    }
    auto cache = nlohmann::json::parse(testing::read_file(dir / "tensor-cache.json"));
    std::multiset<Record> expected;
    int64_t bytes = 0;
    for (const auto& shard : cache.at("records")) {
      for (const auto& r : shard.at("records")) {
        expected.insert({r.at("name"), r.at("shape").get<std::vector<int64_t>>(), r.at("dtype")});
        bytes += r.at("nbytes").get<int64_t>();
      }
    }
    EXPECT_EQ(declared.size(), expected.size());
    EXPECT_EQ(declared, expected);
    EXPECT_EQ(meta.at("memory").at("weight_bytes").get<int64_t>(), bytes);
    EXPECT_EQ(meta.at("architecture"), "qwen2");
    EXPECT_EQ(meta.at("context_window_size"), input->definition.context_window_size);
  }
}

TEST(Codegen, TinyLlamaSourceHasConfigAssertsAndExports) {
  auto input = make_model_input(testing::tinyllama_chat_config(), "x", {});
  ASSERT_TRUE(input.ok()) << input.error().to_string();
  auto lib = generate_model_lib(*input, "llama_q4f16_1_abc");
  ASSERT_TRUE(lib.ok()) << lib.error().to_string();
  const std::string& tu = lib->source;
  for (const char* piece : {"using Format = aae::modellib::FormatQ4F16_1;",
                            "static constexpr int64_t hidden = 2048;",
                            "static constexpr int64_t layers = 22;",
                            "static constexpr int64_t kv_heads = 4;",
                            "static constexpr int64_t prefill_chunk = 128;",
                            "static constexpr bool tie_embeddings = false;",
                            "static_assert(Model::kStateBytes ==",
                            "AAE_MODEL_METADATA_DEFINE(llama_q4f16_1_abc,",
                            "AAE_MODEL_LIB_DEFINE(llama_q4f16_1_abc, Model)"}) {
    EXPECT_NE(tu.find(piece), std::string::npos) << piece;
  }
  auto meta = nlohmann::json::parse(lib->metadata_json);
  EXPECT_EQ(meta.at("abi_version"), AAE_MODEL_LIB_ABI_VERSION);
  EXPECT_EQ(meta.at("params").size(), 225u);
  // Template order: embedding first, then layer 0 starting with its input norm, lm_head last.
  EXPECT_EQ(meta.at("params")[0].at("name"), "model.embed_tokens.q_weight");
  EXPECT_EQ(meta.at("params")[2].at("name"), "model.layers.0.input_layernorm.weight");
  EXPECT_EQ(meta.at("params")[224].at("name"), "lm_head.q_scale");
  // fp16 KV cache: 2 (k, v) * 22 layers * 2048 tokens * 4 heads * 64 dims * 2 bytes.
  EXPECT_EQ(meta.at("memory").at("kv_cache_bytes"), 2LL * 22 * 2048 * 4 * 64 * 2);
  EXPECT_EQ(meta.at("kv_cache").at("capacity_tokens"), 2048);
  EXPECT_EQ(meta.at("kv_cache").at("dtype"), "float16");
}

TEST(Codegen, Float32ModelKeepsAFloat32KvCache) {
  auto chat = testing::tinyllama_chat_config();
  chat["quantization"] = "q0f32";
  auto input = make_model_input(chat, "x", {});
  ASSERT_TRUE(input.ok()) << input.error().message();
  auto lib = generate_model_lib(*input, "llama_q0f32_abc");
  ASSERT_TRUE(lib.ok()) << lib.error().message();
  auto meta = nlohmann::json::parse(lib->metadata_json);
  EXPECT_EQ(meta.at("kv_cache").at("dtype"), "float32");
  // 2 (k, v) * 22 layers * 2048 tokens * 4 heads * 64 dims * 4 bytes.
  EXPECT_EQ(meta.at("memory").at("kv_cache_bytes"), 2LL * 22 * 2048 * 4 * 64 * 4);
  EXPECT_NE(lib->source.find("static_assert(Model::kKvCacheBytes == " +
                             std::to_string(2LL * 22 * 2048 * 4 * 64 * 4) + "ull"),
            std::string::npos);
}

TEST(Codegen, RefusesWhatTheTemplateCannotBuild) {
  auto chat = testing::tinyllama_chat_config();
  chat["quantization"] = "q4f16_0";
  auto input = make_model_input(chat, "x", {});
  ASSERT_TRUE(input.ok());
  auto lib = generate_model_lib(*input, "name");
  ASSERT_FALSE(lib.ok());
  EXPECT_NE(lib.error().message().find("q4f16_0"), std::string::npos);
  auto good = make_model_input(testing::tinyllama_chat_config(), "x", {});
  EXPECT_FALSE(generate_model_lib(*good, "not-an-identifier").ok());
}

}  // namespace
}  // namespace aae
