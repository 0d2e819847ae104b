// End to end: `sphere_aae serve` as a real process on a free port (--port 0), driven by libcurl
// as an OpenAI client would: /v1/models, /health, completions streamed and not, bad requests,
// unknown paths, a client that hangs up mid-stream, and SIGTERM.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include <curl/curl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/chat_example_model.h"
#include "tests/support/test_support.h"

namespace aae {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A `sphere_aae serve` child process: stdout is read until the "listening on" line, stderr
// (the request log) goes to a file.
class ServerProcess {
 public:
  ~ServerProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (stdout_fd_ >= 0) ::close(stdout_fd_);
  }

  // Empty on success, else what went wrong (with the server's stderr).
  std::string start(const testing::ChatExampleModel& model, const fs::path& log,
                    const std::vector<std::string>& extra_args = {}) {
    log_ = log;
    std::vector<std::string> args = {AAE_CLI_PATH,  "serve",  model.dir.string(),
                                     "--model-lib", model.lib.string(), "--port", "0",
                                     "--threads",   "2"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    int out[2];
    if (::pipe(out) != 0) return "pipe failed";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      const int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (err >= 0) ::dup2(err, STDERR_FILENO);
      ::close(out[0]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    stdout_fd_ = out[0];
    // Wait (at most a minute) for the line with the port.
    std::string text;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    const std::regex listening("listening on http://127\\.0\\.0\\.1:([0-9]+)\n");
    std::smatch match;
    while (!std::regex_search(text, match, listening)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{stdout_fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        return "no 'listening on' line within 60 s; stdout: " + text + "\nstderr: " + stderr_text();
      }
      char buffer[256];
      const ssize_t n = ::read(stdout_fd_, buffer, sizeof buffer);
      if (n <= 0) return "the server exited; stdout: " + text + "\nstderr: " + stderr_text();
      text.append(buffer, static_cast<size_t>(n));
    }
    port_ = std::stoi(match[1].str());
    return "";
  }

  // Sends `signo` and waits for the process; its exit code, or -1 if it died by a signal.
  int stop(int signo) {
    ::kill(pid_, signo);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::string stderr_text() const { return testing::read_file(log_); }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int port_ = 0;
  fs::path log_;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::string content_type;
  std::string curl_error;  // non-empty when the transfer itself failed
};

// Sends a GET (empty `body`) or a JSON POST. `abort_after_bytes` > 0 hangs up once that much
// of the body has arrived (a client going away mid-stream).
HttpResponse http(const std::string& url, const std::string& body = "", bool post = false,
                  size_t abort_after_bytes = 0) {
  struct Sink {
    std::string* body;
    size_t abort_after;
  };
  HttpResponse response;
  Sink sink{&response.body, abort_after_bytes};
  CURL* curl = curl_easy_init();
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
  if (post) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  }
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION,
                   +[](char* data, size_t size, size_t count, void* user) -> size_t {
                     auto* s = static_cast<Sink*>(user);
                     s->body->append(data, size * count);
                     if (s->abort_after > 0 && s->body->size() >= s->abort_after) return 0;
                     return size * count;
                   });
  const CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) response.curl_error = curl_easy_strerror(code);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  char* type = nullptr;
  curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
  if (type != nullptr) response.content_type = type;
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return response;
}

HttpResponse post(const std::string& url, const json& body) {
  return http(url, body.dump(), true);
}

json parse(const std::string& text) {
  json value = json::parse(text, nullptr, false);
  EXPECT_FALSE(value.is_discarded()) << "not JSON: " << text;
  return value;
}

json user_request(const std::string& text, int max_tokens, bool stream) {
  return {{"messages", json::array({{{"role", "user"}, {"content", text}}})},
          {"temperature", 0},
          {"max_tokens", max_tokens},
          {"stream", stream}};
}

// The `data:` payloads of a Server-Sent Events body, in order.
std::vector<std::string> sse_data(const std::string& body) {
  std::vector<std::string> events;
  size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    const size_t end = body.find("\n\n", pos);
    if (end == std::string::npos) break;
    events.push_back(body.substr(pos + 6, end - pos - 6));
    pos = end + 2;
  }
  return events;
}

