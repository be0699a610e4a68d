#include "base/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "base/compute_scheduler.h"

namespace qvl {

TEST(ThreadPool, RunCallsEveryThreadOnce) {
  for (int n : {1, 2, 3, 5}) {
    ThreadPool pool(n);
    for (int rep = 0; rep < 200; ++rep) {
      std::vector<std::atomic<int>> hits(n);
      pool.run([&](int ith, int nth) {
        ASSERT_EQ(nth, n);
        hits[ith]++;
      });
      for (auto& h : hits) ASSERT_EQ(h.load(), 1);
    }
  }
}

TEST(ThreadPool, ParallelForCoversRangeExactlyOnce) {
  ThreadPool pool(3);
  for (int64_t n : {0, 1, 7, 1000, 12345}) {
    std::vector<std::atomic<int>> seen(n);
    pool.parallel_for(n, 5, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) seen[i]++;
    });
    for (auto& s : seen) ASSERT_EQ(s.load(), 1);
  }
}

// The pair-deployment bug: two engine threads calling run() on one pool at once
// used to corrupt its job pointer (segfault or livelock). Now they take turns and
// every job still sees each thread exactly once.
TEST(ThreadPool, ConcurrentCallersTakeTurns) {
  ThreadPool pool(3);
  std::atomic<int> inside{0}, overlap{0};
  auto caller = [&](int id, std::vector<int64_t>* sums) {
    for (int rep = 0; rep < 300; ++rep) {
      std::vector<std::atomic<int>> hits(3);
      pool.run([&](int ith, int nth) {
        if (inside.fetch_add(1) >= nth) overlap++;  // more than nth threads in jobs at once
        hits[ith]++;
        inside.fetch_sub(1);
      });
      int64_t s = 0;
      for (auto& h : hits) s += h.load();
      sums->push_back(s * 10 + id);
    }
  };
  std::vector<int64_t> a, b;
  std::thread t1(caller, 1, &a), t2(caller, 2, &b);
  t1.join();
  t2.join();
  EXPECT_EQ(overlap.load(), 0);
  ASSERT_EQ(a.size(), 300u);
  ASSERT_EQ(b.size(), 300u);
  for (int64_t v : a) EXPECT_EQ(v, 31);
  for (int64_t v : b) EXPECT_EQ(v, 32);
}

TEST(ThreadPool, NestedRunOnTheSamePoolRunsInline) {
  ThreadPool pool(2);
  std::atomic<int> inner_calls{0};
  pool.run([&](int, int) {
    pool.run([&](int ith, int nth) {
      EXPECT_EQ(ith, 0);
      EXPECT_EQ(nth, 1);
      inner_calls++;
    });
  });
  EXPECT_EQ(inner_calls.load(), 2);  // once per outer thread
}

TEST(ThreadPool, ExceptionOnTheCallerWaitsForWorkersAndPropagates) {
  ThreadPool pool(3);
  std::atomic<int> done{0};
  EXPECT_THROW(pool.run([&](int ith, int) {
    if (ith == 0) throw std::runtime_error("boom");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    done++;
  }),
               std::runtime_error);
  EXPECT_EQ(done.load(), 2);  // run() returned only after both workers finished
  pool.run([](int, int) {});  // still usable
}

TEST(ComputeScheduler, LeasesAreExclusiveAndGrantedInArrivalOrder) {
  ThreadPool pool(2);
  ComputeScheduler sched(&pool);
  std::vector<int> order;
  std::mutex order_mu;
  std::atomic<int> holders{0}, overlap{0};
  auto first = std::make_unique<ComputeScheduler::Lease>(sched.acquire());
  std::vector<std::thread> ts;
  for (int i = 0; i < 4; ++i) {
    ts.emplace_back([&, i] {
      auto lease = sched.acquire();
      if (holders.fetch_add(1) != 0) overlap++;
      {
        std::lock_guard<std::mutex> lk(order_mu);
        order.push_back(i);
      }
      lease.pool().run([](int, int) {});
      holders.fetch_sub(1);
    });
    while (sched.waiting() < i + 1) std::this_thread::yield();  // i is queued before i + 1
  }
  first.reset();
  for (auto& t : ts) t.join();
  EXPECT_EQ(overlap.load(), 0);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(sched.waiting(), 0);
}

}  // namespace qvl
