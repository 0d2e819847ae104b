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
  const Status unknown_code = check_model_lib_support("llama", "q8f16_9");
  ASSERT_FALSE(unknown_code.ok());
  EXPECT_NE(unknown_code.error().message().find("q8f16_9"), std::string::npos);
  EXPECT_NE(unknown_code.error().hint().find("q4f16_0"), std::string::npos);  // listed as supported
  EXPECT_FALSE(check_model_lib_support("gpt2", "q4f16_1").ok());
  // GemmaFamily reads its tied head in the embedding's format, so split-role codes work too.
  EXPECT_TRUE(check_model_lib_support("gemma2", "q4f16_0").ok());
  EXPECT_TRUE(check_model_lib_support("qwen2", "q4f16_0").ok());
  auto good = make_model_input(testing::tinyllama_chat_config(), "x", {});
  EXPECT_FALSE(generate_model_lib(*good, "not-an-identifier").ok());
}

// Every quantization code compiles: the TU names its model format, and the metadata declares
// the tensors the converter writes (KN shapes for "_0", fp16 embedding and head for q4f16_2).
TEST(Codegen, EmitsEveryQuantizationCode) {
  struct Case {
    const char* code;
    const char* format;
    const char* first_param;
    std::vector<int64_t> first_shape;
    const char* down_name;
    std::vector<int64_t> down_shape;
    const char* dtype;  // of the final norm
  };
  const Case cases[] = {
      {"q0bf16", "FormatQ0BF16", "model.embed_tokens.weight", {32000, 2048},
       "model.layers.0.mlp.down_proj.weight", {2048, 5632}, "bfloat16"},
      {"q4f16_2", "FormatQ4F16_2", "model.embed_tokens.weight", {32000, 2048},
       "model.layers.0.mlp.down_proj.q_weight", {2048, 5632 / 8}, "float16"},
      {"q4f16_0", "FormatQ4F16_0Model", "model.embed_tokens.q_weight", {32000, 2048 / 8},
       "model.layers.0.mlp.down_proj.q_weight", {5632 / 8, 2048}, "float16"},
      {"q3f16_0", "FormatQ3F16_0Model", "model.embed_tokens.q_weight", {32000, 52 * 4},
       "model.layers.0.mlp.down_proj.q_weight", {141 * 4, 2048}, "float16"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.code);
    auto chat = testing::tinyllama_chat_config();
    chat["quantization"] = c.code;
    auto input = make_model_input(chat, "x", {});
    ASSERT_TRUE(input.ok()) << input.error().to_string();
    auto lib = generate_model_lib(*input, std::string("llama_") + c.code + "_abc");
    ASSERT_TRUE(lib.ok()) << lib.error().to_string();
    EXPECT_NE(lib->source.find(std::string("using Format = aae::modellib::") + c.format + ";"),
              std::string::npos);
    auto meta = nlohmann::json::parse(lib->metadata_json);
    const auto& params = meta.at("params");
    EXPECT_EQ(params[0].at("name"), c.first_param);
    EXPECT_EQ(params[0].at("shape").get<std::vector<int64_t>>(), c.first_shape);
    bool found_down = false;
    for (const auto& p : params) {
      if (p.at("name") == c.down_name) {
        found_down = true;
        EXPECT_EQ(p.at("shape").get<std::vector<int64_t>>(), c.down_shape);
      }
      if (p.at("name") == "model.norm.weight") {
        EXPECT_EQ(p.at("dtype"), c.dtype);
      }
    }
    EXPECT_TRUE(found_down);
    EXPECT_EQ(meta.at("kv_cache").at("dtype"), "float16");
    EXPECT_EQ(meta.at("memory").at("repacked_weight_bytes"), 0);  // KN is read in place
  }
}

}  // namespace
}  // namespace aae
