// Client faults are 4xx with the thrower's status, internal faults 500 with a
// request id (header, body and log agree); a bare qvl::Error is internal.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "base/error.h"
#include "serve/http/api_error.h"
#include "serve/http/api_key.h"
#include "serve/http/fault_response.h"

namespace qvl::serve {
namespace {

template <typename E>
httplib::Response answer(const E& e) {
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/chat/completions";
  httplib::Response res;
  try {
    throw e;
  } catch (...) {
    answer_fault(req, res, std::current_exception());
  }
  return res;
}

TEST(FaultResponse, ApiErrorKeepsItsStatusAndBody) {
  const auto res = answer(bad_param("temperature", "'temperature' must be a number"));
  EXPECT_EQ(res.status, 400);
  const auto body = nlohmann::json::parse(res.body);
  EXPECT_EQ(body["error"]["param"], "temperature");
  EXPECT_EQ(body["error"]["message"], "'temperature' must be a number");
  EXPECT_FALSE(res.has_header("X-Request-Id"));
  EXPECT_EQ(answer(ApiError(413, "too big", "", "payload_too_large")).status, 413);
  EXPECT_EQ(answer(ApiError(429, "busy", "", "queue_full")).status, 429);
}

void expect_internal(const httplib::Response& res, const char* leaked) {
  EXPECT_EQ(res.status, 500);
  ASSERT_TRUE(res.has_header("X-Request-Id"));
  const std::string id = res.get_header_value("X-Request-Id");
  EXPECT_EQ(id.rfind("req-", 0), 0u) << id;
  const auto body = nlohmann::json::parse(res.body);
  EXPECT_EQ(body["error"]["code"], "internal_error");
  EXPECT_EQ(body["error"]["type"], "server_error");
  const std::string msg = body["error"]["message"];
  const size_t at = msg.find(id);
  ASSERT_NE(at, std::string::npos) << msg;  // the id the log line carries
  // Searched outside the id: its random hex digits contain "42" about one time in ten.
  const std::string rest = msg.substr(0, at) + msg.substr(at + id.size());
  EXPECT_EQ(rest.find(leaked), std::string::npos) << "internal detail leaked: " << msg;
}

TEST(FaultResponse, BareQvlErrorIsInternal) {
  expect_internal(answer(Error("embedding span has 12 values, expected 16")), "embedding span");
}

TEST(FaultResponse, OtherExceptionsAreInternal) {
  expect_internal(answer(std::bad_alloc()), "bad_alloc");
  expect_internal(answer(std::out_of_range("vector::_M_range_check")), "_M_range_check");
  expect_internal(answer(42), "42");
}

TEST(FaultResponse, EveryInternalFaultGetsItsOwnId) {
  const auto a = answer(Error("x")), b = answer(Error("x"));
  EXPECT_NE(a.get_header_value("X-Request-Id"), b.get_header_value("X-Request-Id"));
}

TEST(ApiKey, OnlyTheExactBearerValueMatches) {
  EXPECT_TRUE(api_key_matches("Bearer s3cret", "s3cret"));
  for (const char* bad : {"", "Bearer", "Bearer ", "Bearer s3cre", "Bearer s3cret ", "bearer s3cret", "Basic s3cret",
                          "Bearer s3creT", "s3cret", "Bearer s3cretx"})
    EXPECT_FALSE(api_key_matches(bad, "s3cret")) << bad;
  EXPECT_FALSE(api_key_matches(std::string("Bearer s3cret\0x", 15), "s3cret"));
}

}  // namespace
}  // namespace qvl::serve
