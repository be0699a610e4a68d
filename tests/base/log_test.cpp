// JSON log lines (`--log-format json`): escaping, invalid UTF-8, the merged record.
#include "base/log.h"

#include <gtest/gtest.h>

namespace qvl {
namespace {

TEST(JsonQuote, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(json_quote("a\"b\\c\nd\te\x01"), "\"a\\\"b\\\\c\\nd\\te\\u0001\"");
}

TEST(JsonQuote, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(json_quote("h\xC3\xA9 \xF0\x9F\x98\x80"), "\"h\xC3\xA9 \xF0\x9F\x98\x80\"");
  EXPECT_EQ(json_quote("a\xFF" "b"), "\"a\\ufffdb\"");
  EXPECT_EQ(json_quote("\xC0\xAF"), "\"\\ufffd\\ufffd\"");      // overlong '/'
  EXPECT_EQ(json_quote("\xED\xA0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // a UTF-16 surrogate
  EXPECT_EQ(json_quote("\xE2\x82"), "\"\\ufffd\\ufffd\"");        // cut short
}

TEST(LogFormat, JsonLinesCarryTimestampLevelAndFields) {
  set_log_format(LogFormat::kJson);
  testing::internal::CaptureStderr();
  log_line(LogLevel::kWarn, "disk \"full\"");
  log_record(LogLevel::kInfo, "text form", "{\"event\":\"request\",\"status\":200}");
  const std::string out = testing::internal::GetCapturedStderr();
  set_log_format(LogFormat::kText);
  const size_t nl = out.find('\n');
  ASSERT_NE(nl, std::string::npos);
  const std::string first = out.substr(0, nl), second = out.substr(nl + 1);
  EXPECT_EQ(first.rfind("{\"ts\":\"", 0), 0u) << first;
  EXPECT_NE(first.find("\",\"level\":\"warn\",\"msg\":\"disk \\\"full\\\"\"}"), std::string::npos) << first;
  EXPECT_NE(second.find("\"level\":\"info\",\"event\":\"request\",\"status\":200}\n"), std::string::npos) << second;
  EXPECT_EQ(second.find("text form"), std::string::npos);
}

TEST(LogFormat, TextIsTheDefaultAndUsesTheTextForm) {
  EXPECT_EQ(log_format(), LogFormat::kText);
  testing::internal::CaptureStderr();
  log_record(LogLevel::kInfo, "text form", "{\"event\":\"request\"}");
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "qvl info: text form\n");
}

}  // namespace
}  // namespace qvl
