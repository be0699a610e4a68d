// Issue 11: JSON bounded while it parses (depth and value count, before any copy
// or recursion), and every request field's bound answered with 400/413.
#include "serve/http/request_limits.h"

#include <gtest/gtest.h>

#include "serve/http/api_error.h"
#include "serve/openai/chat_messages.h"
#include "serve/openai/request_params.h"

namespace qvl::serve {
namespace {

using nlohmann::json;

std::pair<int, std::string> refusal(const std::function<void()>& f) {
  try {
    f();
  } catch (const ApiError& e) {
    return {e.status(), e.code().empty() ? e.param() : e.code()};
  }
  return {200, ""};
}

std::string nest(size_t n) { return std::string(n, '[') + std::string(n, ']'); }

TEST(BoundedJson, DepthIsRefusedWhileParsing) {
  const std::string ok = "{\"a\":" + nest(limits::kJsonDepth - 1) + "}";
  EXPECT_NO_THROW(parse_bounded_json<json>(ok));
  const std::string over = "{\"a\":" + nest(limits::kJsonDepth) + "}";
  EXPECT_EQ(refusal([&] { parse_bounded_json<json>(over); }), std::make_pair(400, std::string("json_too_deep")));
  // Ten million levels: refused at level 65 without building (or overflowing) anything.
  const std::string huge = std::string(10'000'000, '[');
  EXPECT_EQ(refusal([&] { parse_bounded_json<nlohmann::ordered_json>(huge); }).second, "json_too_deep");
  std::string objs;
  for (int i = 0; i < 200000; ++i) objs += "{\"k\":";
  EXPECT_EQ(refusal([&] { parse_bounded_json<json>(objs); }).second, "json_too_deep");
}

TEST(BoundedJson, ValueCountAndShape) {
  std::string many = "{\"p\":[";
  for (size_t i = 0; i < limits::kJsonValues; ++i) many += "0,";
  many += "0]}";
  EXPECT_EQ(refusal([&] { parse_bounded_json<json>(many); }), std::make_pair(413, std::string("json_too_large")));
  EXPECT_EQ(refusal([&] { parse_bounded_json<json>(""); }).second, "invalid_json");
  EXPECT_EQ(refusal([&] { parse_bounded_json<json>("[1]"); }).second, "invalid_json");
  EXPECT_EQ(refusal([&] { parse_bounded_json<json>("{\"a\":\"\\ud800\"}"); }).second, "invalid_json");
  EXPECT_EQ(refusal([&] { parse_bounded_json<json>("{\"a\":1e99999}"); }).second, "invalid_json");
  EXPECT_EQ(parse_bounded_json<json>("{\"a\":[1,{\"b\":null}]}")["a"][1]["b"], nullptr);
}

TEST(FieldBounds, EveryListAndStringHasOne) {
  auto params = [](const json& b) { return refusal([&] { parse_request_params(b, true, ServerLimits{}); }); };
  auto messages = [](const nlohmann::ordered_json& b) { return refusal([&] { parse_messages(b); }); };
  auto extras = [](const nlohmann::ordered_json& b) { return refusal([&] { template_extras(b, false); }); };
  json stops = json::array();
  for (size_t i = 0; i <= limits::kStopStrings; ++i) stops.push_back("s" + std::to_string(i));
  EXPECT_EQ(params({{"stop", stops}}).first, 400);
  EXPECT_EQ(params({{"stop", std::string(limits::kStopBytes + 1, 'x')}}).first, 400);
  EXPECT_EQ(params({{"stop", std::string(limits::kStopBytes, 'x')}}).first, 200);
  json bias = json::object();
  for (size_t i = 0; i <= limits::kLogitBias; ++i) bias[std::to_string(i)] = 1;
  EXPECT_EQ(params({{"logit_bias", bias}}).first, 400);
  for (const char* k : {"model", "user", "task"}) {
    EXPECT_EQ(params({{k, std::string(limits::kShortString + 1, 'x')}}).first, 400) << k;
    EXPECT_EQ(params({{k, std::string(limits::kShortString, 'x')}}).first, 200) << k;
  }
  nlohmann::ordered_json msgs = nlohmann::ordered_json::array();
  for (size_t i = 0; i <= limits::kMessages; ++i) msgs.push_back({{"role", "user"}, {"content", "x"}});
  EXPECT_EQ(messages({{"messages", msgs}}).first, 400);
  msgs.erase(msgs.begin());
  EXPECT_EQ(messages({{"messages", msgs}}).first, 200);
  nlohmann::ordered_json parts = nlohmann::ordered_json::array();
  for (size_t i = 0; i <= limits::kContentParts; ++i) parts.push_back({{"type", "text"}, {"text", "x"}});
  EXPECT_EQ(messages({{"messages", {{{"role", "user"}, {"content", parts}}}}}).first, 400);
  EXPECT_EQ(messages({{"messages", {{{"role", std::string(limits::kShortString + 1, 'r')}, {"content", "x"}}}}}).first,
            400);
  nlohmann::ordered_json tools = nlohmann::ordered_json::array();
  for (size_t i = 0; i <= limits::kTools; ++i) tools.push_back({{"type", "function"}});
  EXPECT_EQ(extras({{"tools", tools}}), std::make_pair(400, std::string("invalid_value")));
  nlohmann::ordered_json kw = nlohmann::ordered_json::object();
  for (size_t i = 0; i <= limits::kTemplateKwargs; ++i) kw["k" + std::to_string(i)] = i;
  EXPECT_EQ(extras({{"chat_template_kwargs", kw}}).first, 400);
}

}  // namespace
}  // namespace qvl::serve