// One server for the suite (the model loads once); each test talks to it.
class ServeCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const auto& model = testing::chat_example_model();
    if (!model.error.empty()) {
      setup_error_ = "building the model failed: " + model.error;
      return;
    }
    log_dir_ = new testing::ScratchDir();
    server_ = new ServerProcess();
    setup_error_ = server_->start(model, log_dir_->path() / "serve.log");
  }
  static void TearDownTestSuite() {
    delete server_;
    delete log_dir_;
    server_ = nullptr;
    log_dir_ = nullptr;
  }
  void SetUp() override { ASSERT_EQ(setup_error_, ""); }

  static std::string url(const std::string& path) { return server_->url(path); }

  // Asserts an OpenAI error response with `status`; returns its error object.
  static json expect_error(const HttpResponse& r, long status) {
    EXPECT_EQ(r.status, status) << r.body;
    const json body = parse(r.body);
    EXPECT_TRUE(body.contains("error")) << r.body;
    if (!body.contains("error")) return json::object();
    const json& error = body["error"];
    EXPECT_TRUE(error["message"].is_string() && !error["message"].get<std::string>().empty());
    EXPECT_TRUE(error.contains("type") && error.contains("param") && error.contains("code"));
    return error;
  }

  static inline std::string setup_error_;
  static inline ServerProcess* server_ = nullptr;
  static inline testing::ScratchDir* log_dir_ = nullptr;
};

TEST_F(ServeCli, ListsTheOneModelNamedAfterItsDirectoryAndAnswersHealth) {
  const HttpResponse models = http(url("/v1/models"));
  ASSERT_EQ(models.status, 200) << models.body;
  const json list = parse(models.body);
  EXPECT_EQ(list["object"], "list");
  ASSERT_EQ(list["data"].size(), 1u);
  EXPECT_EQ(list["data"][0]["id"], testing::chat_example_model().dir.filename().string());
  EXPECT_EQ(list["data"][0]["object"], "model");

  const HttpResponse health = http(url("/health"));
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(parse(health.body)["status"], "ok");
}

TEST_F(ServeCli, NonStreamedCompletionIsAChatCompletionObject) {
  const HttpResponse r = post(url("/v1/chat/completions"), user_request("Hello", 8, false));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.content_type.find("application/json"), std::string::npos);
  const json c = parse(r.body);
  EXPECT_EQ(c["object"], "chat.completion");
  EXPECT_EQ(c["model"], testing::chat_example_model().dir.filename().string());
  ASSERT_EQ(c["choices"].size(), 1u);
  EXPECT_EQ(c["choices"][0]["message"]["role"], "assistant");
  EXPECT_TRUE(c["choices"][0]["message"]["content"].is_string());
  const std::string finish = c["choices"][0]["finish_reason"];
  EXPECT_TRUE(finish == "stop" || finish == "length") << finish;
  EXPECT_GT(c["usage"]["prompt_tokens"].get<int>(), 0);
  EXPECT_LE(c["usage"]["completion_tokens"].get<int>(), 8);
}

TEST_F(ServeCli, StreamedDeltasConcatenateToTheNonStreamedText) {
  // Greedy, and sampled with a seed (this random-weight model's greedy reply after the chatml
  // assistant header is a run of newlines; sampling gives varied text).
  for (const double temperature : {0.0, 0.9}) {
    SCOPED_TRACE("temperature " + std::to_string(temperature));
    json request = user_request("Tell me a story", 24, false);
    request["temperature"] = temperature;
    request["seed"] = 7;
    const HttpResponse whole = post(url("/v1/chat/completions"), request);
    ASSERT_EQ(whole.status, 200) << whole.body;
    const json c = parse(whole.body);
    const std::string expected = c["choices"][0]["message"]["content"];
    EXPECT_FALSE(expected.empty());

    request["stream"] = true;
    const HttpResponse streamed = post(url("/v1/chat/completions"), request);
    ASSERT_EQ(streamed.status, 200) << streamed.body;
    EXPECT_NE(streamed.content_type.find("text/event-stream"), std::string::npos);
    const std::vector<std::string> events = sse_data(streamed.body);
    ASSERT_GE(events.size(), 2u) << streamed.body;
    EXPECT_EQ(events.back(), "[DONE]");
    std::string text;
    json last;
    std::string id;
    for (size_t i = 0; i + 1 < events.size(); ++i) {
      const json chunk = parse(events[i]);
      EXPECT_EQ(chunk["object"], "chat.completion.chunk");
      if (id.empty()) id = chunk["id"];
      EXPECT_EQ(chunk["id"], id) << "every chunk of one stream has the same id";
      const json& delta = chunk["choices"][0]["delta"];
      if (delta.contains("content") && delta["content"].is_string()) {
        text += delta["content"].get<std::string>();
      }
      last = chunk;
    }
    EXPECT_EQ(text, expected);
    EXPECT_EQ(last["choices"][0]["finish_reason"], c["choices"][0]["finish_reason"]);
    EXPECT_EQ(last["usage"]["completion_tokens"], c["usage"]["completion_tokens"]);
  }
}

