// Fetching http(s) image URLs for chat requests, off by default: only hosts on an
// allow-list, no redirects, a time-out and a size cap, and private / loopback /
// link-local addresses refused unless allowed. Does not decode images.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace qvl::serve {

struct FetchPolicy {
  std::vector<std::string> allowed_hosts;  // empty = fetching disabled; "*" = any host
  bool allow_private = false;              // loopback, RFC 1918, link-local, ULA, CGNAT
  double timeout_s = 10;
  size_t max_bytes = 20u << 20;
};

// Whether a numeric IPv4/IPv6 address is loopback, private, link-local or otherwise
// not a public unicast address. Unparseable text counts as not public.
bool is_non_public_address(const std::string& ip);

// The body of a 200 response for `url`. Resolves the host first, checks every
// address, then connects to the checked one (pinned with CURLOPT_RESOLVE so a
// second lookup cannot swap it). Throws ApiError 400 with the reason.
std::vector<uint8_t> fetch_image_url(const std::string& url, const FetchPolicy& policy);

}  // namespace qvl::serve
