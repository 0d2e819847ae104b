// sphere_aae serve MODEL_DIR: an OpenAI-compatible HTTP server for one converted model
// (cpp-httplib, plain HTTP, loopback by default). Endpoints (docs/cli-chat-serve.md):
//   POST /v1/chat/completions  (serve_completion.h; streamed or not)
//   GET  /v1/models            the one model, id = the directory's name or --model-id
//   GET  /health               {"status":"ok"}
// Anything else is a 404 with an OpenAI error body. The port it listens on is printed as
// "listening on http://HOST:PORT" (flushed) once the socket is bound, so `--port 0` (any free
// port) is usable from scripts. SIGINT/SIGTERM cancel the running request and stop the server
// (exit code 0).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "runtime/chat/chat_completion.h"
#include "tools/sphere_aae/command.h"
#include "tools/sphere_aae/serve_completion.h"
#include "tools/sphere_aae/serve_engine.h"
#include "tools/sphere_aae/serve_signals.h"

namespace aae::cli {
namespace {

constexpr const char* kJsonType = "application/json";
constexpr size_t kMaxRequestBytes = 16u << 20;  // a request body; whole conversations fit

struct ServeCliOptions {
  ChatModelFlags model;
  std::string host = "127.0.0.1";
  int port = 8000;
  std::string model_id;
};

// An OpenAI-shaped error for failures outside a completion (no route, a handler exception);
// `code` may be null.
std::string http_error_json(const std::string& message, const char* type, const char* code) {
  // `code` may be null (JSON null): never hand nlohmann a null char pointer.
  nlohmann::json code_value = code != nullptr ? nlohmann::json(code) : nlohmann::json(nullptr);
  nlohmann::json body = {{"error",
                          {{"message", message},
                           {"type", type},
                           {"param", nullptr},
                           {"code", std::move(code_value)}}}};
  return body.dump();
}

void install_routes(httplib::Server& server, ServeContext& context) {
  server.Post("/v1/chat/completions",
              [&context](const httplib::Request& request, httplib::Response& response) {
                handle_chat_completion(context, request, response);
              });
  server.Get("/v1/models", [&context](const httplib::Request&, httplib::Response& response) {
    nlohmann::json model = {{"id", context.model_id},
                            {"object", "model"},
                            {"created", context.started_unix},
                            {"owned_by", "sphere_aae"}};
    nlohmann::json body = {{"object", "list"}, {"data", nlohmann::json::array({model})}};
    response.set_content(body.dump(), kJsonType);
  });
  server.Get("/health", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(R"({"status":"ok"})", kJsonType);
  });
  // Called for every status >= 400; a handler that already wrote an error body keeps it.
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request& request, httplib::Response& response) {
        if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        if (response.status == 404) {
          response.set_content(
              http_error_json("unknown endpoint " + request.method + " " + request.path +
                                  "; this server has POST /v1/chat/completions, GET /v1/models, "
                                  "GET /health",
                              "invalid_request_error", "not_found"),
              kJsonType);
        } else {
          response.set_content(
              http_error_json("http error " + std::to_string(response.status),
                              response.status < 500 ? "invalid_request_error" : "server_error",
                              nullptr),
              kJsonType);
        }
        return httplib::Server::HandlerResponse::Handled;
      }));
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& response, std::exception_ptr error) {
        std::string message = "internal error";
        try {
          if (error) std::rethrow_exception(error);
        } catch (const std::exception& e) {
          message += std::string(": ") + e.what();
        } catch (...) {
        }
        response.status = 500;
        response.set_content(http_error_json(message, "server_error", nullptr), kJsonType);
      });
  server.set_logger([](const httplib::Request& request, const httplib::Response& response) {
    std::fprintf(stderr, "%s %s %d\n", request.method.c_str(), request.path.c_str(),
                 response.status);
  });
}

std::string default_model_id(const std::string& model_dir) {
  std::filesystem::path path(model_dir);
  std::string name = path.filename().string();
  if (name.empty()) name = path.parent_path().filename().string();  // "dir/"
  return name.empty() ? std::string("model") : name;
}

Status run_serve(const ServeCliOptions& options) {
  AAE_ASSIGN_OR_RETURN(std::string lib_path, resolve_model_lib(options.model));

  // Declared in destruction order: the watcher (which stops the server and cancels the engine)
  // goes first, then the server, then the engine. The watcher starts before any other thread.
  std::optional<ChatEngine> engine;
  ServeContext context;
  httplib::Server server;
  std::atomic<bool> stop_requested{false};
  SignalWatcher watcher({SIGINT, SIGTERM}, [&](int) {
    stop_requested.store(true);
    if (context.engine != nullptr) context.engine->cancel();
    server.stop();
  });

  EngineOptions engine_options;
  engine_options.model_dir = options.model.model_dir;
  engine_options.model_lib_path = lib_path;
  engine_options.num_threads = options.model.threads;
  AAE_ASSIGN_OR_RETURN(ChatEngine opened, ChatEngine::open(engine_options));
  engine.emplace(std::move(opened));
  context.engine = &*engine;
  context.model_id =
      options.model_id.empty() ? default_model_id(options.model.model_dir) : options.model_id;
  context.started_unix = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();

  server.set_payload_max_length(kMaxRequestBytes);
  install_routes(server, context);
  int port = options.port;
  if (port == 0) {
    port = server.bind_to_any_port(options.host);
    if (port < 0) {
      return Error("cannot listen on " + options.host + " (any port)",
                   "check --host: it must be an address of this machine");
    }
  } else if (!server.bind_to_port(options.host, port)) {
    return Error("cannot listen on " + options.host + ":" + std::to_string(port),
                 "another program may use that port; pick another with --port (0 = any)");
  }
  if (stop_requested.load()) return ok_status();  // a signal while loading the model
  std::printf("listening on http://%s:%d\n", options.host.c_str(), port);
  std::fflush(stdout);
  if (!server.listen_after_bind() && !stop_requested.load()) {
    return Error("the server on " + options.host + ":" + std::to_string(port) + " failed");
  }
  std::fprintf(stderr, "server stopped\n");
  return ok_status();
}

}  // namespace

CommandRunner setup_serve(CLI::App& app) {
  auto options = std::make_shared<ServeCliOptions>();
  add_chat_model_options(app, options->model);
  app.add_option("--host", options->host,
                 "address to listen on (plain HTTP, no authentication: keep it on loopback)")
      ->capture_default_str();
  app.add_option("--port", options->port, "TCP port (0 = any free port; the port is printed)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  app.add_option("--model-id", options->model_id,
                 "the model's name in /v1/models and responses (default: MODEL_DIR's name)");
  return [options] { return run_serve(*options); };
}

}  // namespace aae::cli
