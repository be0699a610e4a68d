#include "hub/hub_http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

namespace qvl::hub {
namespace {

struct Ctx {
  const HttpRequest* req;
  HttpResult* res;
  CURL* curl;
};

size_t on_header(char* data, size_t size, size_t n, void* p) {
  auto* c = static_cast<Ctx*>(p);
  std::string line(data, size * n);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  if (line.rfind("HTTP/", 0) == 0) {
    c->res->headers.clear();  // a new response (after a 100 Continue, say)
    return size * n;
  }
  const auto colon = line.find(':');
  if (colon == std::string::npos) return size * n;
  std::string name = line.substr(0, colon), value = line.substr(colon + 1);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return std::tolower(ch); });
  value.erase(0, value.find_first_not_of(" \t"));
  c->res->headers[name] = value;
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* p) {
  auto* c = static_cast<Ctx*>(p);
  long status = 0;
  curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
  const size_t len = size * n;
  if (c->req->sink && (status == 200 || status == 206)) {
    if (std::fwrite(data, 1, len, c->req->sink) != len) return 0;  // disk full: abort the transfer
    c->res->sink_bytes += static_cast<int64_t>(len);
    if (c->req->on_data) c->req->on_data(c->res->sink_bytes);
    return len;
  }
  if (c->res->body.size() < (1u << 20)) c->res->body.append(data, std::min<size_t>(len, (1u << 20) - c->res->body.size()));
  return len;
}

}  // namespace

HttpResult http_exchange(const HttpRequest& req) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  HttpResult res;
  CURL* curl = curl_easy_init();
  if (!curl) {
    res.curl_code = -1;
    res.curl_error = "cannot start libcurl";
    return res;
  }
  Ctx ctx{&req, &res, curl};
  char err[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = nullptr;
  if (!req.bearer.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + req.bearer).c_str());
  // Identity encoding: sizes and ranges then count the file's own bytes.
  headers = curl_slist_append(headers, "Accept-Encoding: identity");
  headers = curl_slist_append(headers, "User-Agent: qvl-pull/1");
  curl_easy_setopt(curl, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, req.connect_timeout_s);
  // A stalled transfer (under 1 KiB/s for 60 s) fails and is retried with a Range.
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, err);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &ctx);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ctx);
  if (req.method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  if (req.range_from >= 0) curl_easy_setopt(curl, CURLOPT_RANGE, (std::to_string(req.range_from) + "-").c_str());
  const CURLcode rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res.status);
  res.curl_code = static_cast<int>(rc);
  if (rc != CURLE_OK) res.curl_error = err[0] ? err : curl_easy_strerror(rc);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return res;
}

std::string url_origin(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  const auto end = url.find_first_of("/?#", scheme + 3);
  std::string origin = url.substr(0, end);
  std::transform(origin.begin(), origin.end(), origin.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return origin;
}

std::string resolve_url(const std::string& base, const std::string& location) {
  if (!url_origin(location).empty()) return location;
  if (!location.empty() && location.front() == '/') return url_origin(base) + location;
  const auto q = base.find_first_of("?#");
  const std::string path = base.substr(0, q);
  return path.substr(0, path.rfind('/') + 1) + location;
}

}  // namespace qvl::hub
