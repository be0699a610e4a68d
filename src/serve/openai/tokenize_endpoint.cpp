// POST /tokenize, /detokenize and /apply-template (llama-server shapes). /tokenize
// takes "content" (text) or "messages" (rendered with the chat template in the
// requested mode, so clients can count prompt tokens exactly); /apply-template
// returns only the rendered prompt. Neither takes images.
#include <httplib.h>

#include "serve/http/api_error.h"
#include "serve/openai/chat_messages.h"
#include "serve/openai/completion_runner.h"
#include "serve/modes/mode_resolver.h"
#include "serve/tools/tool_request.h"

namespace qvl::serve {

using nlohmann::json;

static std::string model_field(const json& body) {
  if (!body.contains("model") || body["model"].is_null()) return "";
  if (!body["model"].is_string()) throw bad_param("model", "'model' must be a string");
  return body["model"];
}

// Renders a request's messages (+ tools, chat_template_kwargs) in its resolved
// mode: {"prompt", "reasoning_mode"}; sets X-Reasoning-Mode-Used.
static json render_request(ServerContext& ctx, const httplib::Request& req, httplib::Response& res,
                           const ModelRegistry::Found& found) {
  const json body = parse_body(req);
  const nlohmann::ordered_json obody = parse_body_ordered(req);
  ChatInput in = parse_messages(obody);
  if (!in.images.empty()) throw bad_param("messages", "this endpoint does not take images");
  nlohmann::ordered_json extra = template_extras(obody, false);
  if (!parse_tool_request(obody).active()) extra.erase("tools");  // as chat completions: tool_choice none
  ModeRequest mr;
  mr.header = header_of(req, "X-Reasoning-Mode");
  mr.body = &body;
  mr.alias_mode = found.alias_mode;
  mr.alias = found.name;
  mr.router_input.text = in.last_user_text;
  mr.router_input.task = body.contains("task") && body["task"].is_string() ? body["task"].get<std::string>()
                                                                            : req.get_header_value("X-Task");
  ModeDecision d = resolve_mode(mr, *ctx.router);
  const Checkpoint& cp = found.deployment->for_mode(&d.mode, &d.note);
  extra["enable_thinking"] = d.mode == Mode::kThinking;
  std::string text;
  try {
    text = render_chat(cp, in.messages, extra);
  } catch (const Error& e) {
    throw ApiError(400, std::string("the chat template rejected the messages: ") + e.what(), "messages");
  }
  res.set_header("X-Reasoning-Mode-Used", d.header_value());
  return {{"prompt", text}, {"reasoning_mode", d.to_json()}};
}

void handle_apply_template(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  require_ready(ctx);
  const json body = parse_body(req);
  const ModelRegistry::Found found = find_model(ctx, model_field(body));
  if (!body.contains("messages")) throw bad_param("messages", "'messages' is required");
  send_json(res, 200, render_request(ctx, req, res, found));
}

void handle_tokenize(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  require_ready(ctx);
  const json body = parse_body(req);
  const ModelRegistry::Found found = find_model(ctx, model_field(body));
  const Deployment& dep = *found.deployment;
  bool with_pieces = false;
  if (body.contains("with_pieces")) {
    if (!body["with_pieces"].is_boolean()) throw bad_param("with_pieces", "'with_pieces' must be true or false");
    with_pieces = body["with_pieces"];
  }
  std::string text;
  json out = json::object();
  if (body.contains("messages")) {
    out = render_request(ctx, req, res, found);
    text = out["prompt"];
  } else if (body.contains("content") && body["content"].is_string()) {
    text = body["content"];
  } else {
    throw bad_param("content", "'content' (a string) or 'messages' is required");
  }
  const Tokenizer& tok = *dep.any().tokenizer;
  const std::vector<int32_t> ids = tok.encode(text, true);
  json tokens = json::array();
  for (int32_t id : ids) {
    if (with_pieces) tokens.push_back({{"id", id}, {"piece", tok.token_bytes(id)}});
    else tokens.push_back(id);
  }
  out["tokens"] = tokens;
  out["count"] = ids.size();
  send_json(res, 200, out);
}

void handle_detokenize(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  require_ready(ctx);
  const json body = parse_body(req);
  const ModelRegistry::Found found = find_model(ctx, model_field(body));
  const Tokenizer& tok = *found.deployment->any().tokenizer;
  if (!body.contains("tokens") || !body["tokens"].is_array())
    throw bad_param("tokens", "'tokens' (a list of token ids) is required");
  std::vector<int32_t> ids;
  for (const auto& t : body["tokens"]) {
    if (!t.is_number_integer() || t.get<int64_t>() < 0 || t.get<int64_t>() >= tok.vocab_size())
      throw bad_param("tokens", str("'tokens' must be token ids in [0, ", tok.vocab_size(), ")"));
    ids.push_back(static_cast<int32_t>(t.get<int64_t>()));
  }
  send_json(res, 200, {{"content", tok.decode(ids)}});
}

}  // namespace qvl::serve
