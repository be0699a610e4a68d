// POST /v1/chat/completions: validate, resolve the reasoning mode, pick the
// checkpoint, render the chat template, tokenise (or hand images to the vision
// hook), then run. Response writing lives in completion_runner.cpp.
#include <httplib.h>

#include <ctime>

#include "serve/http/api_error.h"
#include "serve/openai/chat_messages.h"
#include "serve/openai/completion_runner.h"
#include "serve/openai/grammar_budget.h"
#include "serve/modes/mode_resolver.h"
#include "serve/media/serve_vision.h"
#include "serve/openai/structured_output.h"
#include "serve/tools/tool_grammar.h"

namespace qvl::serve {

using nlohmann::json;

std::optional<std::string> header_of(const httplib::Request& req, const char* name) {
  if (!req.has_header(name)) return std::nullopt;
  return req.get_header_value(name);
}

std::string checkpoint_role(const Deployment& dep, Mode mode) {
  if (dep.spec.is_pair()) return mode_name(mode);
  return dep.single->hybrid ? "hybrid" : "single";
}

void handle_chat_completions(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  Timer arrival;
  require_ready(ctx);
  const json body = parse_body(req);
  RequestParams p = parse_request_params(body, true, ctx.opt.limits);
  const nlohmann::ordered_json obody = parse_body_ordered(req);
  ChatInput in = parse_messages(obody);
  if (static_cast<int>(in.images.size()) > ctx.opt.limits.max_images)
    throw ApiError(400, str("too many images: ", in.images.size(), " (the limit is ", ctx.opt.limits.max_images, ")"),
                   "messages", "too_many_images");
  std::shared_ptr<grammar::CompiledGrammar> grammar = requested_grammar(obody);  // 400 when bad
  nlohmann::ordered_json extra = template_extras(obody, false);  // validates tools / kwargs early
  const ToolRequest tools = parse_tool_request(obody);
  if (!tools.active()) extra.erase("tools");  // tool_choice none: the model is not offered them
  if (tools.forced() && grammar)
    throw bad_param("tool_choice", "a 'tool_choice' that forces a call cannot be combined with a "
                                   "structured-output constraint");
  if (tools.active() && !grammar) grammar = compile_tool_grammar(tools, kMaxJsonWhitespace);

  const ModelRegistry::Found found = find_model(ctx, p.model);
  const Deployment& dep = *found.deployment;
  if (!in.images.empty() && !dep.has_vision())
    throw ApiError(400, "model '" + found.name + "' has no vision encoder loaded (start qvl serve with --mmproj)",
                   "messages", "images_not_supported");

  ModeRequest mr;
  mr.header = header_of(req, "X-Reasoning-Mode");
  mr.body = &body;
  mr.alias_mode = found.alias_mode;
  mr.alias = found.name;
  mr.router_input.text = in.last_user_text;
  mr.router_input.has_image = !in.images.empty();
  mr.router_input.task = p.task.empty() ? req.get_header_value("X-Task") : p.task;
  ModeDecision decision = resolve_mode(mr, *ctx.router);
  const Checkpoint& cp = dep.for_mode(&decision.mode, &decision.note);

  extra["enable_thinking"] = decision.mode == Mode::kThinking;
  if (!cp.list_content) flatten_content_parts(in.messages);
  std::string prompt;
  try {
    prompt = render_chat(cp, in.messages, extra);
  } catch (const Error& e) {
    throw ApiError(400, std::string("the chat template rejected the messages: ") + e.what(), "messages");
  }
  check_prompt_bytes(prompt.size(), cp, cp.generator->context_length());
  PromptInput input;
  if (!in.images.empty()) {
    if (!cp.vision)
      throw ApiError(400, "the " + std::string(mode_name(decision.mode)) + " checkpoint of '" + found.name +
                     "' has no vision encoder", "messages", "images_not_supported");
    fetch_remote_media(in.images, ctx.opt.image_fetch);  // images, video files and video frames
    input = cp.vision(prompt, in.images);  // bad media: ApiError 400; encoder faults: 500
  } else {
    input.tokens = cp.tokenizer->encode(prompt, true);
  }

  CompletionRun r;
  r.chat = true;
  r.id = new_request_id("chatcmpl-");
  r.model = found.name;
  r.created = static_cast<int64_t>(std::time(nullptr));
  r.opens_think = prompt_opens_think(prompt);
  r.prompt_tokens = static_cast<int>(input.tokens.size());
  // Vision spans keep their pad ids, so the pads tell image tokens from video tokens.
  const int32_t image_pad = cp.tokenizer->find_token("<|image_pad|>");
  const int32_t video_pad = cp.tokenizer->find_token("<|video_pad|>");
  if (!input.embeddings.empty())
    for (int32_t t : input.tokens) {
      r.image_tokens += t == image_pad;
      r.video_tokens += t == video_pad;
    }
  GenerationRequest gen = make_generation(p, dep.spec.profiles.get(decision.mode), cp, decision.mode,
                                          std::move(input), cp.generator->context_length(), ctx.opt.limits,
                                          r.opens_think, &r.budget);
  if (grammar) {
    gen.grammar = make_matcher(cp, std::move(grammar));
    reserve_grammar_budget(gen);  // 400 when max_tokens cannot hold a complete output
  }
  r.decision = decision;
  r.params = std::move(p);
  r.deployment = found.deployment;
  r.cp = &cp;
  r.checkpoint_role = checkpoint_role(dep, decision.mode);
  r.split_reasoning = true;
  r.parse_tool_calls = tools.active();
  r.arrival = arrival;
  run_completion(ctx, req, res, std::move(r), std::move(gen));
}

}  // namespace qvl::serve
