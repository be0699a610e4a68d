// Route table, authentication, CORS and error shaping around the endpoint handlers.
#include "serve/http/http_server.h"

#include <httplib.h>

#include <cstring>

#include "base/log.h"
#include "base/timer.h"
#include "serve/http/api_error.h"
#include "serve/guide/guide_endpoints.h"
#include "serve/http/api_key.h"
#include "serve/openai/completion_runner.h"
#include "serve/http/connection_lanes.h"
#include "serve/http/fault_response.h"
#include "serve/http/guarded_server.h"
#include "serve/http/memory_release.h"
#include "serve/http/request_limits.h"
#include "serve/http/request_log.h"
#include "serve/webui/webui_endpoint.h"

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

// No API key needed: probes, scrapers, and the web UI's files (the page asks for the key).
bool public_path(const std::string& path) { return path == "/health" || path == "/metrics" || is_webui_path(path); }

std::string allowed_origin(const ServerOptions& o, const httplib::Request& req) {
  if (o.cors_origins.empty() || !req.has_header("Origin")) return "";
  const std::string origin = req.get_header_value("Origin");
  for (const auto& a : o.cors_origins)
    if (a == "*" || a == origin) return a == "*" ? "*" : origin;
  return "";
}

thread_local bool tl_body_read = false;  // this request's body went through read_body
thread_local Timer tl_request_clock;       // from the request's head being read, for the request log

bool has_body(const httplib::Request& req) {
  return req.has_header("Transfer-Encoding") ||
         (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0");
}

// Reads a POST body through cpp-httplib's content reader, so the size cap applies
// as bytes arrive and the whole upload has a deadline (a client dripping a byte
// every few seconds never trips a per-read time-out). Throws ApiError 408 / 413.
// multipart/form-data bodies (the guide endpoints' uploads) are split into
// `files` by cpp-httplib's parser under the same cap and deadline.
constexpr size_t kMaxFormParts = 32;

void read_body(const ServerOptions& o, const httplib::Request& req, const httplib::ContentReader& reader,
               std::string& body, httplib::MultipartFormDataMap& files) {
  if (req.has_header("Content-Length")) {
    const std::string cl = req.get_header_value("Content-Length");
    char* end = nullptr;
    const unsigned long long n = std::strtoull(cl.c_str(), &end, 10);
    if (cl.empty() || cl[0] < '0' || cl[0] > '9' || *end != 0)
      throw ApiError(400, "malformed Content-Length", "", "invalid_request");
    if (n > o.max_body_bytes)
      throw ApiError(413, str("request body too large (", n, " bytes; the limit is ", o.max_body_bytes, ")"), "",
                     "body_too_large");
    body.reserve(static_cast<size_t>(n));
  }
  Timer t;
  bool too_big = false, too_slow = false, too_many = false;
  bool ok = false;
  const bool multipart = req.is_multipart_form_data();
  try {
    if (multipart) {
      std::vector<httplib::MultipartFormData> parts;
      size_t total = 0;
      ok = reader(
          [&](const httplib::MultipartFormData& head) {
            if (parts.size() >= kMaxFormParts) return !(too_many = true);
            parts.push_back(head);
            return true;
          },
          [&](const char* data, size_t n) {
            if ((total += n) > o.max_body_bytes) return !(too_big = true);
            if (t.ms() > o.upload_deadline_s * 1000) return !(too_slow = true);
            parts.back().content.append(data, n);
            return true;
          });
      for (auto& p : parts) files.emplace(p.name, std::move(p));
    } else {
      ok = reader([&](const char* data, size_t n) {
        if (body.size() + n > o.max_body_bytes) return !(too_big = true);
        if (t.ms() > o.upload_deadline_s * 1000) return !(too_slow = true);
        body.append(data, n);
        return true;
      });
    }
  } catch (const std::exception&) {  // cpp-httplib parses chunk sizes with std::stoul, which throws
    throw ApiError(400, "malformed request body (chunked framing)", "", "invalid_request");
  }
  if (too_big)
    throw ApiError(413, str("request body too large (the limit is ", o.max_body_bytes, " bytes)"), "", "body_too_large");
  if (too_slow) throw ApiError(408, str("the request body did not arrive within ", o.upload_deadline_s, " s"), "",
                               "request_timeout");
  // The reader fails at once on broken framing (a bad chunk size, a short body
  // before EOF) and only after --read-timeout-s when the client went quiet.
  if (too_many) throw ApiError(400, str("more than ", kMaxFormParts, " multipart/form-data parts"), "", "invalid_request");
  if (!ok && multipart && t.ms() < o.read_timeout_s * 1000 * 0.9)
    throw ApiError(400, "malformed or truncated multipart/form-data body", "", "invalid_request");
  if (!ok && t.ms() < o.read_timeout_s * 1000 * 0.9)
    throw ApiError(400, "malformed or truncated request body", "", "invalid_request");
  if (!ok)
    throw ApiError(408, str("the client stopped sending the request body for ", o.read_timeout_s, " s"), "",
                   "request_timeout");
}

}  // namespace

