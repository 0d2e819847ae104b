// Chat completions end to end on a real model made by the real CLI: a tiny Qwen2-style example
// model (random weights, ChatML special tokens) converted, given the chatml template and
// compiled, then driven through ChatEngine and the C API (include/sphere_aae/aae_chat.h).
#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/base/json.h"
#include "runtime/chat/chat_completion.h"
#include "sphere_aae/aae_chat.h"
#include "tests/package_fixture.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

namespace fs = std::filesystem;
using testing::run_command;
using testing::shell_quote;

struct ChatModel {
  fs::path dir, lib;
  std::string error;  // the failed command and its output
};

// Made once per test process.
const ChatModel& chat_model() {
  static testing::ScratchDir scratch;
  static const ChatModel model = [] {
    ChatModel m{scratch / "qwen2-chatml", scratch / "qwen2-chatml.so", {}};
    const std::string src = shell_quote((scratch / "hf").string());
    const std::string dir = shell_quote(m.dir.string());
    const std::string cli = shell_quote(AAE_CLI_PATH);
    for (const std::string& command :
         {shell_quote(AAE_MAKE_EXAMPLE_PATH) + " --arch qwen2 --preset tiny --dtype float32 "
                                                "--seed 5 -o " + src,
          cli + " convert_weight " + src + " --quantization q0f32 -o " + dir,
          cli + " gen_config " + src + " --quantization q0f32 --conv-template chatml -o " + dir,
          cli + " compile " + dir + " --device linux -o " + shell_quote(m.lib.string())}) {
      const auto r = run_command(command);
      if (r.exit_code != 0) {
        m.error = command + "\n" + r.output;
        break;
      }
    }
    return m;
  }();
  return model;
}

Result<ChatEngine> open_chat() {
  EngineOptions options;
  options.model_dir = chat_model().dir.string();
  options.model_lib_path = chat_model().lib.string();
  options.num_threads = 2;
  return ChatEngine::open(options);
}

ChatCompletionRequest user_request(const std::string& text, int64_t max_tokens) {
  ChatCompletionRequest r;
  r.messages = {{"user", text}};
  r.max_tokens = max_tokens;
  r.temperature = 0.8;
  r.seed = 7;
  return r;
}

#define REQUIRE_MODEL()                                        \
  do {                                                         \
    ASSERT_TRUE(chat_model().error.empty()) << chat_model().error; \
  } while (0)

// ---- C API helpers ----

struct CEngine {
  aae_engine* engine = nullptr;
  CEngine() {
    aae_engine_params params;
    aae_engine_default_params(&params);
    const std::string dir = chat_model().dir.string(), lib = chat_model().lib.string();
    params.model_dir = dir.c_str();
    params.model_lib_path = lib.c_str();
    params.num_threads = 2;
    EXPECT_EQ(aae_engine_create(&params, &engine), AAE_OK) << aae_last_error();
  }
  ~CEngine() { aae_engine_free(engine); }
};

struct CResponse {
  aae_status status = AAE_ERR_FAILED;
  std::string body;
  std::vector<std::string> chunks;
};

void collect_chunk(void* user, const char* chunk, size_t length) {
  EXPECT_EQ(chunk[length], '\0');
  static_cast<CResponse*>(user)->chunks.emplace_back(chunk, length);
}

CResponse chat(aae_engine* engine, const std::string& request) {
  CResponse r;
  char* body = nullptr;
  r.status = aae_chat_completion(engine, request.c_str(), collect_chunk, &r, &body);
  if (body != nullptr) r.body = body;
  aae_string_free(body);
  return r;
}

json::Value parse_json(const std::string& text) {
  auto v = json::parse(text);
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : json::Value();
}

std::string content_of(const json::Value& completion) {
  return completion.find("choices")->as_array().at(0).find("message")->find("content")->as_string();
}

