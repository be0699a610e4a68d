// The task queue cpp-httplib hands every accepted connection to. A thread blocked
// on a slow or stalled client costs a stack, not a core, so each connection gets a
// worker of its own up to `max_connections`: 64 stalled uploads leave the other
// connections (and /health) served at once. Past the cap a connection goes to a
// small overflow lane, whose threads serve only /health and /metrics and turn
// every other request away with 503 (the pre-routing handler asks in_overflow_lane()).
// cpp-httplib 0.11's TaskQueue cannot refuse a connection, hence a lane, not a drop.
#pragma once
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>

namespace qvl::serve {

class ConnectionLanes : public httplib::TaskQueue {
 public:
  ConnectionLanes(size_t max_connections, size_t warm_threads, size_t overflow_threads);
  ~ConnectionLanes() override;

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

  static bool in_overflow_lane();  // true while this thread serves an over-cap connection
  size_t open_connections() const;  // main lane, queued or being served
  size_t max_connections() const { return max_; }

 private:
  struct Lane {
    std::deque<std::function<void()>> jobs;
    std::condition_variable cv;
    std::vector<std::thread> threads;
    size_t idle = 0;
  };
  void work(Lane& lane, bool overflow);
  void spawn(Lane& lane, bool overflow);  // mu_ held

  const size_t max_;
  mutable std::mutex mu_;
  Lane main_, overflow_;
  size_t open_ = 0;
  bool stopping_ = false;
};

}  // namespace qvl::serve
