// POST /v1/generate/drawio: a flowchart picture (and/or a description) to draw.io
// XML, decoded under drawio_gbnf() and cleaned by repair_drawio(). Thinking mode
// by default (router task hint "code").
#include "serve/guide/drawio_grammar.h"
#include "serve/guide/guide_endpoints.h"
#include "serve/guide/guide_request.h"

namespace qvl::serve {

using nlohmann::json;

void handle_generate_drawio(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  require_ready(ctx);
  GuideRequest in = parse_guide_request(req, {});
  require_image_or_text(in);
  GuideRun run;
  run.instruction = std::string(in.image_url.empty() ? "Draw this flowchart as a draw.io diagram."
                                                     : "Turn this flowchart into a draw.io diagram.") +
                    (in.text.empty() ? "" : "\n" + in.text);
  run.gbnf = drawio_gbnf();
  run.task = "code";
  GuideResult r = run_guided(ctx, req, in, run);
  DrawioRepair fixed = repair_drawio(r.content);
  json out = {{"drawio_xml", fixed.xml}, {"model", r.model}, {"mode", r.mode}, {"usage", r.usage},
              {"finish_reason", r.finish_reason},
              {"repairs", {{"dropped_vertices", fixed.dropped_vertices}, {"dropped_edges", fixed.dropped_edges}}}};
  if (!r.reasoning.empty()) out["reasoning_content"] = r.reasoning;
  send_json(res, 200, out);
}

}  // namespace qvl::serve