TEST_F(ServeCli, NextTurnOfAConversationReusesTheCachedPrefix) {
  const HttpResponse first = post(url("/v1/chat/completions"), user_request("Hello", 6, false));
  ASSERT_EQ(first.status, 200) << first.body;
  const std::string reply = parse(first.body)["choices"][0]["message"]["content"];
  json second = user_request("Hello", 6, false);
  second["messages"].push_back({{"role", "assistant"}, {"content", reply}});
  second["messages"].push_back({{"role", "user"}, {"content", "And then?"}});
  const HttpResponse r = post(url("/v1/chat/completions"), second);
  ASSERT_EQ(r.status, 200) << r.body;
  const json usage = parse(r.body)["usage"];
  EXPECT_GT(usage["prompt_tokens_details"]["cached_tokens"].get<int>(), 0) << r.body;
}

TEST_F(ServeCli, BadRequestsGet400WithAnErrorObjectAndTheServerKeepsServing) {
  const std::string endpoint = url("/v1/chat/completions");
  expect_error(http(endpoint, "{\"messages\": [", true), 400);

  json unknown_role = user_request("Hi", 4, false);
  unknown_role["messages"][0]["role"] = "narrator";
  const json role_error = expect_error(post(endpoint, unknown_role), 400);
  EXPECT_EQ(role_error["type"], "invalid_request_error");

  json negative = user_request("Hi", 4, false);
  negative["max_tokens"] = -3;
  const json negative_error = expect_error(post(endpoint, negative), 400);
  EXPECT_NE(negative_error["message"].get<std::string>().find("max_tokens"), std::string::npos);

  // Far more tokens than the 256-token window, streamed or not: 400 before any text.
  std::string long_text;
  for (int i = 0; i < 600; ++i) long_text += "story time ";
  for (const bool stream : {false, true}) {
    const json overflow = expect_error(post(endpoint, user_request(long_text, 4, stream)), 400);
    EXPECT_EQ(overflow["code"], "context_length_exceeded") << "stream " << stream;
  }

  const HttpResponse good = post(endpoint, user_request("Hello", 4, false));
  EXPECT_EQ(good.status, 200) << good.body;
}

TEST_F(ServeCli, UnknownPathOrMethodIs404WithAnErrorObject) {
  const json error = expect_error(http(url("/v1/completions"), "{}", true), 404);
  EXPECT_NE(error["message"].get<std::string>().find("/v1/completions"), std::string::npos);
  expect_error(http(url("/v1/chat/completions")), 404);  // GET on a POST endpoint
  EXPECT_EQ(http(url("/health")).status, 200);
}

TEST_F(ServeCli, OversizedBodyIs413WithAnErrorObject) {
  const std::string huge(17u << 20, ' ');  // over the 16 MiB request limit
  const json error = expect_error(http(url("/v1/chat/completions"), huge, true), 413);
  EXPECT_EQ(error["type"], "invalid_request_error");
  EXPECT_TRUE(error["code"].is_null());
  EXPECT_EQ(http(url("/health")).status, 200);
}

TEST_F(ServeCli, ClientHangingUpMidStreamCancelsAndTheServerKeepsServing) {
  // The window's worth of tokens, abandoned after the first bytes.
  const HttpResponse dropped = http(url("/v1/chat/completions"),
                                    user_request("Hello", 10000, true).dump(), true, 1);
  EXPECT_FALSE(dropped.curl_error.empty());
  const HttpResponse good = post(url("/v1/chat/completions"), user_request("Hello", 4, false));
  EXPECT_EQ(good.status, 200) << good.body;
  // Cancelling is not an error: the abandoned stream did not end in one.
  const std::string log = server_->stderr_text();
  EXPECT_EQ(log.find("stream ended by an error"), std::string::npos) << log;
}

TEST(ServeCliLifecycle, SigtermOrSigintStopsTheServerWithExitCodeZero) {
  const auto& model = testing::chat_example_model();
  ASSERT_EQ(model.error, "");
  for (const int signo : {SIGTERM, SIGINT}) {
    SCOPED_TRACE(signo == SIGTERM ? "SIGTERM" : "SIGINT");
    testing::ScratchDir logs;
    ServerProcess server;
    ASSERT_EQ(server.start(model, logs / "serve.log", {"--model-id", "tiny-chat"}), "");
    const HttpResponse models = http(server.url("/v1/models"));
    ASSERT_EQ(models.status, 200);
    EXPECT_EQ(parse(models.body)["data"][0]["id"], "tiny-chat");
    EXPECT_EQ(server.stop(signo), 0) << server.stderr_text();
    EXPECT_NE(server.stderr_text().find("server stopped"), std::string::npos);
  }
}

TEST(ServeCliLifecycle, MissingModelDirectoryFailsWithExitCodeOne) {
  testing::ScratchDir dir;
  const auto r = testing::run_command(testing::shell_quote(AAE_CLI_PATH) + " serve " +
                                      testing::shell_quote((dir / "absent").string()) +
                                      " --port 0");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("does not exist"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace aae
