// Bridges the engine's callbacks (engine thread) to the HTTP thread that owns the
// request: n sequences are submitted, their token and done events queue up here,
// and the HTTP thread pulls them with a timeout (for SSE keep-alives and
// disconnect checks). Callbacks hold the channel by shared_ptr, so the job may
// be destroyed before the engine lets go of them.
#pragma once
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/generator.h"

namespace qvl::serve {

struct JobEvent {
  int choice = 0;
  bool done = false;
  TokenEvent token;
  GenerationResult result;  // when done
};

class GenerationJob {
 public:
  explicit GenerationJob(Generator& gen) : gen_(gen), ch_(std::make_shared<Channel>()) {}
  ~GenerationJob();  // cancels whatever still runs
  GenerationJob(const GenerationJob&) = delete;
  GenerationJob& operator=(const GenerationJob&) = delete;

  // Submits n copies (seed + i for choice i). Throws whatever Generator::submit throws;
  // choices already submitted are cancelled then.
  void submit(const GenerationRequest& req, int n);
  // Next event, or false after `timeout` with nothing queued.
  bool next(JobEvent& ev, std::chrono::milliseconds timeout);
  void cancel();  // client gone: stop every sequence now
  bool finished() const;  // every choice has delivered its done event (and it was taken)

 private:
  struct Channel {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<JobEvent> events;
    bool cancelled = false;
  };
  Generator& gen_;
  std::shared_ptr<Channel> ch_;
  std::vector<uint64_t> ids_;
  int n_ = 0, done_ = 0;
};

}  // namespace qvl::serve
