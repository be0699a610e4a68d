// Per-connection workers with a cap and an overflow lane (see connection_lanes.h).
#include "serve/http/connection_lanes.h"

#include "serve/http/memory_release.h"

namespace qvl::serve {

namespace {
thread_local bool tl_overflow = false;
}

ConnectionLanes::ConnectionLanes(size_t max_connections, size_t warm_threads, size_t overflow_threads)
    : max_(max_connections < 1 ? 1 : max_connections) {
  std::lock_guard<std::mutex> lk(mu_);
  for (size_t i = 0; i < std::min(warm_threads, max_); ++i) spawn(main_, false);
  for (size_t i = 0; i < std::max<size_t>(overflow_threads, 1); ++i) spawn(overflow_, true);
}

ConnectionLanes::~ConnectionLanes() { shutdown(); }

bool ConnectionLanes::in_overflow_lane() { return tl_overflow; }

size_t ConnectionLanes::open_connections() const {
  std::lock_guard<std::mutex> lk(mu_);
  return open_;
}

void ConnectionLanes::spawn(Lane& lane, bool overflow) {
  ++lane.idle;
  lane.threads.emplace_back([this, &lane, overflow] { work(lane, overflow); });
}

void ConnectionLanes::enqueue(std::function<void()> fn) {
  std::lock_guard<std::mutex> lk(mu_);
  if (open_ < max_) {
    ++open_;
    main_.jobs.push_back(std::move(fn));
    // Threads are made on demand and kept: an idle one waits for the next connection.
    if (main_.idle < main_.jobs.size() && main_.threads.size() < max_) spawn(main_, false);
    main_.cv.notify_one();
  } else {
    overflow_.jobs.push_back(std::move(fn));
    overflow_.cv.notify_one();
  }
}

void ConnectionLanes::work(Lane& lane, bool overflow) {
  tl_overflow = overflow;
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    lane.cv.wait(lk, [&] { return stopping_ || !lane.jobs.empty(); });
    if (lane.jobs.empty()) return;  // stopping, and nothing left to close
    std::function<void()> fn = std::move(lane.jobs.front());
    lane.jobs.pop_front();
    --lane.idle;
    lk.unlock();
    fn();  // serves the connection and closes its socket
    fn = nullptr;
    release_memory_if_noted();  // after a large request: give the pages back
    lk.lock();
    ++lane.idle;
    if (!overflow) --open_;
  }
}

void ConnectionLanes::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (stopping_ && main_.threads.empty() && overflow_.threads.empty()) return;
    stopping_ = true;
    main_.cv.notify_all();
    overflow_.cv.notify_all();
    for (Lane* l : {&main_, &overflow_})
      for (auto& t : l->threads) threads.push_back(std::move(t));
    main_.threads.clear();
    overflow_.threads.clear();
  }
  for (auto& t : threads) t.join();
}

}  // namespace qvl::serve
