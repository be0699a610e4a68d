#include "base/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>

namespace qvl {
namespace {

LogLevel initial_level() {
  const char* env = std::getenv("QVL_LOG");
  if (!env) return LogLevel::kInfo;
  if (!std::strcmp(env, "error")) return LogLevel::kError;
  if (!std::strcmp(env, "warn")) return LogLevel::kWarn;
  if (!std::strcmp(env, "debug")) return LogLevel::kDebug;
  return LogLevel::kInfo;
}

std::atomic<LogLevel> g_level{initial_level()};
std::atomic<LogFormat> g_format{LogFormat::kText};
std::mutex g_mutex;
const char* kTag[] = {"error", "warn", "info", "debug"};

// RFC 3339 UTC with milliseconds: what log shippers parse without configuration.
std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];  // room for any int the compiler imagines in the fields
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

// Length of the valid UTF-8 sequence at s[i], or 0 if the bytes there are not one.
size_t utf8_length(const std::string& s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((b(i + k) & 0xC0) != 0x80) return 0;
  if ((n == 2 && c < 0xC2) || (n == 3 && c == 0xE0 && b(i + 1) < 0xA0) || (n == 3 && c == 0xED && b(i + 1) >= 0xA0) ||
      (n == 4 && c == 0xF0 && b(i + 1) < 0x90) || (n == 4 && (c > 0xF4 || (c == 0xF4 && b(i + 1) >= 0x90))))
    return 0;  // overlong forms, surrogates, past U+10FFFF
  return n;
}

void write_line(const std::string& line) {
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fputc('\n', stderr);
}

std::string json_prefix(LogLevel level) {
  return "{\"ts\":\"" + timestamp() + "\",\"level\":\"" + kTag[static_cast<int>(level)] + "\"";
}

}  // namespace

void set_log_level(LogLevel level) { g_level = level; }
LogLevel log_level() { return g_level; }
void set_log_format(LogFormat format) { g_format = format; }
LogFormat log_format() { return g_format; }

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const size_t n = utf8_length(s, i);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else out.append(s, i, n);
    i += n;
  }
  return out + "\"";
}

void log_line(LogLevel level, const std::string& msg) {
  if (g_format == LogFormat::kJson) return write_line(json_prefix(level) + ",\"msg\":" + json_quote(msg) + "}");
  write_line(std::string("qvl ") + kTag[static_cast<int>(level)] + ": " + msg);
}

void log_record(LogLevel level, const std::string& text, const std::string& json_object) {
  if (g_format == LogFormat::kText) return write_line(std::string("qvl ") + kTag[static_cast<int>(level)] + ": " + text);
  const bool empty = json_object.size() <= 2;  // "{}"
  write_line(json_prefix(level) + (empty ? "}" : "," + json_object.substr(1)));
}

}  // namespace qvl
