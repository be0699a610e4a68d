// Logging to stderr (stdout is reserved for program output). Level from QVL_LOG
// (error|warn|info|debug, default info) or set_log_level(). Format text (default)
// or JSON lines (set_log_format; `qvl serve --log-format json`), so a log pipeline
// can read every line without a parser for our text.
#pragma once
#include "base/error.h"

namespace qvl {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };
enum class LogFormat { kText, kJson };

void set_log_level(LogLevel level);
LogLevel log_level();
void set_log_format(LogFormat format);
LogFormat log_format();
// Text: "qvl LEVEL: msg". JSON: {"ts","level","msg"} on one line.
void log_line(LogLevel level, const std::string& msg);
// One record with fields of its own: `text` in text mode; in JSON mode the object
// `json_object` (serialized, "{...}") with "ts" and "level" put in front.
void log_record(LogLevel level, const std::string& text, const std::string& json_object);
// `s` as a JSON string literal (quotes included); invalid UTF-8 becomes U+FFFD.
std::string json_quote(const std::string& s);

template <typename... Args>
void log_info(const Args&... a) { if (log_level() >= LogLevel::kInfo) log_line(LogLevel::kInfo, str(a...)); }
template <typename... Args>
void log_warn(const Args&... a) { if (log_level() >= LogLevel::kWarn) log_line(LogLevel::kWarn, str(a...)); }
template <typename... Args>
void log_error(const Args&... a) { log_line(LogLevel::kError, str(a...)); }
template <typename... Args>
void log_debug(const Args&... a) { if (log_level() >= LogLevel::kDebug) log_line(LogLevel::kDebug, str(a...)); }

}  // namespace qvl
