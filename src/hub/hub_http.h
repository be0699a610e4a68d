// One HTTP exchange with libcurl for the hub client: no automatic redirects (the
// client follows them itself, to decide where the token goes), response headers
// lower-cased, the body either kept (small: errors, JSON) or appended to a file.
#pragma once
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <string>

namespace qvl::hub {

struct HttpResult {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names, last value wins
  std::string body;                            // when no sink took it (capped at 1 MiB)
  int curl_code = 0;                           // 0 = the transfer completed
  std::string curl_error;
  int64_t sink_bytes = 0;                      // bytes written to the sink
};

struct HttpRequest {
  std::string method = "GET";  // GET or HEAD
  std::string url;
  std::string bearer;          // empty: no Authorization header
  int64_t range_from = -1;     // >= 0: Range: bytes=N-
  FILE* sink = nullptr;        // 200/206 bodies go here
  long connect_timeout_s = 20;
  std::function<void(int64_t sink_bytes)> on_data;
};

HttpResult http_exchange(const HttpRequest& req);

// "scheme://host:port" of an absolute URL ("" if it is not one).
std::string url_origin(const std::string& url);
// LOCATION resolved against BASE (absolute, root-relative or relative).
std::string resolve_url(const std::string& base, const std::string& location);

}  // namespace qvl::hub
