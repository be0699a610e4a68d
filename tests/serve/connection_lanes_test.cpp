// ConnectionLanes: a worker per connection up to the cap, then the overflow lane
// (whose threads report in_overflow_lane()), and every job runs exactly once.
#include "serve/http/connection_lanes.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace qvl::serve {
namespace {

TEST(ConnectionLanes, CapThenOverflowLaneThenBack) {
  ConnectionLanes lanes(3, 1, 2);
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> started{0}, overflow_seen{0}, done{0};
  auto blocking = [&] {
    started++;
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk, [&] { return release; });
    done++;
  };
  for (int i = 0; i < 3; ++i) lanes.enqueue(blocking);  // three held connections: the cap
  while (started < 3) std::this_thread::yield();
  EXPECT_EQ(lanes.open_connections(), 3u);
  std::atomic<bool> fourth{false};
  lanes.enqueue([&] {  // over the cap: runs at once, on the overflow lane
    overflow_seen += ConnectionLanes::in_overflow_lane();
    fourth = true;
  });
  while (!fourth) std::this_thread::yield();
  EXPECT_EQ(overflow_seen, 1);
  {
    std::lock_guard<std::mutex> lk(mu);
    release = true;
  }
  cv.notify_all();
  while (done < 3) std::this_thread::yield();
  while (lanes.open_connections() != 0) std::this_thread::yield();
  std::atomic<int> main_lane{0};
  lanes.enqueue([&] { main_lane += !ConnectionLanes::in_overflow_lane() ? 1 : 100; });
  lanes.shutdown();  // runs what is queued before it returns
  EXPECT_EQ(main_lane, 1);
  EXPECT_FALSE(ConnectionLanes::in_overflow_lane());  // this thread is neither lane's
}

TEST(ConnectionLanes, ManyShortConnectionsAllRun) {
  std::atomic<int> ran{0};
  {
    ConnectionLanes lanes(8, 2, 1);
    for (int i = 0; i < 2000; ++i) lanes.enqueue([&] { ran++; });
    lanes.shutdown();
  }
  EXPECT_EQ(ran, 2000);
}

}  // namespace
}  // namespace qvl::serve