// The deltas of streamed chunks, concatenated; `finish` gets the last chunk's finish_reason.
std::string streamed_text(const std::vector<std::string>& chunks, std::string* finish) {
  std::string text;
  for (const auto& chunk : chunks) {
    const json::Value v = parse_json(chunk);
    const json::Value& choice = v.find("choices")->as_array().at(0);
    if (const json::Value* content = choice.find("delta")->find("content")) {
      text += content->as_string();
    }
    const json::Value* reason = choice.find("finish_reason");
    if (!reason->is_null()) *finish = reason->as_string();
  }
  return text;
}

TEST(ChatCompletionE2E, StreamedOverTheCApiEqualsNonStreamedWithTheSameSeed) {
  REQUIRE_MODEL();
  CEngine c;
  ASSERT_NE(c.engine, nullptr);
  const std::string body = R"({"messages":[{"role":"user","content":"Tell me a story."}],
      "max_tokens": 24, "temperature": 0.9, "seed": 11)";
  const CResponse streamed = chat(c.engine, body + R"(, "stream": true})");
  ASSERT_EQ(streamed.status, AAE_OK) << streamed.body;
  ASSERT_GE(streamed.chunks.size(), 2u);
  std::string finish;
  const std::string streamed_content = streamed_text(streamed.chunks, &finish);
  const json::Value streamed_final = parse_json(streamed.body);
  EXPECT_EQ(content_of(streamed_final), streamed_content);
  EXPECT_FALSE(streamed_content.empty());
  EXPECT_EQ(finish,
            streamed_final.find("choices")->as_array()[0].find("finish_reason")->as_string());
  // Every chunk carries the final response's id.
  for (const auto& chunk : streamed.chunks) {
    EXPECT_EQ(parse_json(chunk).find("id")->as_string(), streamed_final.find("id")->as_string());
  }

  ASSERT_EQ(aae_engine_reset_chat(c.engine), AAE_OK);  // both runs prefill the whole prompt
  const CResponse plain = chat(c.engine, body + "}");
  ASSERT_EQ(plain.status, AAE_OK) << plain.body;
  EXPECT_TRUE(plain.chunks.empty());  // no "stream": the callback is not called
  EXPECT_EQ(content_of(parse_json(plain.body)), streamed_content);
}

TEST(ChatCompletionE2E, CancelFromAnotherThreadStopsBeforeTheNextToken) {
  REQUIRE_MODEL();
  auto engine = open_chat();
  ASSERT_TRUE(engine.ok()) << engine.error().to_string();
  ChatCompletionRequest request = user_request("Go on and on.", 64);
  int64_t tokens_at_cancel = -1;
  int deltas = 0, deltas_after_cancel = 0;
  auto completion = engine->complete(request, [&](std::string_view) {
    ++deltas;
    if (tokens_at_cancel >= 0) ++deltas_after_cancel;
    if (deltas == 3) {
      std::thread canceller([&] { engine->cancel(); });
      canceller.join();  // the cancel has happened before this token's callback returns
      tokens_at_cancel = engine->running_completion().usage.completion_tokens;
    }
  });
  ASSERT_TRUE(completion.ok()) << completion.error().to_string();
  ASSERT_GE(tokens_at_cancel, 3) << "the reply ended before the third delta";
  EXPECT_EQ(completion->finish_reason, FinishReason::kCancelled);
  EXPECT_LE(completion->usage.completion_tokens - tokens_at_cancel, 1);
  EXPECT_EQ(deltas_after_cancel, 0);

  // A request after a cancelled one is not affected by it.
  auto next = engine->complete(user_request("Again.", 5));
  ASSERT_TRUE(next.ok()) << next.error().to_string();
  EXPECT_NE(next->finish_reason, FinishReason::kCancelled);
}

