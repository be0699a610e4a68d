// Mode resolution order and every body spelling clients already send.
#include "serve/modes/mode_resolver.h"

#include "serve/http/api_error.h"

namespace qvl::serve {

namespace {

struct Asked {
  bool found = false;
  bool is_auto = false;
  Mode mode = Mode::kInstruct;
  std::string field;
};

Asked from_string(const std::string& v, const std::string& field) {
  Asked a{true, false, Mode::kInstruct, field};
  auto m = parse_mode(v, field, &a.is_auto);
  if (m) a.mode = *m;
  return a;
}

Asked from_bool(const nlohmann::json& v, const std::string& field) {
  if (!v.is_boolean()) throw bad_param(field, "'" + field + "' must be true or false");
  return {true, false, v.get<bool>() ? Mode::kThinking : Mode::kInstruct, field};
}

// reasoning_effort (OpenAI): "none" and "minimal" turn thinking off; low / medium /
// high turn it on (their thinking budgets are set in make_generation).
Asked from_effort(const nlohmann::json& v) {
  static const char* kField = "reasoning_effort";
  if (!v.is_string()) throw bad_param(kField, "'reasoning_effort' must be a string");
  const std::string s = v;
  if (s == "none" || s == "minimal") return {true, false, Mode::kInstruct, kField};
  if (s == "low" || s == "medium" || s == "high") return {true, false, Mode::kThinking, kField};
  if (s == "auto") return {true, true, Mode::kInstruct, kField};
  throw bad_param(kField, "'reasoning_effort' must be none, minimal, low, medium, high or auto");
}

// think (Ollama): a bool, or an effort level string.
Asked from_think(const nlohmann::json& v) {
  if (v.is_boolean()) return from_bool(v, "think");
  if (v.is_string() && (v == "low" || v == "medium" || v == "high")) return {true, false, Mode::kThinking, "think"};
  throw bad_param("think", "'think' must be true, false, low, medium or high");
}

Asked from_body(const nlohmann::json& b) {
  if (b.contains("reasoning_mode") && !b["reasoning_mode"].is_null()) {
    if (!b["reasoning_mode"].is_string()) throw bad_param("reasoning_mode", "'reasoning_mode' must be a string");
    return from_string(b["reasoning_mode"], "reasoning_mode");
  }
  if (b.contains("chat_template_kwargs") && !b["chat_template_kwargs"].is_null()) {
    const auto& k = b["chat_template_kwargs"];
    if (!k.is_object()) throw bad_param("chat_template_kwargs", "'chat_template_kwargs' must be an object");
    if (k.contains("enable_thinking") && !k["enable_thinking"].is_null())
      return from_bool(k["enable_thinking"], "chat_template_kwargs.enable_thinking");
  }
  if (b.contains("enable_thinking") && !b["enable_thinking"].is_null()) return from_bool(b["enable_thinking"], "enable_thinking");
  if (b.contains("reasoning_effort") && !b["reasoning_effort"].is_null()) return from_effort(b["reasoning_effort"]);
  if (b.contains("think") && !b["think"].is_null()) return from_think(b["think"]);
  return {};
}

ModeDecision routed(const Router& router, const RouterInput& in, const std::string& asked_by) {
  const RouteResult r = router.route(in);
  ModeDecision d;
  d.mode = r.mode;
  d.source = "router";
  d.rule = r.rule;
  d.field = asked_by;  // who asked for "auto", if anyone
  return d;
}

}  // namespace

std::optional<Mode> mode_from_alias_suffix(const std::string& name) {
  if (name.ends_with("-thinking")) return Mode::kThinking;
  if (name.ends_with("-instruct")) return Mode::kInstruct;
  return std::nullopt;
}

ModeDecision resolve_mode(const ModeRequest& req, const Router& router) {
  if (req.header) {
    const Asked a = from_string(*req.header, "X-Reasoning-Mode");
    if (a.is_auto) return routed(router, req.router_input, "X-Reasoning-Mode");
    return {a.mode, "header", "X-Reasoning-Mode", "", ""};
  }
  if (req.body) {
    const Asked a = from_body(*req.body);
    if (a.found && a.is_auto) return routed(router, req.router_input, a.field);
    if (a.found) return {a.mode, "body", a.field, "", ""};
  }
  if (req.alias_mode) return {*req.alias_mode, "alias", req.alias, "", ""};
  return routed(router, req.router_input, "");
}

}  // namespace qvl::serve
