#include "compiler/model_lib_name.h"

#include <gtest/gtest.h>

#include "compiler/canonical_json.h"
#include "compiler/tinyllama_test_config.h"

namespace aae {
namespace {

ModelInput tinyllama(const ModelLibOverrides& overrides = {}) {
  auto in = make_model_input(testing::tinyllama_chat_config(), "mlc-chat-config.json", overrides);
  EXPECT_TRUE(in.ok()) << in.error().to_string();
  return std::move(in).value();
}

TEST(PythonJson, FormatsFloatsLikePythonRepr) {
  EXPECT_EQ(python_float_repr(1e-05), "1e-05");
  EXPECT_EQ(python_float_repr(10000.0), "10000.0");
  EXPECT_EQ(python_float_repr(1e16), "1e+16");
  EXPECT_EQ(python_float_repr(1e15), "1000000000000000.0");
  EXPECT_EQ(python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(python_float_repr(-0.0), "-0.0");
  EXPECT_EQ(python_float_repr(1.5e-7), "1.5e-07");
  EXPECT_EQ(python_float_repr(123.456), "123.456");
  EXPECT_EQ(python_float_repr(5e22), "5e+22");
  EXPECT_EQ(python_float_repr(1.0 / 3), "0.3333333333333333");
}

TEST(PythonJson, SortsKeysIndentsAndEscapesAscii) {
  auto v = nlohmann::json::parse(R"({"b": [1, {}], "a": "\u00e9\ud83d\ude00\"", "c": []})");
  EXPECT_EQ(python_json_dumps(v),
            "{\n  \"a\": \"\\u00e9\\ud83d\\ude00\\\"\",\n  \"b\": [\n    1,\n    {}\n  ],\n"
            "  \"c\": []\n}");
}

// The expected digests were computed with Python: md5(json.dumps(hash_key, sort_keys=True,
// indent=2)) over MLC's hash_key for the same config, i.e. MLC's own name for it.
TEST(ModelLibName, MatchesMlcDigestForTinyLlama) {
  auto name = model_lib_name(tinyllama(), "iphone");
  ASSERT_TRUE(name.ok()) << name.error().to_string();
  EXPECT_EQ(*name, "llama_q4f16_1_d6894420d8cdcb7e4e93113787e9f965");
  ModelLibOverrides o;
  o.context_window_size = 1024;
  o.prefill_chunk_size = 64;
  auto android = model_lib_name(tinyllama(o), "android");
  ASSERT_TRUE(android.ok());
  EXPECT_EQ(*android, "llama_q4f16_1_f48ee81b0ab50a0661240cc62aab9630");
}

TEST(ModelLibName, IsDeterministic) {
  EXPECT_EQ(model_lib_name(tinyllama(), "linux").value(),
            model_lib_name(tinyllama(), "linux").value());
}

TEST(ModelLibName, EveryInputChangesTheHash) {
  const std::string base = model_lib_name(tinyllama(), "linux").value();
  EXPECT_NE(model_lib_name(tinyllama(), "linux-arm64").value(), base);
  ModelLibOverrides ctx;
  ctx.context_window_size = 1024;
  EXPECT_NE(model_lib_name(tinyllama(ctx), "linux").value(), base);
  // An override equal to the config's value still changes the overrides string.
  ModelLibOverrides same;
  same.prefill_chunk_size = 128;
  EXPECT_NE(model_lib_name(tinyllama(same), "linux").value(), base);
  auto chat = testing::tinyllama_chat_config();
  chat["model_config"]["num_hidden_layers"] = 21;
  EXPECT_NE(model_lib_name(make_model_input(chat, "x", {}).value(), "linux").value(), base);
  chat = testing::tinyllama_chat_config();
  chat["quantization"] = "q4f32_1";
  const std::string q = model_lib_name(make_model_input(chat, "x", {}).value(), "linux").value();
  EXPECT_EQ(q.rfind("llama_q4f32_1_", 0), 0u);
  EXPECT_NE(q.substr(q.size() - 32), base.substr(base.size() - 32));
}

TEST(ModelLibName, IgnoresNonArchitectureFields) {
  auto chat = testing::tinyllama_chat_config();
  chat["temperature"] = 0.1;
  chat["conv_template"] = "chatml";
  EXPECT_EQ(model_lib_name(make_model_input(chat, "x", {}).value(), "linux").value(),
            model_lib_name(tinyllama(), "linux").value());
}

TEST(ModelLibName, TopLevelWindowOverridesModelConfig) {
  auto chat = testing::tinyllama_chat_config();
  chat["context_window_size"] = 1024;
  auto in = make_model_input(chat, "x", {});
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->definition.context_window_size, 1024);
}

TEST(ModelLibName, PrefixDropsOneTrailingUnderscoreAndDashes) {
  EXPECT_EQ(model_lib_name_from_prefix("my-model_").value(), "my_model");
  EXPECT_EQ(model_lib_name_from_prefix("abc").value(), "abc");
  EXPECT_EQ(resolve_model_lib_name(tinyllama(), "linux", "x-y_").value(), "x_y");
}

TEST(ModelLibName, PrefixRefusesNonIdentifiers) {
  EXPECT_FALSE(model_lib_name_from_prefix("").ok());
  EXPECT_FALSE(model_lib_name_from_prefix("_").ok());
  EXPECT_FALSE(model_lib_name_from_prefix("9lives").ok());
  auto bad = model_lib_name_from_prefix("a.b");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("a.b"), std::string::npos);
  EXPECT_FALSE(bad.error().hint().empty());
}

TEST(ModelLibOverrides, ParsesAndRejects) {
  auto o = parse_model_lib_overrides("context_window_size=1024; prefill_chunk_size=64;"
                                     "disaggregation=true");
  ASSERT_TRUE(o.ok()) << o.error().to_string();
  EXPECT_EQ(*o->context_window_size, 1024);
  EXPECT_EQ(overrides_hash_string(*o),
            "context_window_size=1024;prefill_chunk_size=64;disaggregation=True");
  ModelLibOverrides minus;
  minus.sliding_window_size = -1;
  minus.max_batch_size = 4;
  EXPECT_EQ(overrides_hash_string(minus), "max_batch_size=4");
  EXPECT_FALSE(parse_model_lib_overrides("bogus=1").ok());
  EXPECT_FALSE(parse_model_lib_overrides("context_window_size=abc").ok());
  EXPECT_FALSE(parse_model_lib_overrides("context_window_size").ok());
}

}  // namespace
}  // namespace aae
