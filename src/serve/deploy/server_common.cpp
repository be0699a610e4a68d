// Helpers every endpoint uses (JSON in/out, readiness, model lookup) and the two
// small endpoints /health and /metrics.
#include <httplib.h>

#include "serve/http/api_error.h"
#include "serve/http/request_limits.h"
#include "serve/deploy/server_context.h"

namespace qvl::serve {

int ServerContext::queue_depth() const {
  int n = 0;
  for (Generator* g : registry.generators()) n += g->queue_depth();
  return n;
}

int ServerContext::running() const {
  int n = 0;
  for (Generator* g : registry.generators()) n += g->running();
  return n;
}

std::vector<Metrics::EngineGauge> ServerContext::engine_gauges() const {
  std::vector<Metrics::EngineGauge> out;
  for (const auto& d : registry.all()) {
    const std::pair<const char*, const Checkpoint*> cps[] = {
        {"single", d->single.get()}, {"instruct", d->instruct.get()}, {"thinking", d->thinking.get()}};
    for (const auto& [role, cp] : cps)
      if (cp) out.push_back({d->spec.name, role, cp->generator->load()});
  }
  return out;
}

nlohmann::json parse_body(const httplib::Request& req) { return parse_bounded_json<nlohmann::json>(req.body); }

nlohmann::ordered_json parse_body_ordered(const httplib::Request& req) {
  return parse_bounded_json<nlohmann::ordered_json>(req.body);
}

std::string dump_json(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(dump_json(body), "application/json");
}

void require_ready(const ServerContext& ctx) {
  if (!ctx.ready) throw ApiError(503, "the model is still loading", "", "model_loading");
}

ModelRegistry::Found find_model(const ServerContext& ctx, const std::string& name) {
  auto f = ctx.registry.find(name);
  if (!f) throw ApiError(404, "the model '" + name + "' does not exist (see GET /v1/models)", "model", "model_not_found");
  return *f;
}

void handle_health(ServerContext& ctx, const httplib::Request&, httplib::Response& res) {
  std::lock_guard<std::mutex> lk(ctx.load_mu);
  if (!ctx.load_error.empty())
    return send_json(res, 503, {{"status", "error"}, {"error", ctx.load_error}});
  if (!ctx.ready) return send_json(res, 503, {{"status", "loading"}});
  send_json(res, 200, {{"status", "ok"}, {"queue_depth", ctx.queue_depth()}, {"running", ctx.running()}});
}

void handle_metrics(ServerContext& ctx, const httplib::Request&, httplib::Response& res) {
  const int q = ctx.ready ? ctx.queue_depth() : 0, r = ctx.ready ? ctx.running() : 0;
  res.status = 200;
  res.set_content(ctx.metrics.render(q, r, ctx.ready ? ctx.engine_gauges() : std::vector<Metrics::EngineGauge>{}),
                  "text/plain; version=0.0.4");
}

}  // namespace qvl::serve
