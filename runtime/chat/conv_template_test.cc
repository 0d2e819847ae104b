#include "runtime/chat/conv_template.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace aae {
namespace {

const char* const kPath = "mlc-chat-config.json: conv_template";

Result<ConvTemplate> parse_text(const std::string& text) {
  auto value = json::parse(text);
  if (!value.ok()) return std::move(value).error();
  return parse_conv_template(*value, kPath);
}

std::string parse_error(const std::string& text) {
  auto conv = parse_text(text);
  if (conv.ok()) return "(parsed)";
  return conv.error().to_string();
}

// A chatml-shaped template with only the required fields; the rest take MLC's defaults.
constexpr const char* kMinimal = R"({
  "roles": {"user": "<|im_start|>user", "assistant": "<|im_start|>assistant"},
  "seps": ["<|im_end|>\n"], "role_content_sep": "\n", "role_empty_sep": "\n"})";

std::string prompt_text(const ConvTemplate& conv, const std::vector<ChatMessage>& messages) {
  auto prompt = build_chat_prompt(conv, messages);
  EXPECT_TRUE(prompt.ok()) << prompt.error().to_string();
  return prompt.ok() ? prompt->text : "";
}

TEST(ConvTemplateParse, ReadsEveryField) {
  auto conv = parse_text(R"({
    "name": "t", "system_template": "S[{system_message}]", "system_message": "sys",
    "system_prefix_token_ids": [1, 2], "add_role_after_system_message": false,
    "roles": {"user": "U", "assistant": "A"}, "role_templates": {"user": "<{user_message}>"},
    "messages": [], "seps": ["a", "b"], "role_content_sep": ":", "role_empty_sep": "=",
    "stop_str": ["x"], "stop_token_ids": [7, 8], "function_string": "",
    "use_function_calling": false})");
  ASSERT_TRUE(conv.ok()) << conv.error().to_string();
  EXPECT_EQ(conv->name, "t");
  EXPECT_EQ(conv->system_template, "S[{system_message}]");
  EXPECT_EQ(conv->system_message, "sys");
  EXPECT_EQ(conv->system_prefix_token_ids, (std::vector<int32_t>{1, 2}));
  EXPECT_FALSE(conv->add_role_after_system_message);
  EXPECT_EQ(conv->roles.at("assistant"), "A");
  EXPECT_EQ(conv->role_templates.at("user"), "<{user_message}>");
  EXPECT_EQ(conv->role_templates.at("assistant"), "{assistant_message}");  // default kept
  EXPECT_EQ(conv->seps, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(conv->role_content_sep, ":");
  EXPECT_EQ(conv->role_empty_sep, "=");
  EXPECT_EQ(conv->stop_str, (std::vector<std::string>{"x"}));
  EXPECT_EQ(conv->stop_token_ids, (std::vector<int32_t>{7, 8}));
}

TEST(ConvTemplateParse, MissingFieldsTakeMlcDefaults) {
  auto conv = parse_text(kMinimal);
  ASSERT_TRUE(conv.ok()) << conv.error().to_string();
  EXPECT_EQ(conv->name, "");
  EXPECT_EQ(conv->system_template, "{system_message}");
  EXPECT_EQ(conv->system_message, "");
  EXPECT_TRUE(conv->system_prefix_token_ids.empty());
  EXPECT_TRUE(conv->add_role_after_system_message);
  EXPECT_EQ(conv->role_templates, default_role_templates());
  EXPECT_TRUE(conv->stop_str.empty());
  EXPECT_TRUE(conv->stop_token_ids.empty());
}

TEST(ConvTemplateParse, NullPrefixTokenIdsAreEmpty) {
  auto conv = parse_text(R"({"roles": {"assistant": "A"}, "seps": [""],
                             "system_prefix_token_ids": null, "stop_str": null})");
  ASSERT_TRUE(conv.ok()) << conv.error().to_string();
  EXPECT_TRUE(conv->system_prefix_token_ids.empty());
  EXPECT_TRUE(conv->stop_str.empty());
}

TEST(ConvTemplateParse, WrongTypesNameTheJsonPath) {
  EXPECT_EQ(parse_error(R"({"roles": {"user": 3}, "seps": [""]})"),
            std::string(kPath) + ".roles.user: expected a string, found number");
  EXPECT_EQ(parse_error(R"({"roles": {}, "seps": ["", 4]})"),
            std::string(kPath) + ".seps[1]: expected a string, found number");
  EXPECT_EQ(parse_error(R"({"roles": {}, "seps": [""], "system_prefix_token_ids": [1.5]})"),
            std::string(kPath) + ".system_prefix_token_ids[0]: expected an integer, found number");
  EXPECT_EQ(parse_error(R"({"roles": {}, "seps": [""], "stop_token_ids": "2"})"),
            std::string(kPath) + ".stop_token_ids: expected an array of token ids, found string");
  EXPECT_NE(parse_error(R"({"roles": {}, "seps": [""], "system_message": ["a"]})")
                .find(".system_message: expected a string"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"roles": {}, "seps": [""], "add_role_after_system_message": 1})")
                .find(".add_role_after_system_message:"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"roles": {}, "seps": [""], "stop_token_ids": [-1]})")
                .find("stop_token_ids[0]: token id -1 is out of range"),
            std::string::npos);
}

TEST(ConvTemplateParse, RolesAndSepsAreRequiredAndSepsNotEmpty) {
  EXPECT_NE(parse_error(R"({"seps": [""]})").find("missing required field \"roles\""),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"roles": {}})").find("missing required field \"seps\""),
            std::string::npos);
  EXPECT_EQ(parse_error(R"({"roles": {}, "seps": []})"),
            std::string(kPath) + ".seps: expected one or two separators, found none");
}