HttpServer::HttpServer(ServerContext& ctx) : ctx_(ctx), svr_(std::make_unique<GuardedServer>()) {
  auto& s = *svr_;
  const ServerOptions& o = ctx.opt;
  configure_allocator_for_serving();
  s.new_task_queue = [&o] {
    return new ConnectionLanes(static_cast<size_t>(o.max_connections), static_cast<size_t>(o.http_threads), 4);
  };
  s.set_payload_max_length(o.max_body_bytes);
  const auto secs = static_cast<time_t>(o.read_timeout_s);
  const auto usecs = static_cast<time_t>((o.read_timeout_s - static_cast<double>(secs)) * 1e6);
  s.set_read_timeout(secs, usecs);
  s.set_write_timeout(secs, usecs);
  s.set_keep_alive_timeout(5);

  ServerContext* c = &ctx_;
  auto guarded = [](const httplib::Request& req, httplib::Response& res, const std::function<void()>& run) {
    try {
      run();
    } catch (...) {  // ApiError: its 4xx; anything else: 500 with a request id (fault_response.h)
      answer_fault(req, res, std::current_exception());
    }
  };
  auto route = [c, guarded](Handler h) {
    return [c, h, guarded](const httplib::Request& req, httplib::Response& res) {
      guarded(req, res, [&] { h(*c, req, res); });
    };
  };
  // POST bodies come through read_body (streamed cap and upload deadline); the
  // handler then sees an ordinary request with the body filled in.
  auto post = [c, guarded](Handler h) {
    return [c, h, guarded](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
      guarded(req, res, [&] {
        httplib::Request full = req;
        try {
          read_body(c->opt, req, reader, full.body, full.files);
        } catch (const ApiError&) {
          // The rest of the body is still in the socket: the connection cannot
          // carry another request, so the client must not reuse it.
          res.set_header("Connection", "close");
          GuardedServer::close_after_response();
          throw;
        }
        tl_body_read = true;
        note_large_request(full.body.size());  // trimmed once the connection ends
        h(*c, full, res);
      });
    };
  };
  s.Post("/v1/chat/completions", post(handle_chat_completions));
  s.Post("/chat/completions", post(handle_chat_completions));
  s.Post("/v1/completions", post(handle_completions));
  s.Post("/v1/generate/html", post(handle_generate_html));
  s.Post("/v1/generate/drawio", post(handle_generate_drawio));
  s.Post("/v1/agent/action", post(handle_agent_action));
  s.Post("/completions", post(handle_completions));
  s.Get("/v1/models", route(handle_models));
  s.Get("/models", route(handle_models));
  s.Post("/tokenize", post(handle_tokenize));
  s.Post("/detokenize", post(handle_detokenize));
  s.Post("/apply-template", post(handle_apply_template));
  s.Get("/health", route(handle_health));
  s.Get("/metrics", route(handle_metrics));
  s.Get("/", route(handle_webui_page));
  s.Get(R"(/ui/([A-Za-z0-9_-]+\.[a-z]+))", route(handle_webui_asset));
  s.Options(".*", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });

  s.set_pre_routing_handler([c](const httplib::Request& req, httplib::Response& res) {
    // Runs after the head is read and before any body: refusals here cost nothing.
    tl_body_read = false;
    tl_request_clock.reset();
    request_log_taken_over(false);
    if (ConnectionLanes::in_overflow_lane() && !public_path(req.path)) {
      res.set_header("Retry-After", "1");
      res.set_header("Connection", "close");
      GuardedServer::close_after_response();
      send_json(res, 503,
                error_body(503, str("the server is at its connection limit (", c->opt.max_connections,
                                    "); retry shortly"), "", "too_many_connections"));
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.headers.size() > limits::kHeaders) {
      res.set_header("Connection", "close");
      GuardedServer::close_after_response();
      send_json(res, 431, error_body(431, str("too many request headers (", req.headers.size(), "; the limit is ",
                                              limits::kHeaders, ")"), "", "headers_too_large"));
      return httplib::Server::HandlerResponse::Handled;
    }
    if (c->opt.api_key.empty() || req.method == "OPTIONS" || public_path(req.path))
      return httplib::Server::HandlerResponse::Unhandled;
    const std::string auth = req.get_header_value("Authorization");
    if (api_key_matches(auth, c->opt.api_key)) return httplib::Server::HandlerResponse::Unhandled;
    send_json(res, 401,
              error_body(401, auth.empty() ? "missing API key (send Authorization: Bearer KEY)" : "invalid API key",
                         "", "invalid_api_key"));
    return httplib::Server::HandlerResponse::Handled;
  });
  s.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty() || res.is_chunked_content_provider_) return httplib::Server::HandlerResponse::Unhandled;
    std::string msg = "error";
    if (const int refused = GuardedServer::head_refusal()) {  // the head hit its size cap or deadline
      res.status = refused;
      res.set_header("Connection", "close");
      msg = refused == 431 ? str("request line and headers exceed ", GuardedServer::kHeadBytes, " bytes")
                           : "the request line and headers did not arrive in time";
    } else if (res.status == 404) msg = "no route for " + req.method + " " + req.path;
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
    // An over-cap connection is served once; a body left unread (refused before
    // reading, or no route) would be parsed as the next request: both end the connection.
    if (ConnectionLanes::in_overflow_lane() || (has_body(req) && !tl_body_read && req.body.empty())) {
      res.set_header("Connection", "close");
      GuardedServer::close_after_response();
    }
    if (req.method == "OPTIONS") return;
    c->metrics.request(endpoint_label(req.path), mode_label(res), res.status);
    // Access log; scrapers, health probes and page loads would drown it. Completions
    // write their own record when the last token is out (with tokens and timings).
    if (!public_path(req.path) && !request_log_taken_over()) {
      RequestLogRecord rec;
      rec.request_id = res.has_header("X-Request-Id") ? res.get_header_value("X-Request-Id") : new_request_id("req-");
      rec.method = req.method;
      rec.endpoint = req.path;
      rec.status = res.status;
      const std::string mode = res.get_header_value("X-Reasoning-Mode-Used");  // "thinking; source=router; rule=x"
      if (!mode.empty()) {
        rec.mode = mode.substr(0, mode.find(';'));
        for (const char* key : {"source=", "rule="}) {
          const size_t at = mode.find(key);
          if (at == std::string::npos) continue;
          const size_t from = at + std::strlen(key), to = mode.find(';', from);
          (key[0] == 's' ? rec.mode_source : rec.router_rule) = mode.substr(from, to - from);
        }
      }
      rec.total_ms = tl_request_clock.ms();
      log_request(rec);
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
