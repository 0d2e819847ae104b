// Every built-in template, as gen_config writes it, read back by the runtime and turned into a
// prompt. The expected strings are written by hand from the template definitions
// (mlc-model-params.md §5.1) and the worked examples (§5.3), not computed.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "convert/conv_template.h"
#include "runtime/chat/conv_template.h"

namespace aae {
namespace {

struct Golden {
  std::string text;
  std::vector<int32_t> prefix_token_ids;
};

// system, user, assistant, user; the assistant turn is left open.
const std::vector<ChatMessage>& multi_turn() {
  static const std::vector<ChatMessage> messages = {{"system", "You are a helpful assistant."},
                                                    {"user", "Hello!"},
                                                    {"assistant", "Hi there."},
                                                    {"user", "How are you?"}};
  return messages;
}

const std::map<std::string, Golden>& multi_turn_goldens() {
  static const std::string kLlama3 =
      "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\nHi there.<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\n";
  static const std::string kChatml =
      "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
      "<|im_start|>user\nHello!<|im_end|>\n"
      "<|im_start|>assistant\nHi there.<|im_end|>\n"
      "<|im_start|>user\nHow are you?<|im_end|>\n"
      "<|im_start|>assistant\n";
  static const std::string kGemma =
      "You are a helpful assistant."
      "<start_of_turn>user\nHello!<end_of_turn>\n"
      "<start_of_turn>model\nHi there.<end_of_turn>\n"
      "<start_of_turn>user\nHow are you?<end_of_turn>\n"
      "<start_of_turn>model\n";
  // No <|end|> after the system text (§5.1).
  static const std::string kPhi =
      "<|system|>\nYou are a helpful assistant."
      "<|user|>\nHello!<|end|>\n"
      "<|assistant|>\nHi there.<|end|>\n"
      "<|user|>\nHow are you?<|end|>\n"
      "<|assistant|>\n";
  static const std::map<std::string, Golden> goldens = {
      // add_role_after_system_message false: the first user text follows the system text.
      {"llama-2",
       {"[INST] <<SYS>>\nYou are a helpful assistant.\n<</SYS>>\n\n"
        "Hello! [/INST] Hi there. </s><s>[INST] How are you? [/INST] ",
        {1}}},
      {"llama-3", {kLlama3, {128000}}},
      {"llama-3_1", {kLlama3, {128000}}},
      // system_template is "": the system message is dropped, and with no system text the
      // first user turn keeps its role.
      {"llama-4",
       {"<|header_start|>user<|header_end|>\n\nHello!<|eot|>"
        "<|header_start|>assistant<|header_end|>\n\nHi there.<|eot|>"
        "<|header_start|>user<|header_end|>\n\nHow are you?<|eot|>"
        "<|header_start|>assistant<|header_end|>\n\n",
        {200000}}},
      {"mistral_default",
       {"[INST] You are a helpful assistant.Hello! [/INST] Hi there. [INST] How are you? "
        "[/INST]",
        {1}}},
      {"qwen2", {kChatml, {}}},
      {"chatml", {kChatml, {}}},
      // system_template "{system_message}": the system text is emitted bare.
      {"chatml_nosystem",
       {"You are a helpful assistant."
        "<|im_start|>user\nHello!<|im_end|>\n"
        "<|im_start|>assistant\nHi there.<|im_end|>\n"
        "<|im_start|>user\nHow are you?<|im_end|>\n"
        "<|im_start|>assistant\n",
        {}}},
      {"gemma_instruction", {kGemma, {2}}},
      {"gemma3_instruction", {kGemma, {2}}},
      {"phi-3", {kPhi, {1}}},
      {"phi-4", {kPhi, {200022}}},
      // phi-2: bare system text, "Role: content" turns separated by "\n", open turn "Output:".
      {"phi-2",
       {"You are a helpful assistant."
        "Instruct: Hello!\nOutput: Hi there.\nInstruct: How are you?\nOutput:",
        {}}},
      // redpajama_chat: the same shape with "<human>" / "<bot>" roles.
      {"redpajama_chat",
       {"You are a helpful assistant."
        "<human>: Hello!\n<bot>: Hi there.\n<human>: How are you?\n<bot>:",
        {}}},
  };
  return goldens;
}

// The built-in template `name` as text (what gen_config writes), read by the runtime's parser.
Result<ConvTemplate> round_trip(const std::string& name) {
  auto object = find_conv_template(name);
  if (!object.ok()) return std::move(object).error();
  auto value = json::parse(object->dump());
  if (!value.ok()) return std::move(value).error();
  return parse_conv_template(*value, "conv_template");
}

TEST(ConvTemplatePrompt, EveryBuiltInTemplateHasAGolden) {
  for (const std::string& name : conv_template_names()) {
    EXPECT_EQ(multi_turn_goldens().count(name), 1u)
        << "add a hand-written golden prompt for built-in template \"" << name << "\"";
  }
  EXPECT_EQ(multi_turn_goldens().size(), conv_template_names().size());
}

TEST(ConvTemplatePrompt, MultiTurnWithSystemMatchesTheGoldenForEveryTemplate) {
  for (const std::string& name : conv_template_names()) {
    SCOPED_TRACE(name);
    auto it = multi_turn_goldens().find(name);
    if (it == multi_turn_goldens().end()) continue;  // reported by the test above
    auto conv = round_trip(name);
    ASSERT_TRUE(conv.ok()) << conv.error().to_string();
    EXPECT_EQ(conv->name, name);
    auto prompt = build_chat_prompt(*conv, multi_turn());
    ASSERT_TRUE(prompt.ok()) << prompt.error().to_string();
    EXPECT_EQ(prompt->text, it->second.text);
    EXPECT_EQ(prompt->prefix_token_ids, it->second.prefix_token_ids);
  }
}

std::string single_turn(const std::string& name, const std::vector<ChatMessage>& messages) {
  auto conv = round_trip(name);
  EXPECT_TRUE(conv.ok()) << conv.error().to_string();
  if (!conv.ok()) return "";
  auto prompt = build_chat_prompt(*conv, messages);
  EXPECT_TRUE(prompt.ok()) << prompt.error().to_string();
  return prompt.ok() ? prompt->text : "";
}

// §5.3 verbatim: llama-3 and qwen2 with an explicit system message.
TEST(ConvTemplatePrompt, WorkedExamplesWithExplicitSystemMessage) {
  const std::vector<ChatMessage> messages = {{"system", "You are a helpful assistant."},
                                             {"user", "Hello!"}};
  const std::string llama3 =
      "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\n";
  EXPECT_EQ(single_turn("llama-3", messages), llama3);
  EXPECT_EQ(single_turn("llama-3_1", messages), llama3);
  EXPECT_EQ(single_turn("qwen2", messages),
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
            "Hello!<|im_end|>\n<|im_start|>assistant\n");
}

// §5.3 verbatim: the other templates with their default system message.
TEST(ConvTemplatePrompt, WorkedExamplesWithDefaultSystemMessage) {
  const std::vector<ChatMessage> hello = {{"user", "Hello!"}};
  EXPECT_EQ(single_turn("llama-2", hello),
            "[INST] <<SYS>>\nYou are a helpful, respectful and honest assistant.\n<</SYS>>\n\n"
            "Hello! [/INST] ");
  EXPECT_EQ(single_turn("mistral_default", hello),
            "[INST] Always assist with care, respect, and truth. Respond with utmost utility "
            "yet securely. Avoid harmful, unethical, prejudiced, or negative content. Ensure "
            "replies promote fairness and positivity.Hello! [/INST]");
  EXPECT_EQ(single_turn("gemma_instruction", hello),
            "<start_of_turn>user\nHello!<end_of_turn>\n<start_of_turn>model\n");
  EXPECT_EQ(single_turn("phi-3", hello),
            "<|system|>\nYou are a helpful digital assistant. Please provide safe, ethical and "
            "accurate information to the user.<|user|>\nHello!<|end|>\n<|assistant|>\n");
  EXPECT_EQ(single_turn("chatml", hello),
            "<|im_start|>system\nA conversation between a user and an LLM-based AI assistant. "
            "The assistant gives helpful and honest answers.<|im_end|>\n<|im_start|>user\n"
            "Hello!<|im_end|>\n<|im_start|>assistant\n");
  // §5.3's second turns: "[INST] SYSHi [/INST] Yo [INST] Q2 [/INST]" for mistral_default.
  const std::vector<ChatMessage> two_turns = {
      {"system", "SYS"}, {"user", "Hi"}, {"assistant", "Yo"}, {"user", "Q2"}};
  EXPECT_EQ(single_turn("mistral_default", two_turns), "[INST] SYSHi [/INST] Yo [INST] Q2 [/INST]");
  EXPECT_EQ(single_turn("llama-2", two_turns),
            "[INST] <<SYS>>\nSYS\n<</SYS>>\n\nHi [/INST] Yo </s><s>[INST] Q2 [/INST] ");
}

TEST(ConvTemplatePrompt, StopCriteriaSurviveTheRoundTrip) {
  auto conv = round_trip("llama-3_1");
  ASSERT_TRUE(conv.ok()) << conv.error().to_string();
  EXPECT_TRUE(conv->stop_str.empty());
  EXPECT_EQ(conv->stop_token_ids, (std::vector<int32_t>{128001, 128008, 128009}));
  EXPECT_EQ(conv->roles.at("tool"), "<|start_header_id|>ipython");
  auto qwen = round_trip("qwen2");
  ASSERT_TRUE(qwen.ok());
  EXPECT_EQ(qwen->stop_str, (std::vector<std::string>{"<|endoftext|>", "<|im_end|>"}));
}

}  // namespace
}  // namespace aae
