// The built-in web UI's routes: GET / (index.html) and GET /ui/NAME (its script
// and style sheet), served from the bytes compiled in from web/.
#pragma once
#include <string>

#include "serve/deploy/server_context.h"

namespace qvl::serve {

void handle_webui_page(ServerContext& ctx, const httplib::Request& req, httplib::Response& res);
void handle_webui_asset(ServerContext& ctx, const httplib::Request& req, httplib::Response& res);
// "/" or "/ui/...": public (no API key), and left out of the request log.
bool is_webui_path(const std::string& path);

}  // namespace qvl::serve
