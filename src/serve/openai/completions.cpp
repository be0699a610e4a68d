// POST /v1/completions: raw prompt (string, one-string list, or token ids), no
// chat template. The mode still picks the checkpoint of a pair and the sampling
// profile; the text comes back unsplit.
#include <httplib.h>

#include <ctime>

#include "serve/http/api_error.h"
#include "serve/openai/completion_runner.h"
#include "serve/modes/mode_resolver.h"
#include "serve/openai/structured_output.h"

namespace qvl::serve {

using nlohmann::json;

namespace {

// Either text or token ids, never both.
struct RawPrompt {
  std::string text;
  std::vector<int32_t> ids;
  bool is_ids = false;
};

RawPrompt parse_prompt(const json& body) {
  if (!body.contains("prompt") || body["prompt"].is_null()) throw bad_param("prompt", "'prompt' is required");
  json p = body["prompt"];
  RawPrompt out;
  if (p.is_array() && p.size() == 1 && (p[0].is_string() || p[0].is_array())) p = p[0];
  if (p.is_string()) {
    out.text = p.get<std::string>();
    if (out.text.empty()) throw bad_param("prompt", "'prompt' must not be empty");
    return out;
  }
  if (p.is_array() && !p.empty()) {
    for (const auto& t : p) {
      if (!t.is_number_integer() || t.get<int64_t>() < 0 || t.get<int64_t>() > INT32_MAX)
        throw bad_param("prompt", "'prompt' must be a string or a list of token ids (one prompt per request)");
      out.ids.push_back(static_cast<int32_t>(t.get<int64_t>()));
    }
    out.is_ids = true;
    return out;
  }
  throw bad_param("prompt", "'prompt' must be a non-empty string or a list of token ids (one prompt per request)");
}

}  // namespace

void handle_completions(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  Timer arrival;
  require_ready(ctx);
  const json body = parse_body(req);
  RequestParams p = parse_request_params(body, false, ctx.opt.limits);
  const RawPrompt raw = parse_prompt(body);
  if (body.contains("echo") && body["echo"].is_boolean() && body["echo"].get<bool>())
    throw bad_param("echo", "'echo' is not supported");
  // Schemas keep the client's key order: properties are generated in schema order.
  std::shared_ptr<grammar::CompiledGrammar> grammar = requested_grammar(parse_body_ordered(req));  // 400 when bad
  const ModelRegistry::Found found = find_model(ctx, p.model);
  const Deployment& dep = *found.deployment;

  ModeRequest mr;
  mr.header = header_of(req, "X-Reasoning-Mode");
  mr.body = &body;
  mr.alias_mode = found.alias_mode;
  mr.alias = found.name;
  mr.router_input.text = raw.text;
  mr.router_input.task = p.task.empty() ? req.get_header_value("X-Task") : p.task;
  ModeDecision decision = resolve_mode(mr, *ctx.router);
  const Checkpoint& cp = dep.for_mode(&decision.mode, &decision.note);

  PromptInput input;
  if (raw.is_ids) {
    const int vocab = cp.tokenizer->vocab_size();
    for (int32_t id : raw.ids)
      if (id >= vocab) throw bad_param("prompt", str("token id ", id, " is outside the vocabulary (", vocab, ")"));
    input.tokens = raw.ids;
  } else {
    check_prompt_bytes(raw.text.size(), cp, cp.generator->context_length(), "prompt");
    input.tokens = cp.tokenizer->encode(raw.text, true);
  }
  const std::string text = raw.is_ids ? cp.tokenizer->decode(raw.ids) : raw.text;

  CompletionRun r;
  r.chat = false;
  r.id = new_request_id("cmpl-");
  r.model = found.name;
  r.created = static_cast<int64_t>(std::time(nullptr));
  r.opens_think = prompt_opens_think(text);
  r.prompt_tokens = static_cast<int>(input.tokens.size());
  GenerationRequest gen = make_generation(p, dep.spec.profiles.get(decision.mode), cp, decision.mode,
                                          std::move(input), cp.generator->context_length(), ctx.opt.limits,
                                          r.opens_think, &r.budget);
  if (grammar) gen.grammar = make_matcher(cp, std::move(grammar));
  r.decision = decision;
  r.params = std::move(p);
  r.deployment = found.deployment;
  r.cp = &cp;
  r.checkpoint_role = checkpoint_role(dep, decision.mode);
  r.split_reasoning = false;
  r.arrival = arrival;
  run_completion(ctx, req, res, std::move(r), std::move(gen));
}

}  // namespace qvl::serve