TEST(ChatCompletionE2E, CancelOverTheCApiEndsTheStreamWithCancelled) {
  REQUIRE_MODEL();
  CEngine c;
  ASSERT_NE(c.engine, nullptr);
  struct State {
    aae_engine* engine = nullptr;
    int chunks = 0;
    int chunks_after_cancel = 0;
    bool cancelled = false;
    std::string last;  // the last chunk
  } state;
  state.engine = c.engine;
  auto on_chunk = [](void* user, const char* chunk, size_t length) {
    auto* s = static_cast<State*>(user);
    ++s->chunks;
    s->last.assign(chunk, length);
    if (s->cancelled) ++s->chunks_after_cancel;
    if (s->chunks == 2) {
      std::thread canceller([s] { aae_engine_cancel(s->engine); });
      canceller.join();
      s->cancelled = true;
    }
  };
  char* body = nullptr;
  const aae_status status = aae_chat_completion(
      c.engine,
      R"({"messages":[{"role":"user","content":"Talk."}],"max_tokens":64,"stream":true,"seed":3})",
      on_chunk, &state, &body);
  const std::string response = body != nullptr ? body : "";
  aae_string_free(body);
  ASSERT_EQ(status, AAE_OK) << response;
  ASSERT_TRUE(state.cancelled) << response;
  EXPECT_EQ(state.chunks_after_cancel, 1);  // only the final chunk
  std::string finish;
  streamed_text({state.last}, &finish);
  EXPECT_EQ(finish, "cancelled");
  EXPECT_EQ(parse_json(response).find("choices")->as_array()[0].find("finish_reason")->as_string(),
            "cancelled");
}

TEST(ChatCompletionE2E, SecondTurnPrefillsOnlyTheNewTokens) {
  REQUIRE_MODEL();
  auto engine = open_chat();
  ASSERT_TRUE(engine.ok()) << engine.error().to_string();
  ChatCompletionRequest turn = user_request("Hello there, who are you?", 12);
  auto first = engine->complete(turn);
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_EQ(first->usage.cached_prompt_tokens, 0);
  EXPECT_EQ(first->usage.prefilled_tokens, first->usage.prompt_tokens);

  turn.messages.push_back({"assistant", first->content});
  turn.messages.push_back({"user", "Tell me more."});
  auto second = engine->complete(turn);
  ASSERT_TRUE(second.ok()) << second.error().to_string();
  const ChatUsage& u = second->usage;
  // The whole first prompt (and any reply tokens that re-encode the same) came from the cache;
  // only what follows was prefilled.
  EXPECT_GE(u.cached_prompt_tokens, first->usage.prompt_tokens);
  EXPECT_EQ(u.prefilled_tokens, u.prompt_tokens - u.cached_prompt_tokens);
  EXPECT_LE(u.prefilled_tokens, u.prompt_tokens - first->usage.prompt_tokens);
  EXPECT_GT(u.prefilled_tokens, 0);

  // The same request again: everything but one token is cached (that one gives the logits).
  ASSERT_TRUE(engine->reset().ok());
  auto fresh = engine->complete(turn);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->usage.cached_prompt_tokens, 0);
  auto again = engine->complete(turn);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->usage.cached_prompt_tokens, again->usage.prompt_tokens - 1);
  EXPECT_EQ(again->usage.prefilled_tokens, 1);
}

