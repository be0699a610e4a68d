// The deployment guide's structured jobs (serve layer): screenshot -> HTML,
// flowchart -> draw.io XML, screenshot + instruction -> the next GUI action.
// Each runs as a grammar-constrained chat completion (guide_request.h).
#pragma once
#include <httplib.h>

#include "serve/deploy/server_context.h"

namespace qvl::serve {

// POST /v1/generate/html -> {html_code, model, mode, usage, finish_reason, reasoning_content?}
void handle_generate_html(ServerContext& ctx, const httplib::Request& req, httplib::Response& res);
// POST /v1/generate/drawio -> {drawio_xml, model, mode, usage, finish_reason, repairs, reasoning_content?}
void handle_generate_drawio(ServerContext& ctx, const httplib::Request& req, httplib::Response& res);

// POST /v1/agent/action -> {action, element, coordinates (screenshot pixels), text?, direction?,
// confidence, grid_coordinates, model, mode, usage, finish_reason, reasoning_content?}
void handle_agent_action(ServerContext& ctx, const httplib::Request& req, httplib::Response& res);

}  // namespace qvl::serve
