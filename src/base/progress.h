// Progress bars on stderr for long steps (model load / repack, `qvl pull`,
// `qvl bench`). Drawn only when stderr is a terminal (mode auto), always, or
// never: piped output and logs stay free of carriage returns. Layers below the
// app report progress through a plain callback (ProgressFn) and never include
// this terminal code's decisions; the app turns a callback into a bar.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace qvl {

// done, total (total 0 = unknown). Called from one thread at a time.
using ProgressFn = std::function<void(int64_t done, int64_t total)>;

enum class ProgressMode { kAuto, kAlways, kNever };

// Process-wide mode: `--progress=auto|always|never` (any command) or QVL_PROGRESS.
void set_progress_mode(ProgressMode m);
ProgressMode progress_mode();
// Parses "auto" / "always" / "never"; throws qvl::Error otherwise.
ProgressMode parse_progress_mode(const std::string& s);
// True when bars are drawn under the current mode and stderr.
bool progress_enabled();

class ProgressBar {
 public:
  // bytes: show done/total as sizes and a rate; otherwise as counts.
  ProgressBar(std::string label, int64_t total, bool bytes);
  ~ProgressBar();  // finishes the line if it was drawn
  void update(int64_t done);
  void set_total(int64_t total) { total_ = total; }
  // Text shown after the counts (e.g. the last measurement), until replaced.
  void set_note(std::string note) { note_ = std::move(note); }
  void finish();
  // A ProgressFn that feeds this bar.
  ProgressFn callback();

 private:
  void draw(bool final);
  std::string label_, note_;
  int64_t total_, done_ = 0, start_done_ = -1;
  bool bytes_, enabled_, drawn_ = false, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace qvl
