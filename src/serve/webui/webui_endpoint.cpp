// GET / and GET /ui/NAME: the embedded web UI. Public like /health (the page asks
// for the API key itself and sends it on API calls), revalidated by ETag, and
// locked down by headers: a Content-Security-Policy that allows only our own
// script file (no inline script, no eval, no other origin), no framing, no sniffing.
#include <httplib.h>

#include "serve/http/api_error.h"
#include "serve/webui/web_assets.h"
#include "serve/webui/webui_endpoint.h"

namespace qvl::serve {

namespace {

// style-src allows inline styles only because the HTML preview's srcdoc frame
// inherits this policy and generated pages carry <style> blocks; scripts stay
// 'self' only, and the preview frame runs none at all (docs/decisions/0012).
constexpr const char* kPagePolicy =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "media-src 'self' data: blob:; connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

const WebAsset* find_asset(std::string_view name) {
  for (const WebAsset& a : web_assets())
    if (a.name == name) return &a;
  return nullptr;
}

// A header value may list several tags ("a", "b") or be "*".
bool etag_matches(const std::string& if_none_match, std::string_view etag) {
  if (if_none_match == "*") return true;
  size_t at = 0;
  while ((at = if_none_match.find(etag, at)) != std::string::npos) {
    const size_t end = at + etag.size();
    const bool starts = at == 0 || if_none_match[at - 1] == ' ' || if_none_match[at - 1] == ',' ||
                        if_none_match[at - 1] == '/';  // W/"..." weak form
    const bool ends = end == if_none_match.size() || if_none_match[end] == ',' || if_none_match[end] == ' ';
    if (starts && ends) return true;
    at = end;
  }
  return false;
}

void serve_asset(const ServerContext& ctx, const httplib::Request& req, httplib::Response& res, std::string_view name) {
  if (!ctx.opt.webui) throw ApiError(404, "the web UI is turned off on this server (--no-webui)", "", "not_found");
  const WebAsset* a = find_asset(name);
  if (!a) throw ApiError(404, "no web UI file named '" + std::string(name) + "'", "", "not_found");
  res.set_header("ETag", std::string(a->etag));
  // Revalidate every time: a new binary's files show at once, an unchanged one costs a 304.
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Content-Security-Policy", kPagePolicy);
  if (req.has_header("If-None-Match") && etag_matches(req.get_header_value("If-None-Match"), a->etag)) {
    res.status = 304;
    return;
  }
  res.status = 200;
  res.set_content(std::string(a->body), std::string(a->content_type));
}

}  // namespace

void handle_webui_page(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  serve_asset(ctx, req, res, "index.html");
}

void handle_webui_asset(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const std::string name = req.matches.size() > 1 ? req.matches[1].str() : std::string();
  serve_asset(ctx, req, res, name);
}

bool is_webui_path(const std::string& path) { return path == "/" || path.rfind("/ui/", 0) == 0; }

}  // namespace qvl::serve
