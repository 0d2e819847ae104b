#include "convert/conv_template.h"

#include <fstream>

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace aae {
namespace {

using nlohmann::ordered_json;

TEST(ConvTemplate, ChatmlEqualsRealMlcChatConfig) {
  AAE_REQUIRE_TESTDATA(testdata);
  std::ifstream in(testdata / "mlc-real/qwen2.5-0.5b-med-q4f16_1-MLC/mlc-chat-config.json");
  const ordered_json real = ordered_json::parse(in);
  auto chatml = find_conv_template("chatml");
  ASSERT_TRUE(chatml.ok());
  EXPECT_EQ(chatml->dump(2), real.at("conv_template").dump(2));  // values and key order
}

TEST(ConvTemplate, HasMlcFieldOrder) {
  auto llama3 = find_conv_template("llama-3");
  ASSERT_TRUE(llama3.ok());
  std::vector<std::string> keys;
  for (auto it = llama3->begin(); it != llama3->end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "name", "system_template", "system_message", "system_prefix_token_ids",
                      "add_role_after_system_message", "roles", "role_templates", "messages",
                      "seps", "role_content_sep", "role_empty_sep", "stop_str", "stop_token_ids",
                      "function_string", "use_function_calling"}));
}

TEST(ConvTemplate, ValuesOfTheDocumentedTemplates) {
  auto llama2 = find_conv_template("llama-2").value();
  EXPECT_EQ(llama2["system_template"], "[INST] <<SYS>>\n{system_message}\n<</SYS>>\n\n");
  EXPECT_EQ(llama2["seps"], ordered_json::array({" ", " </s>"}));
  EXPECT_EQ(llama2["add_role_after_system_message"], false);
  EXPECT_EQ(llama2["roles"].dump(), R"({"user":"<s>[INST]","assistant":"[/INST]","tool":"[INST]"})");

  auto llama31 = find_conv_template("llama-3_1").value();
  EXPECT_EQ(llama31["stop_token_ids"], ordered_json::array({128001, 128008, 128009}));
  EXPECT_EQ(llama31["stop_str"], ordered_json::array());
  EXPECT_EQ(llama31["roles"]["tool"], "<|start_header_id|>ipython");
  EXPECT_EQ(llama31["system_prefix_token_ids"], ordered_json::array({128000}));

  auto mistral = find_conv_template("mistral_default").value();
  EXPECT_EQ(mistral["role_empty_sep"], "");
  EXPECT_EQ(mistral["system_template"], "[INST] {system_message}");

  auto qwen2 = find_conv_template("qwen2").value();
  EXPECT_TRUE(qwen2["system_prefix_token_ids"].is_null());
  EXPECT_EQ(qwen2["stop_token_ids"], ordered_json::array({151643, 151645}));
  EXPECT_EQ(qwen2["system_message"], "You are a helpful assistant.");

  auto gemma = find_conv_template("gemma_instruction").value();
  EXPECT_EQ(gemma["stop_token_ids"], ordered_json::array({1, 107}));
  EXPECT_EQ(gemma["roles"]["assistant"], "<start_of_turn>model");

  auto phi3 = find_conv_template("phi-3").value();
  EXPECT_EQ(phi3["system_template"], "<|system|>\n{system_message}");
  EXPECT_EQ(phi3["stop_token_ids"], ordered_json::array({2, 32000, 32001, 32007}));
}

TEST(ConvTemplate, EveryTemplateHasOneOrTwoSeps) {
  for (const auto& name : conv_template_names()) {
    auto t = find_conv_template(name);
    ASSERT_TRUE(t.ok()) << name;
    EXPECT_EQ((*t)["name"], name);
    EXPECT_GE((*t)["seps"].size(), 1u) << name;
    EXPECT_LE((*t)["seps"].size(), 2u) << name;
  }
}

TEST(ConvTemplate, UnknownNameSuggestsCloseNames) {
  auto result = find_conv_template("llama3");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message().find("llama3"), std::string::npos);
  EXPECT_NE(result.error().hint().find("did you mean"), std::string::npos);
  EXPECT_NE(result.error().hint().find("llama-3"), std::string::npos);
  EXPECT_NE(result.error().hint().find("chatml"), std::string::npos);  // full list
}

}  // namespace
}  // namespace aae
