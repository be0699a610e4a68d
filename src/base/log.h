// Logging to stderr (stdout is reserved for program output). Level from QVL_LOG
// (error|warn|info|debug, default info) or set_log_level().
#pragma once
#include "base/error.h"

namespace qvl {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

void set_log_level(LogLevel level);
LogLevel log_level();
void log_line(LogLevel level, const std::string& msg);

template <typename... Args>
void log_info(const Args&... a) { if (log_level() >= LogLevel::kInfo) log_line(LogLevel::kInfo, str(a...)); }
template <typename... Args>
void log_warn(const Args&... a) { if (log_level() >= LogLevel::kWarn) log_line(LogLevel::kWarn, str(a...)); }
template <typename... Args>
void log_error(const Args&... a) { log_line(LogLevel::kError, str(a...)); }
template <typename... Args>
void log_debug(const Args&... a) { if (log_level() >= LogLevel::kDebug) log_line(LogLevel::kDebug, str(a...)); }

}  // namespace qvl