TEST(ChatCompletionE2E, MalformedRequestsGiveErrorJsonAndTheEngineStillServes) {
  REQUIRE_MODEL();
  CEngine c;
  ASSERT_NE(c.engine, nullptr);
  struct Case {
    std::string body;
    aae_status status;
    const char* param;  // "" for null
  };
  std::string long_text;
  for (int i = 0; i < 3000; ++i) long_text += "word ";
  const std::vector<Case> cases = {
      {R"({"messages": [)", AAE_ERR_INVALID_ARGUMENT, ""},
      {R"({"messages":[{"role":"wizard","content":"x"}]})", AAE_ERR_INVALID_ARGUMENT,
       "messages[0].role"},
      {R"({"messages":[{"role":"user","content":"x"}],"max_tokens":-1})",
       AAE_ERR_INVALID_ARGUMENT, "max_tokens"},
      {R"({"messages":[{"role":"user","content":"x"}],"n":3})", AAE_ERR_INVALID_ARGUMENT, "n"},
      {R"({"messages":[{"role":"user","content":"x"}],"temperature":2.5})",
       AAE_ERR_INVALID_ARGUMENT, "temperature"},
      {R"({"messages":[]})", AAE_ERR_INVALID_ARGUMENT, "messages"},
      {R"({"messages":[{"role":"user","content":")" + long_text + R"("}]})",
       AAE_ERR_CONTEXT_OVERFLOW, ""},
  };
  for (const Case& k : cases) {
    const CResponse r = chat(c.engine, k.body);
    EXPECT_EQ(r.status, k.status) << k.body.substr(0, 80) << "\n" << r.body;
    EXPECT_FALSE(std::string(aae_last_error()).empty());
    const json::Value body = parse_json(r.body);
    const json::Value* error = body.find("error");
    ASSERT_NE(error, nullptr) << r.body;
    EXPECT_EQ(error->find("type")->as_string(), "invalid_request_error") << r.body;
    if (std::string(k.param).empty()) {
      EXPECT_TRUE(error->find("param")->is_null()) << r.body;
    } else {
      EXPECT_EQ(error->find("param")->as_string(), k.param) << r.body;
    }
    if (k.status == AAE_ERR_CONTEXT_OVERFLOW) {
      EXPECT_EQ(error->find("code")->as_string(), "context_length_exceeded");
    }
  }
  const CResponse ok =
      chat(c.engine, R"({"messages":[{"role":"user","content":"Hi"}],"max_tokens":4})");
  ASSERT_EQ(ok.status, AAE_OK) << ok.body;
  const json::Value usage = *parse_json(ok.body).find("usage");
  EXPECT_GT(usage.find("prompt_tokens")->as_int64(), 0);
  EXPECT_LE(usage.find("completion_tokens")->as_int64(), 4);
}

TEST(ChatCompletionE2E, StopStringsNeverReachTextOrDeltas) {
  REQUIRE_MODEL();
  auto engine = open_chat();
  ASSERT_TRUE(engine.ok()) << engine.error().to_string();
  // Sampled (seeded), not greedy: this random-weight model's greedy reply is one repeated
  // character, which would make every stop string match at the start.
  ChatCompletionRequest request = user_request("Say something long.", 40);
  request.temperature = 1.0;
  request.seed = 1234;
  auto free_run = engine->complete(request);
  ASSERT_TRUE(free_run.ok()) << free_run.error().to_string();
  const std::string& text = free_run->content;
  // A stop string from the middle of the free reply, on ASCII boundaries.
  size_t start = text.size() / 3;
  while (start < text.size() && static_cast<unsigned char>(text[start]) >= 0x80) ++start;
  size_t end = start + 3;
  while (end < text.size() && static_cast<unsigned char>(text[end]) >= 0x80) ++end;
  ASSERT_LT(end, text.size()) << "reply too short for the test: " << text;
  const std::string stop = text.substr(start, end - start);
  request.stop = {stop};
  std::vector<std::string> deltas;
  std::string streamed;
  auto stopped = engine->complete(request, [&](std::string_view d) {
    deltas.emplace_back(d);
    streamed += d;
  });
  ASSERT_TRUE(stopped.ok()) << stopped.error().to_string();
  EXPECT_EQ(stopped->finish_reason, FinishReason::kStop);
  EXPECT_EQ(stopped->content, text.substr(0, text.find(stop)));
  EXPECT_FALSE(stopped->content.empty()) << "the stop string should cut the reply in its middle";
  EXPECT_EQ(streamed, stopped->content);
  EXPECT_EQ(streamed.find(stop), std::string::npos);
  for (const auto& d : deltas) EXPECT_EQ(d.find(stop), std::string::npos) << d;
}

