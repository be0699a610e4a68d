// Text progress bar: "label  [#####.....]  42%  1.2/2.9 GiB  35 MiB/s", redrawn
// in place with '\r' at most ten times a second.
#include "base/progress.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "base/error.h"

namespace qvl {
namespace {

std::atomic<int> g_mode{-1};  // -1: not set yet, read QVL_PROGRESS once

std::string size_text(double v) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

}  // namespace

ProgressMode parse_progress_mode(const std::string& s) {
  if (s == "auto") return ProgressMode::kAuto;
  if (s == "always") return ProgressMode::kAlways;
  if (s == "never") return ProgressMode::kNever;
  throw Error("--progress must be auto, always or never (got '" + s + "')");
}

void set_progress_mode(ProgressMode m) { g_mode = static_cast<int>(m); }

ProgressMode progress_mode() {
  int m = g_mode.load();
  if (m < 0) {
    const char* env = std::getenv("QVL_PROGRESS");
    ProgressMode pm = ProgressMode::kAuto;
    if (env && *env) {
      try {
        pm = parse_progress_mode(env);
      } catch (const Error&) {
      }
    }
    m = static_cast<int>(pm);
    g_mode = m;
  }
  return static_cast<ProgressMode>(m);
}

bool progress_enabled() {
  switch (progress_mode()) {
    case ProgressMode::kAlways: return true;
    case ProgressMode::kNever: return false;
    case ProgressMode::kAuto: return isatty(STDERR_FILENO) == 1;
  }
  return false;
}

ProgressBar::ProgressBar(std::string label, int64_t total, bool bytes)
    : label_(std::move(label)), total_(total), bytes_(bytes), enabled_(progress_enabled()),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(int64_t done) {
  if (start_done_ < 0) start_done_ = done;  // a resumed download's rate counts new bytes only
  done_ = done;
  if (!enabled_ || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100) && done_ != total_) return;
  last_draw_ = now;
  draw(false);
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  if (!enabled_ || !drawn_) return;
  draw(true);
}

ProgressFn ProgressBar::callback() {
  return [this](int64_t done, int64_t total) {
    if (total > 0) total_ = total;
    update(done);
  };
}

void ProgressBar::draw(bool final) {
  constexpr int kWidth = 30;
  std::string line = "\r" + label_ + "  ";
  if (total_ > 0) {
    const double f = std::min(1.0, double(done_) / double(total_));
    const int fill = static_cast<int>(f * kWidth);
    line += "[" + std::string(fill, '#') + std::string(kWidth - fill, '.') + "] ";
    char pct[16];
    std::snprintf(pct, sizeof pct, "%3d%%  ", static_cast<int>(f * 100));
    line += pct;
  }
  line += bytes_ ? size_text(double(done_)) : std::to_string(done_);
  if (total_ > 0) line += "/" + (bytes_ ? size_text(double(total_)) : std::to_string(total_));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (bytes_ && secs > 0.2) line += "  " + size_text(double(done_ - std::max<int64_t>(0, start_done_)) / secs) + "/s";
  if (!note_.empty()) line += "  " + note_;
  line += "\x1b[K";  // clear what a longer earlier line left
  if (final) line += "\n";
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace qvl
