// State shared by every endpoint handler: options, the model registry, the mode
// router, metrics and the loading status. Endpoints are free functions over it
// (one file each); http_server.cpp wires them to cpp-httplib.
#pragma once
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "serve/deploy/checkpoint.h"
#include "serve/media/image_fetch.h"
#include "serve/deploy/metrics.h"
#include "serve/openai/request_params.h"
#include "serve/modes/router.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace qvl::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0 = any free port
  std::string api_key;                    // "" = no authentication
  std::vector<std::string> cors_origins;  // "*" allowed
  size_t max_body_bytes = 32u << 20;
  int max_queue = 64;       // waiting requests across the engines before 429
  int http_threads = 16;    // connection workers started up front (more are made on demand)
  int max_connections = 256;  // connections served at once; past it only /health and /metrics
  double read_timeout_s = 15;   // one read or write on a socket may block this long
  double upload_deadline_s = 120;  // a whole request body must arrive within this
  double keepalive_s = 5;   // SSE comment interval while nothing else is sent
  ServerLimits limits;
  FetchPolicy image_fetch;  // http(s) image URLs; off unless --allow-image-urls
  bool webui = true;        // the built-in web UI at / (--no-webui turns it off)
};

struct ServerContext {
  ServerOptions opt;
  ModelRegistry registry;
  std::shared_ptr<Router> router;
  Metrics metrics;
  std::atomic<bool> ready{false};
  std::mutex load_mu;
  std::string load_error;  // set when loading failed

  int queue_depth() const;
  int running() const;
  std::vector<Metrics::EngineGauge> engine_gauges() const;  // one per loaded checkpoint
};

using Handler = void (*)(ServerContext&, const httplib::Request&, httplib::Response&);

void handle_chat_completions(ServerContext& ctx, const httplib::Request& req, httplib::Response& res);
void handle_completions(ServerContext& ctx, const httplib::Request& req, httplib::Response& res);
void handle_models(ServerContext& ctx, const httplib::Request& req, httplib::Response& res);
void handle_tokenize(ServerContext& ctx, const httplib::Request& req, httplib::Response& res);
void handle_apply_template(ServerContext& ctx, const httplib::Request& req, httplib::Response& res);
void handle_detokenize(ServerContext& ctx, const httplib::Request& req, httplib::Response& res);
void handle_health(ServerContext& ctx, const httplib::Request& req, httplib::Response& res);
void handle_metrics(ServerContext& ctx, const httplib::Request& req, httplib::Response& res);

// Shared helpers for the endpoint files.
nlohmann::json parse_body(const httplib::Request& req);  // ApiError 400 unless a JSON object
// The same body with the client's key order kept (what the chat template sees).
nlohmann::ordered_json parse_body_ordered(const httplib::Request& req);
void send_json(httplib::Response& res, int status, const nlohmann::json& body);
std::string dump_json(const nlohmann::json& j);          // invalid UTF-8 replaced, never throws
void require_ready(const ServerContext& ctx);            // ApiError 503 while loading
// The deployment a request names (404 if unknown; empty name = the first one).
ModelRegistry::Found find_model(const ServerContext& ctx, const std::string& name);

}  // namespace qvl::serve