TEST(ChatCompletionE2E, GenerateStillWorksOnTheSameCEngine) {
  REQUIRE_MODEL();
  CEngine c;
  ASSERT_NE(c.engine, nullptr);
  aae_generate_params params;
  aae_generate_default_params(c.engine, &params);
  params.max_tokens = 5;
  params.temperature = 0;
  int32_t generated = -1;
  ASSERT_EQ(aae_engine_generate(c.engine, "Hello", &params, nullptr, nullptr, &generated), AAE_OK)
      << aae_last_error();
  EXPECT_GE(generated, 0);
  // Chat after raw generation: the cache holds the raw sequence, which the chat prompt does
  // not extend; the request still runs and reuses nothing it should not.
  const CResponse r =
      chat(c.engine, R"({"messages":[{"role":"user","content":"Hi"}],"max_tokens":3})");
  ASSERT_EQ(r.status, AAE_OK) << r.body;
  const json::Value usage = *parse_json(r.body).find("usage");
  EXPECT_EQ(usage.find("prompt_tokens_details")->find("cached_tokens")->as_int64() +
                usage.find("prefilled_tokens")->as_int64(),
            usage.find("prompt_tokens")->as_int64());
}

// examples/linux-chat packaged with this model and built against dist/ only: a conversation
// read from stdin gets the replies ChatEngine gives for the same messages, "/reset" starts over,
// and a prompt argument still gets a one-shot answer.
TEST(LinuxChatExample, KeepsAConversationFromStdinAndAnswersOneShotPrompts) {
  REQUIRE_MODEL();
  testing::ScratchDir dir;
  testing::write_file(dir / "sphere-aae-package-config.json",
                      R"({"device": "linux", "model_list": [{"model": ")" +
                          chat_model().dir.string() +
                          R"(", "model_id": "chat", "estimated_vram_bytes": 64000000,
                          "bundle_weight": true}]})");
  const auto packaged = testing::run_package(dir.path(), "");
  ASSERT_EQ(packaged.exit_code, 0) << packaged.output;
  const fs::path build = dir / "app-build";
  const auto built = run_command(
      "cmake -S " + shell_quote(std::string(AAE_SOURCE_DIR) + "/examples/linux-chat") + " -B " +
      shell_quote(build.string()) + " -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=" +
      shell_quote((dir / "dist").string()) + " && cmake --build " + shell_quote(build.string()));
  ASSERT_EQ(built.exit_code, 0) << built.output;
  const std::string app = shell_quote((build / "linux-chat").string()) + " " +
                          shell_quote((dir / "dist/bundle").string()) + " chat";

  // What the app's requests ask for: the chat config's sampling, seed 0, MAX_TOKENS (16).
  auto engine = open_chat();
  ASSERT_TRUE(engine.ok()) << engine.error().to_string();
  ChatCompletionRequest turn;
  turn.max_tokens = 16;
  turn.messages = {{"user", "Hello \"friend\""}};
  auto first = engine->complete(turn);
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  turn.messages.push_back({"assistant", first->content});
  turn.messages.push_back({"user", "And then?"});
  auto second = engine->complete(turn);
  ASSERT_TRUE(second.ok()) << second.error().to_string();

  testing::write_file(dir / "input.txt", "Hello \"friend\"\nAnd then?\n/reset\nHello \"friend\"\n");
  const auto chat = testing::run_command_split(app + " - 16 < " +
                                               shell_quote((dir / "input.txt").string()));
  ASSERT_EQ(chat.exit_code, 0) << chat.err;
  EXPECT_EQ(chat.out, first->content + "\n" + second->content + "\n" + first->content + "\n");
  EXPECT_NE(chat.err.find("(new conversation)"), std::string::npos) << chat.err;
  EXPECT_EQ(chat.err.find("linux-chat:"), std::string::npos) << chat.err;

  const auto once = testing::run_command_split(app + " 'Once upon a time' 6");
  ASSERT_EQ(once.exit_code, 0) << once.err;
  EXPECT_FALSE(once.out.empty());
  EXPECT_EQ(once.out.back(), '\n');
}

}  // namespace
}  // namespace aae
