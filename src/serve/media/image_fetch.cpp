// libcurl-based image fetch with an allow-list and address checks (see image_fetch.h).
#include "serve/media/image_fetch.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>

#include <algorithm>
#include <initializer_list>
#include <cstring>
#include <memory>
#include <mutex>

#include "serve/http/api_error.h"

namespace qvl::serve {

namespace {

[[noreturn]] void refuse(const std::string& why) { throw ApiError(400, "cannot fetch the image URL: " + why, "messages", "invalid_image_url"); }

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool v4_non_public(uint32_t a) {  // host byte order
  auto in = [a](uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); };
  return in(0x00000000, 8) || in(0x0a000000, 8) || in(0x7f000000, 8) || in(0xa9fe0000, 16) ||
         in(0xac100000, 12) || in(0xc0a80000, 16) || in(0x64400000, 10) || in(0xc0000000, 24) ||
         in(0xc6120000, 15) || in(0xc0000200, 24) || in(0xc6336400, 24) || in(0xcb007100, 24) ||
         a >= 0xe0000000;  // documentation nets; multicast, reserved, broadcast
}

struct CurlHandle {
  CURL* h = curl_easy_init();
  curl_slist* resolve = nullptr;
  ~CurlHandle() {
    curl_slist_free_all(resolve);
    if (h) curl_easy_cleanup(h);
  }
};

struct Sink {
  std::vector<uint8_t> data;
  size_t cap = 0;
  bool too_big = false;
};

size_t on_data(char* p, size_t size, size_t n, void* user) {
  Sink* s = static_cast<Sink*>(user);
  if (s->data.size() + size * n > s->cap) {
    s->too_big = true;
    return 0;  // aborts the transfer
  }
  s->data.insert(s->data.end(), p, p + size * n);
  return size * n;
}

}  // namespace

bool is_non_public_address(const std::string& ip) {
  in_addr v4{};
  if (inet_pton(AF_INET, ip.c_str(), &v4) == 1) return v4_non_public(ntohl(v4.s_addr));
  in6_addr v6{};
  if (inet_pton(AF_INET6, ip.c_str(), &v6) != 1) return true;
  const uint8_t* b = v6.s6_addr;
  auto prefix = [b](std::initializer_list<uint8_t> p, int bits) {  // b starts with p's first `bits` bits
    int i = 0;
    for (uint8_t byte : p) {
      const int take = std::min(8, bits - 8 * i);
      if (take <= 0) break;
      const uint8_t mask = static_cast<uint8_t>(0xff << (8 - take));
      if ((b[i] & mask) != (byte & mask)) return false;
      ++i;
    }
    return true;
  };
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(b, kMapped, 12) == 0)  // ::ffff:a.b.c.d reaches that IPv4 address
    return v4_non_public(uint32_t{b[12]} << 24 | uint32_t{b[13]} << 16 | uint32_t{b[14]} << 8 | b[15]);
  // Forms that embed or translate to an IPv4 address (or a path the server cannot
  // vouch for) are refused outright: a gateway would reach whatever they embed.
  static const uint8_t kZero[12] = {};
  if (std::memcmp(b, kZero, 12) == 0) return true;                           // ::, ::1, ::a.b.c.d (IPv4-compatible)
  if (prefix({0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0}, 96)) return true;   // ::ffff:0:a.b.c.d (SIIT)
  if (prefix({0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0}, 96)) return true;  // 64:ff9b::/96 NAT64
  if (prefix({0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48)) return true;         // 64:ff9b:1::/48 local NAT64
  if (prefix({0x20, 0x02}, 16)) return true;                                 // 2002::/16 6to4
  if (prefix({0x20, 0x01, 0x00, 0x00}, 32)) return true;                     // 2001::/32 Teredo
  if (prefix({0x01, 0x00, 0, 0, 0, 0, 0, 0}, 64)) return true;               // 100::/64 discard-only
  if (prefix({0xfc}, 7)) return true;                                        // fc00::/7 unique local
  if (prefix({0xfe, 0x80}, 10)) return true;                                 // fe80::/10 link-local
  if (prefix({0xfe, 0xc0}, 10)) return true;                                 // fec0::/10 site-local (deprecated)
  if (prefix({0xff}, 8)) return true;                                        // multicast
  if (prefix({0x20, 0x01, 0x0d, 0xb8}, 32)) return true;                     // 2001:db8::/32 documentation
  return false;
}

