// POST /v1/generate/html: a screenshot (and/or a description) to one complete
// HTML document, decoded under html_gbnf(). Thinking mode by default: the router
// gets the task hint "code" unless the client picks a mode.
#include "serve/guide/guide_endpoints.h"
#include "serve/guide/guide_request.h"
#include "serve/guide/html_grammar.h"
#include "serve/http/api_error.h"

namespace qvl::serve {

using nlohmann::json;

void handle_generate_html(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  require_ready(ctx);
  GuideRequest in = parse_guide_request(req, {"allow_script"});
  require_image_or_text(in);
  bool allow_script = false;
  if (in.extra.contains("allow_script")) {
    if (!in.extra["allow_script"].is_boolean()) throw bad_param("allow_script", "'allow_script' must be true or false");
    allow_script = in.extra["allow_script"];
  }
  GuideRun run;
  run.instruction = "Write the HTML page (one complete document with its CSS in a <style> element) " +
                    std::string(in.image_url.empty() ? "described here." : "that reproduces this screenshot.") +
                    (in.text.empty() ? "" : "\n" + in.text);
  run.gbnf = html_gbnf(allow_script);
  run.task = "code";
  GuideResult r = run_guided(ctx, req, in, run);
  json out = {{"html_code", r.content}, {"model", r.model}, {"mode", r.mode}, {"usage", r.usage},
              {"finish_reason", r.finish_reason}};
  if (!r.reasoning.empty()) out["reasoning_content"] = r.reasoning;
  send_json(res, 200, out);
}

}  // namespace qvl::serve
