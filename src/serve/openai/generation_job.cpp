// Per-request event channel between the engine thread and an HTTP thread.
#include "serve/openai/generation_job.h"

namespace qvl::serve {

GenerationJob::~GenerationJob() {
  if (done_ < n_) cancel();
}

void GenerationJob::submit(const GenerationRequest& req, int n) {
  for (int i = 0; i < n; ++i) {
    GenerationRequest r = req;
    r.sampling.seed = req.sampling.seed + static_cast<uint64_t>(i);
    if (req.grammar) r.grammar = std::make_shared<grammar::Matcher>(*req.grammar);  // one position per choice
    std::shared_ptr<Channel> ch = ch_;
    r.on_token = [ch, i](const TokenEvent& t) {
      std::lock_guard<std::mutex> lk(ch->mu);
      if (ch->cancelled) return false;
      JobEvent ev;
      ev.choice = i;
      ev.token = t;
      ch->events.push_back(std::move(ev));
      ch->cv.notify_one();
      return true;
    };
    r.on_done = [ch, i](const GenerationResult& res) {
      std::lock_guard<std::mutex> lk(ch->mu);
      JobEvent ev;
      ev.choice = i;
      ev.done = true;
      ev.result = res;
      ch->events.push_back(std::move(ev));
      ch->cv.notify_one();
    };
    try {
      ids_.push_back(gen_.submit(std::move(r)));
      ++n_;
    } catch (...) {
      cancel();
      throw;
    }
  }
}

bool GenerationJob::next(JobEvent& ev, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lk(ch_->mu);
  if (!ch_->cv.wait_for(lk, timeout, [&] { return !ch_->events.empty(); })) return false;
  ev = std::move(ch_->events.front());
  ch_->events.pop_front();
  if (ev.done) ++done_;
  return true;
}

void GenerationJob::cancel() {
  {
    std::lock_guard<std::mutex> lk(ch_->mu);
    ch_->cancelled = true;
  }
  for (uint64_t id : ids_) gen_.cancel(id);
}

bool GenerationJob::finished() const { return done_ >= n_; }

}  // namespace qvl::serve
