// The request parser and the response/error JSON of chat completions (no model needed).
#include <string>

#include <gtest/gtest.h>

#include "runtime/base/json.h"
#include "runtime/chat/chat_completion.h"

namespace aae {
namespace {

Error parse_error(const std::string& body) {
  auto r = parse_chat_completion_request(body);
  EXPECT_FALSE(r.ok()) << body;
  if (r.ok()) return Error("unexpectedly parsed");
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument) << body;
  return r.error();
}

const json::Value& error_object(const json::Value& root) { return *root.find("error"); }

TEST(ChatRequest, ParsesEveryField) {
  auto r = parse_chat_completion_request(R"({
    "model": "m", "messages": [{"role": "system", "content": "Be brief."},
                               {"role": "user", "content": [{"type": "text", "text": "Hi "},
                                                            {"type": "text", "text": "you"}]},
                               {"role": "assistant", "content": null}],
    "temperature": 0.5, "top_p": 0.9, "max_tokens": 7, "stop": "END", "seed": 12,
    "stream": true, "frequency_penalty": 0.5, "presence_penalty": -1, "n": 1,
    "unknown_field": {"ignored": true}})");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->model, "m");
  ASSERT_EQ(r->messages.size(), 3u);
  EXPECT_EQ(r->messages[0].role, "system");
  EXPECT_EQ(r->messages[1].content, "Hi you");
  EXPECT_EQ(r->messages[2].content, "");
  EXPECT_EQ(*r->temperature, 0.5);
  EXPECT_EQ(*r->top_p, 0.9);
  EXPECT_EQ(*r->max_tokens, 7);
  EXPECT_EQ(r->stop, std::vector<std::string>{"END"});
  EXPECT_EQ(*r->seed, 12u);
  EXPECT_TRUE(r->stream);
  EXPECT_EQ(r->frequency_penalty, 0.5);
  EXPECT_EQ(r->presence_penalty, -1);
}

TEST(ChatRequest, AbsentFieldsStayAbsent) {
  auto r = parse_chat_completion_request(R"({"messages":[{"role":"user","content":"x"}],
                                            "temperature": null, "stop": ["a", "b"]})");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_FALSE(r->temperature);
  EXPECT_FALSE(r->top_p);
  EXPECT_FALSE(r->max_tokens);
  EXPECT_FALSE(r->seed);
  EXPECT_FALSE(r->stream);
  EXPECT_EQ(r->stop.size(), 2u);
}

TEST(ChatRequest, ErrorsStartWithTheJsonPathOfTheBadField) {
  EXPECT_EQ(parse_error(R"({"messages":[{"role":"user","content":"a"},
                                        {"role":"robot","content":"b"}]})")
                .message()
                .rfind("messages[1].role: unknown role \"robot\"", 0),
            0u);
  EXPECT_EQ(parse_error(R"({"messages":[{"role":"user","content":"a"}],"max_tokens":-3})")
                .message(),
            "max_tokens: must be >= 0, found -3");
  EXPECT_EQ(parse_error(R"({"messages":[{"role":"user","content":"a"}],"temperature":3})")
                .message(),
            "temperature: must be in [0, 2], found 3");
  EXPECT_EQ(parse_error(R"({"messages":[{"role":"user","content":"a"}],"top_p":0})").message(),
            "top_p: must be in (0, 1], found 0");
  EXPECT_EQ(parse_error(R"({"messages":[{"role":"user","content":"a"}],"n":2})")
                .message()
                .rfind("n: only one choice", 0),
            0u);
  EXPECT_EQ(parse_error(R"({"messages":[]})").message().rfind("messages: must hold", 0), 0u);
  EXPECT_EQ(parse_error(R"({"model":"m"})").message(), "messages: missing required field");
  EXPECT_EQ(parse_error(R"({"messages":[{"role":"user","content":5}]})").message(),
            "messages[0].content: expected a string or an array of text parts, found number 5");
  EXPECT_EQ(parse_error(R"({"messages":[{"role":"user","content":"a"}],
                            "stop":["1","2","3","4","5"]})")
                .message(),
            "stop: at most 4 stop strings, found 5");
  EXPECT_EQ(parse_error(R"({"messages":[{"role":"user","content":"a"}],"max_tokens":2.5})")
                .message(),
            "max_tokens: expected an integer, found number 2.5");
  EXPECT_EQ(parse_error(R"({"messages":[{"role":"user","content":"a"}],"stream":"yes"})")
                .message(),
            "stream: expected a boolean, found string");
}

TEST(ChatRequest, MalformedJsonNamesWhere) {
  const Error e = parse_error(R"({"messages": [)");
  EXPECT_NE(e.to_string().find("not valid JSON"), std::string::npos) << e.to_string();
  EXPECT_NE(e.to_string().find("line 1"), std::string::npos) << e.to_string();
  parse_error("[1, 2]");
}

