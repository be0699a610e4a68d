// Route table, authentication, CORS and error shaping around the endpoint handlers.
#include "serve/http_server.h"

#include <httplib.h>

#include "base/log.h"
#include "serve/api_error.h"

namespace qvl::serve {

namespace {

std::string endpoint_label(const std::string& path) {
  for (const char* p : {"/v1/chat/completions", "/v1/completions", "/v1/models", "/tokenize", "/detokenize",
                        "/health", "/metrics"})
    if (path.rfind(p, 0) == 0) return p;
  return "other";
}

std::string mode_label(const httplib::Response& res) {
  const std::string v = res.get_header_value("X-Reasoning-Mode-Used");
  return v.empty() ? "none" : v.substr(0, v.find(';'));
}

bool public_path(const std::string& path) { return path == "/health" || path == "/metrics"; }

std::string allowed_origin(const ServerOptions& o, const httplib::Request& req) {
  if (o.cors_origins.empty() || !req.has_header("Origin")) return "";
  const std::string origin = req.get_header_value("Origin");
  for (const auto& a : o.cors_origins)
    if (a == "*" || a == origin) return a == "*" ? "*" : origin;
  return "";
}

}  // namespace

HttpServer::HttpServer(ServerContext& ctx) : ctx_(ctx), svr_(std::make_unique<httplib::Server>()) {
  auto& s = *svr_;
  const int threads = ctx.opt.http_threads;
  s.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  s.set_payload_max_length(ctx.opt.max_body_bytes);
  s.set_read_timeout(60, 0);
  s.set_write_timeout(60, 0);

  ServerContext* c = &ctx_;
  auto route = [c](Handler h) {
    return [c, h](const httplib::Request& req, httplib::Response& res) {
      try {
        h(*c, req, res);
      } catch (const ApiError& e) {
        send_json(res, e.status(), error_body(e));
      } catch (const Error& e) {
        send_json(res, 400, error_body(400, e.what()));
      } catch (const std::exception& e) {
        log_error("internal error on ", req.path, ": ", e.what());
        send_json(res, 500, error_body(500, std::string("internal error: ") + e.what()));
      }
    };
  };
  s.Post("/v1/chat/completions", route(handle_chat_completions));
  s.Post("/chat/completions", route(handle_chat_completions));
  s.Post("/v1/completions", route(handle_completions));
  s.Post("/completions", route(handle_completions));
  s.Get("/v1/models", route(handle_models));
  s.Get("/models", route(handle_models));
  s.Post("/tokenize", route(handle_tokenize));
  s.Post("/detokenize", route(handle_detokenize));
  s.Post("/apply-template", route(handle_apply_template));
  s.Get("/health", route(handle_health));
  s.Get("/metrics", route(handle_metrics));
  s.Options(".*", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });

  s.set_pre_routing_handler([c](const httplib::Request& req, httplib::Response& res) {
    if (c->opt.api_key.empty() || req.method == "OPTIONS" || public_path(req.path))
      return httplib::Server::HandlerResponse::Unhandled;
    const std::string auth = req.get_header_value("Authorization");
    if (auth == "Bearer " + c->opt.api_key) return httplib::Server::HandlerResponse::Unhandled;
    send_json(res, 401,
              error_body(401, auth.empty() ? "missing API key (send Authorization: Bearer KEY)" : "invalid API key",
                         "", "invalid_api_key"));
    return httplib::Server::HandlerResponse::Handled;
  });
  s.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty() || res.is_chunked_content_provider_) return httplib::Server::HandlerResponse::Unhandled;
    std::string msg = "error";
    if (res.status == 404) msg = "no route for " + req.method + " " + req.path;
    else if (res.status == 413) msg = "request body too large";
    else if (res.status == 400) msg = "malformed HTTP request";
    send_json(res, res.status, error_body(res.status, msg));
    return httplib::Server::HandlerResponse::Handled;
  }));
  s.set_post_routing_handler([c](const httplib::Request& req, httplib::Response& res) {
    const std::string origin = allowed_origin(c->opt, req);
    if (!origin.empty()) {
      res.set_header("Access-Control-Allow-Origin", origin);
      res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
      res.set_header("Access-Control-Allow-Headers",
                     "Authorization, Content-Type, X-Reasoning-Mode, X-Task, OpenAI-Organization, OpenAI-Project");
      res.set_header("Access-Control-Expose-Headers", "X-Reasoning-Mode-Used");
      if (origin != "*") res.set_header("Vary", "Origin");
    }
    if (req.method == "OPTIONS") return;
    c->metrics.request(endpoint_label(req.path), mode_label(res), res.status);
    if (!public_path(req.path)) {  // access log; scrapers and health probes would drown it
      const std::string mode = res.get_header_value("X-Reasoning-Mode-Used");
      log_info(req.method, " ", req.path, " -> ", res.status, mode.empty() ? "" : " [" + mode + "]");
    }
  });
}

HttpServer::~HttpServer() = default;

int HttpServer::bind() {
  int port = ctx_.opt.port;
  if (port == 0) port = svr_->bind_to_any_port(ctx_.opt.host);
  else if (!svr_->bind_to_port(ctx_.opt.host, port)) port = -1;
  QVL_CHECK(port > 0, "cannot listen on ", ctx_.opt.host, ":", ctx_.opt.port);
  return port;
}

void HttpServer::listen() { svr_->listen_after_bind(); }
void HttpServer::stop() { svr_->stop(); }

}  // namespace qvl::serve
