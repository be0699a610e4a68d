// GrammarMaskOverlap: a claim per job (whoever flips `claimed` first computes
// it), so the helper and the engine thread never compute the same mask and the
// engine thread never waits for a job nobody has started.
#include "engine/grammar_mask_overlap.h"

#include <pthread.h>
#include <sched.h>

#include <cstdlib>
#include <cstring>

#include <exception>

namespace qvl {

bool GrammarMaskOverlap::enabled_by_env() {
  const char* v = std::getenv("QVL_GRAMMAR_OVERLAP");
  return !(v && std::strcmp(v, "0") == 0);
}

GrammarMaskOverlap::GrammarMaskOverlap(bool enabled) : enabled_(enabled) {
  if (enabled_) helper_ = std::thread([this] { helper_loop(); });
}

GrammarMaskOverlap::~GrammarMaskOverlap() {
  if (!helper_.joinable()) return;
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  helper_.join();
}

void GrammarMaskOverlap::add(grammar::Matcher* matcher, uint64_t* out, std::string* error) {
  auto j = std::make_unique<Job>();
  j->matcher = matcher;
  j->out = out;
  j->error = error;
  jobs_.push_back(std::move(j));
}

void GrammarMaskOverlap::run(Job& j) {
  try {
    j.matcher->fill_next_token_mask(j.out);
  } catch (const std::exception& e) {  // e.g. the grammar's state limit: that request ends
    *j.error = e.what();
    if (j.error->empty()) *j.error = "grammar error";
  }
}

void GrammarMaskOverlap::begin() {
  if (!enabled_ || jobs_.empty()) return;
  {
    std::lock_guard<std::mutex> lk(mu_);
    ++batch_;
    open_ = true;
  }
  cv_.notify_one();
}

void GrammarMaskOverlap::finish() {
  for (auto& j : jobs_) {
    if (j->claimed.exchange(true)) continue;
    run(*j);
    behind_.fetch_add(1);
  }
  if (enabled_) {  // closed: the helper may still be inside a job, but will not enter jobs_ again
    std::unique_lock<std::mutex> lk(mu_);
    open_ = false;
    cv_.wait(lk, [&] { return !helper_busy_; });
  }
}

void GrammarMaskOverlap::helper_loop() {
  // Lowest priority: the matmul threads keep their cores; this one fills the
  // gaps they leave. Best effort: without it the claims keep results exact.
  sched_param p{};
  pthread_setschedparam(pthread_self(), SCHED_IDLE, &p);
  uint64_t seen = 0;
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    cv_.wait(lk, [&] { return stop_ || (open_ && batch_ != seen); });
    if (stop_) return;
    seen = batch_;
    helper_busy_ = true;
    lk.unlock();
    for (auto& j : jobs_) {
      if (j->claimed.exchange(true)) continue;
      run(*j);
      ahead_.fetch_add(1);
    }
    lk.lock();
    helper_busy_ = false;
    cv_.notify_all();
  }
}

}  // namespace qvl
