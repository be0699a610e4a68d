#include "serve/http/request_log.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/log.h"

namespace qvl::serve {

namespace {
thread_local bool tl_taken_over = false;

double round_ms(double ms) { return static_cast<double>(static_cast<long long>(ms * 100 + 0.5)) / 100; }
}  // namespace

void request_log_taken_over(bool taken) { tl_taken_over = taken; }
bool request_log_taken_over() { return tl_taken_over; }

void log_request(const RequestLogRecord& r) {
  if (r.status < 500 && log_level() < LogLevel::kInfo) return;
  nlohmann::json j = {{"event", "request"}, {"request_id", r.request_id}, {"method", r.method},
                      {"endpoint", r.endpoint}, {"status", r.status}};
  std::string text = r.method + " " + r.endpoint + " -> " + std::to_string(r.status);
  if (!r.model.empty()) j["model"] = r.model;
  if (!r.mode.empty()) {
    j["mode"] = r.mode;
    j["mode_source"] = r.mode_source;
    j["router_rule"] = r.router_rule.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.router_rule);
    text += " [" + r.mode + "; source=" + r.mode_source + (r.router_rule.empty() ? "" : "; rule=" + r.router_rule) + "]";
  }
  if (r.prompt_tokens >= 0) {
    j["stream"] = r.stream;
    j["finish_reason"] = r.finish_reason;
    j["tokens"] = {{"prompt", r.prompt_tokens}, {"completion", r.completion_tokens},
                   {"reasoning", r.reasoning_tokens}, {"cached", r.cached_tokens}};
    text += " " + r.request_id + " tokens prompt=" + std::to_string(r.prompt_tokens) +
            " completion=" + std::to_string(r.completion_tokens) + " reasoning=" + std::to_string(r.reasoning_tokens) +
            " cached=" + std::to_string(r.cached_tokens);
  }
  nlohmann::json t = {{"total_ms", round_ms(r.total_ms)}};
  if (r.queue_ms >= 0) t["queue_ms"] = round_ms(r.queue_ms);
  t["ttft_ms"] = r.ttft_ms >= 0 ? nlohmann::json(round_ms(r.ttft_ms)) : nlohmann::json(nullptr);
  j["timings"] = t;
  if (r.prompt_tokens >= 0)
    text += str(" ms queue=", round_ms(std::max(0.0, r.queue_ms)), " ttft=", round_ms(std::max(0.0, r.ttft_ms)),
                " total=", round_ms(r.total_ms));
  const LogLevel level = r.status >= 500 ? LogLevel::kError : LogLevel::kInfo;
  log_record(level, text, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace qvl::serve