TEST(ChatJson, ErrorBodyHasTypeParamAndCode) {
  const Error bad_role = parse_error(R"({"messages":[{"role":"robot","content":"b"}]})");
  auto body = json::parse(openai_error_json(bad_role));
  ASSERT_TRUE(body.ok());
  const json::Value& e = error_object(*body);
  EXPECT_EQ(e.find("type")->as_string(), "invalid_request_error");
  EXPECT_EQ(e.find("param")->as_string(), "messages[0].role");
  EXPECT_TRUE(e.find("code")->is_null());
  EXPECT_NE(e.find("message")->as_string().find("unknown role"), std::string::npos);

  const Error overflow = Error("the conversation is 300 tokens but the context window is 256 "
                               "tokens").with_code(ErrorCode::kContextOverflow);
  body = json::parse(openai_error_json(overflow));
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(error_object(*body).find("code")->as_string(), "context_length_exceeded");
  EXPECT_TRUE(error_object(*body).find("param")->is_null());
  EXPECT_EQ(error_object(*body).find("type")->as_string(), "invalid_request_error");

  body = json::parse(openai_error_json(Error("disk on fire\n\"quoted\"")));
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(error_object(*body).find("type")->as_string(), "server_error");
  EXPECT_EQ(error_object(*body).find("message")->as_string(), "disk on fire\n\"quoted\"");
}

ChatCompletion sample_completion() {
  ChatCompletion c;
  c.id = "chatcmpl-abc";
  c.model = "tiny";
  c.created = 1700000000;
  c.content = "line\n\"two\" \xF0\x9F\x98\x80";
  c.finish_reason = FinishReason::kLength;
  c.usage = {.prompt_tokens = 10, .completion_tokens = 4, .cached_prompt_tokens = 6,
             .prefilled_tokens = 4};
  return c;
}

TEST(ChatJson, CompletionCarriesTextFinishReasonAndUsage) {
  auto body = json::parse(chat_completion_json(sample_completion()));
  ASSERT_TRUE(body.ok()) << body.error().to_string();
  EXPECT_EQ(body->find("object")->as_string(), "chat.completion");
  EXPECT_EQ(body->find("id")->as_string(), "chatcmpl-abc");
  const json::Value& choice = body->find("choices")->as_array().at(0);
  EXPECT_EQ(choice.find("message")->find("content")->as_string(), sample_completion().content);
  EXPECT_EQ(choice.find("message")->find("role")->as_string(), "assistant");
  EXPECT_EQ(choice.find("finish_reason")->as_string(), "length");
  const json::Value& usage = *body->find("usage");
  EXPECT_EQ(usage.find("prompt_tokens")->as_int64(), 10);
  EXPECT_EQ(usage.find("completion_tokens")->as_int64(), 4);
  EXPECT_EQ(usage.find("total_tokens")->as_int64(), 14);
  EXPECT_EQ(usage.find("prompt_tokens_details")->find("cached_tokens")->as_int64(), 6);
  EXPECT_EQ(usage.find("prefilled_tokens")->as_int64(), 4);
}

TEST(ChatJson, ChunksCarryADeltaThenAFinalChunkWithUsage) {
  auto delta = json::parse(chat_completion_chunk_json(sample_completion(), "pi\tece", {}));
  ASSERT_TRUE(delta.ok());
  EXPECT_EQ(delta->find("object")->as_string(), "chat.completion.chunk");
  const json::Value& choice = delta->find("choices")->as_array().at(0);
  EXPECT_EQ(choice.find("delta")->find("content")->as_string(), "pi\tece");
  EXPECT_TRUE(choice.find("finish_reason")->is_null());
  EXPECT_EQ(delta->find("usage"), nullptr);

  auto last = json::parse(
      chat_completion_chunk_json(sample_completion(), {}, FinishReason::kCancelled));
  ASSERT_TRUE(last.ok());
  const json::Value& end = last->find("choices")->as_array().at(0);
  EXPECT_EQ(end.find("delta")->as_object().size(), 0u);
  EXPECT_EQ(end.find("finish_reason")->as_string(), "cancelled");
  EXPECT_EQ(last->find("usage")->find("completion_tokens")->as_int64(), 4);
}

TEST(ChatJson, FinishReasonNames) {
  EXPECT_STREQ(finish_reason_name(FinishReason::kStop), "stop");
  EXPECT_STREQ(finish_reason_name(FinishReason::kLength), "length");
  EXPECT_STREQ(finish_reason_name(FinishReason::kCancelled), "cancelled");
}

}  // namespace
}  // namespace aae
