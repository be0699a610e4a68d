// Image URL fetch policy: address classification and the refusals that happen
// before any connection (disabled, host not allowed, scheme, credentials).
#include "serve/media/image_fetch.h"

#include <gtest/gtest.h>

#include "serve/http/api_error.h"

namespace qvl::serve {
namespace {

TEST(ImageFetch, ClassifiesAddresses) {
  for (const char* ip : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
                         "0.0.0.0", "100.64.0.1", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fd00::1",
                         "::ffff:127.0.0.1", "::ffff:10.0.0.1", "ff02::1", "not-an-ip"})
    EXPECT_TRUE(is_non_public_address(ip)) << ip;
  for (const char* ip : {"8.8.8.8", "172.32.0.1", "1.1.1.1", "93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8"})
    EXPECT_FALSE(is_non_public_address(ip)) << ip;
}

// Issue 11: IPv6 forms that embed or translate to IPv4, and ranges that are not
// public unicast, in every spelling inet_pton accepts.
TEST(ImageFetch, IPv6FormsThatReachIPv4OrPrivateNetsAreRefused) {
  for (const char* ip : {"64:ff9b::7f00:1", "64:ff9b::127.0.0.1", "64:ff9b::8.8.8.8", "64:ff9b:1::a00:1",
                         "2002:7f00:1::1", "2002:0808:0808::1", "2001:0:4136:e378::1", "fec0::1", "fed0::1",
                         "feff::1", "::127.0.0.1", "::10.0.0.1", "::8.8.8.8", "::7f00:1", "::ffff:0:127.0.0.1",
                         "::ffff:7f00:1", "::FFFF:192.168.0.1", "0:0:0:0:0:ffff:a9fe:a9fe", "::ffff:169.254.169.254",
                         "100::1", "2001:db8::1", "ff05::1", "192.0.2.1", "198.51.100.7", "203.0.113.9"})
    EXPECT_TRUE(is_non_public_address(ip)) << ip;
  for (const char* ip : {"2606:4700:4700::1111", "2a00:1450:4001::200e", "64:ff9c::1", "2003::1", "2001:4860::8888",
                         "::ffff:1.1.1.1"})
    EXPECT_FALSE(is_non_public_address(ip)) << ip;
}

std::string refusal(const std::string& url, const FetchPolicy& p) {
  try {
    fetch_image_url(url, p);
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 400);
    return e.what();
  }
  return "fetched";
}

TEST(ImageFetch, RefusesBeforeConnecting) {
  FetchPolicy off;
  EXPECT_NE(refusal("https://example.com/a.png", off).find("disabled"), std::string::npos);
  FetchPolicy p;
  p.allowed_hosts = {"images.example"};
  EXPECT_NE(refusal("https://example.com/a.png", p).find("not on this server"), std::string::npos);
  EXPECT_NE(refusal("https://EVIL.example/a.png", p).find("not on this server"), std::string::npos);
  EXPECT_NE(refusal("file:///etc/passwd", p).find("only http and https"), std::string::npos);
  EXPECT_NE(refusal("https://u:pw@images.example/a.png", p).find("credentials"), std::string::npos);
  EXPECT_NE(refusal("http://[::1", p).find("not a valid URL"), std::string::npos);
  p.allowed_hosts = {"*"};
  EXPECT_NE(refusal("http://127.0.0.1:1/a.png", p).find("private, loopback"), std::string::npos);
  EXPECT_NE(refusal("http://[::1]:1/a.png", p).find("private, loopback"), std::string::npos);
}

}  // namespace
}  // namespace qvl::serve