std::vector<uint8_t> fetch_image_url(const std::string& url, const FetchPolicy& policy) {
  if (policy.allowed_hosts.empty())
    refuse("remote image URLs are disabled on this server (use data: URLs, or start it with --allow-image-urls)");
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });

  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url(), curl_url_cleanup);
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) refuse("not a valid URL");
  auto part = [&](CURLUPart p, unsigned flags) {
    char* s = nullptr;
    if (curl_url_get(u.get(), p, &s, flags) != CURLUE_OK || !s) return std::string();
    std::string out(s);
    curl_free(s);
    return out;
  };
  const std::string scheme = lower(part(CURLUPART_SCHEME, 0));
  if (scheme != "http" && scheme != "https") refuse("only http and https URLs are fetched");
  if (!part(CURLUPART_USER, 0).empty()) refuse("URLs with credentials are not fetched");
  std::string host = lower(part(CURLUPART_HOST, 0));
  const std::string port = part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  const auto& allow = policy.allowed_hosts;
  if (std::find(allow.begin(), allow.end(), "*") == allow.end() && std::find(allow.begin(), allow.end(), host) == allow.end())
    refuse("host '" + host + "' is not on this server's --allow-image-urls list");

  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || !res) refuse("cannot resolve '" + host + "'");
  std::string chosen;
  bool refused_private = false;
  for (addrinfo* a = res; a; a = a->ai_next) {
    char buf[INET6_ADDRSTRLEN] = {};
    const void* src = a->ai_family == AF_INET ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr)
                                              : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr);
    if (!inet_ntop(a->ai_family, src, buf, sizeof buf)) continue;
    // Every address must pass: a name resolving to both public and private is refused.
    if (!policy.allow_private && is_non_public_address(buf)) refused_private = true;
    if (chosen.empty()) chosen = a->ai_family == AF_INET6 ? "[" + std::string(buf) + "]" : buf;
  }
  freeaddrinfo(res);
  if (refused_private) refuse("'" + host + "' resolves to a private, loopback or link-local address");
  if (chosen.empty()) refuse("cannot resolve '" + host + "'");

  CurlHandle c;
  if (!c.h) refuse("internal error (curl)");
  c.resolve = curl_slist_append(nullptr, (host + ":" + port + ":" + chosen).c_str());
  Sink sink;
  sink.cap = policy.max_bytes;
  const long timeout_ms = static_cast<long>(policy.timeout_s * 1000);
  curl_easy_setopt(c.h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.h, CURLOPT_RESOLVE, c.resolve);
  curl_easy_setopt(c.h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c.h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c.h, CURLOPT_NOPROXY, "*");  // a proxy would connect to an unchecked address
  curl_easy_setopt(c.h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c.h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c.h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(policy.max_bytes));
  curl_easy_setopt(c.h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c.h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c.h, CURLOPT_USERAGENT, "qvl-serve");
  const CURLcode rc = curl_easy_perform(c.h);
  if (sink.too_big || rc == CURLE_FILESIZE_EXCEEDED)
    refuse("the image is larger than " + std::to_string(policy.max_bytes) + " bytes");
  if (rc == CURLE_OPERATION_TIMEDOUT) refuse("timed out");
  if (rc != CURLE_OK) refuse(curl_easy_strerror(rc));
  long status = 0;
  curl_easy_getinfo(c.h, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 300 && status < 400) refuse("the server answered with a redirect (" + std::to_string(status) + "), which is not followed");
  if (status != 200) refuse("the server answered HTTP " + std::to_string(status));
  if (sink.data.empty()) refuse("the response is empty");
  return std::move(sink.data);
}

}  // namespace qvl::serve