TEST(ConvTemplateParse, BareNameSaysToRerunGenConfig) {
  auto conv = parse_text(R"("llama-2")");
  ASSERT_FALSE(conv.ok());
  EXPECT_NE(conv.error().message().find("bare name \"llama-2\""), std::string::npos);
  EXPECT_NE(conv.error().hint().find("gen_config"), std::string::npos);
  EXPECT_NE(parse_error("null").find("missing"), std::string::npos);
  EXPECT_NE(parse_error("[1]").find(kPath), std::string::npos);
}

TEST(ChatPrompt, NoSystemMessageUsesTheTemplateDefault) {
  auto conv = parse_text(R"({"system_template": "<{system_message}>", "system_message": "d",
                             "roles": {"user": "U", "assistant": "A"}, "seps": ["|"],
                             "system_prefix_token_ids": [9]})");
  ASSERT_TRUE(conv.ok());
  auto prompt = build_chat_prompt(*conv, std::vector<ChatMessage>{{"user", "hi"}});
  ASSERT_TRUE(prompt.ok());
  EXPECT_EQ(prompt->text, "<d>Uhi|A");
  EXPECT_EQ(prompt->prefix_token_ids, (std::vector<int32_t>{9}));
}

TEST(ChatPrompt, SystemMessagesAnywhereAreConcatenatedInOrder) {
  auto conv = parse_text(R"({"system_template": "<{system_message}>", "system_message": "d",
                             "roles": {"user": "U", "assistant": "A"}, "seps": ["|"]})");
  ASSERT_TRUE(conv.ok());
  EXPECT_EQ(prompt_text(*conv, {{"user", "q1"}, {"system", "s1"}, {"assistant", "r1"},
                                {"system", "s2"}, {"user", "q2"}}),
            "<s1s2>Uq1|Ar1|Uq2|A");
  // An empty system message replaces the default too.
  EXPECT_EQ(prompt_text(*conv, {{"system", ""}, {"user", "q"}}), "<>Uq|A");
}

TEST(ChatPrompt, TwoSepsSeparateAssistantTurnsWithTheSecond) {
  auto conv = parse_text(R"({"roles": {"user": "U", "assistant": "A", "tool": "T"},
                             "seps": ["1", "2"], "role_content_sep": ":",
                             "role_empty_sep": "="})");
  ASSERT_TRUE(conv.ok());
  EXPECT_EQ(prompt_text(*conv, {{"user", "a"}, {"assistant", "b"}, {"tool", "c"}}),
            "U:a1A:b2T:c1A=");
}

TEST(ChatPrompt, RoleTemplatesWrapTheContent) {
  auto conv = parse_text(R"({"roles": {"user": "U", "assistant": "A", "ipython": "I"},
                             "role_templates": {"user": "[{user_message}]{user_message}"},
                             "seps": ["|"]})");
  ASSERT_TRUE(conv.ok());
  // ipython has no role template: its content is emitted as-is.
  EXPECT_EQ(prompt_text(*conv, {{"user", "x"}, {"ipython", "{y}"}}), "U[x]x|I{y}|A");
}

TEST(ChatPrompt, FunctionStringPlaceholderBecomesEmpty) {
  auto conv = parse_text(R"({"system_template": "S{function_string}{system_message}",
                             "roles": {"user": "U", "assistant": "A"}, "seps": ["|"]})");
  ASSERT_TRUE(conv.ok());
  EXPECT_EQ(prompt_text(*conv, {{"system", "s"}, {"user", "q{function_string}"}}), "Ss" "Uq|A");
}

TEST(ChatPrompt, NoRoleAfterSystemOnlyForTheFirstTurnAndOnlyWithSystemText) {
  auto conv = parse_text(R"({"system_template": "[{system_message}]", "system_message": "",
                             "add_role_after_system_message": false,
                             "roles": {"user": "U", "assistant": "A"}, "seps": ["|"],
                             "role_content_sep": " "})");
  ASSERT_TRUE(conv.ok());
  EXPECT_EQ(prompt_text(*conv, {{"user", "a"}, {"assistant", "b"}, {"user", "c"}}),
            "[]a|A b|U c|A");
  conv->system_template = "{system_message}";  // empty system text: the role is kept
  EXPECT_EQ(prompt_text(*conv, {{"user", "a"}}), "U a|A");
}

TEST(ChatPrompt, EmptyConversationOpensTheAssistantTurn) {
  auto conv = parse_text(kMinimal);
  ASSERT_TRUE(conv.ok());
  EXPECT_EQ(prompt_text(*conv, {}), "<|im_start|>assistant\n");
}

TEST(ChatPrompt, UnknownRoleIsAnInvalidArgumentNamingTheIndex) {
  auto conv = parse_text(kMinimal);
  ASSERT_TRUE(conv.ok());
  std::vector<ChatMessage> messages = {{"system", "s"}, {"user", "a"}, {"tool", "t"}};
  auto prompt = build_chat_prompt(*conv, messages);
  ASSERT_FALSE(prompt.ok());
  EXPECT_EQ(prompt.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(prompt.error().message(),
            "messages[2].role: unknown role \"tool\"; this template has: assistant, user");
}

TEST(ChatPrompt, HandBuiltTemplateWithoutSepsIsAnError) {
  ConvTemplate conv;
  conv.roles = {{"assistant", "A"}};
  auto prompt = build_chat_prompt(conv, std::vector<ChatMessage>{});
  ASSERT_FALSE(prompt.ok());
  EXPECT_NE(prompt.error().message().find("seps"), std::string::npos);
}

}  // namespace
}  // namespace aae
