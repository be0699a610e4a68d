// The one thread pool (DESIGN: kernels never start threads). The calling thread
// works as thread 0. Workers spin briefly between jobs (decode issues thousands of
// small jobs per second) and then sleep on a condition variable.
// Safe by construction: run() from several threads at once takes turns (a mutex
// around each job), and run() from inside a job of the same pool runs the nested
// job inline on the calling thread as (0, 1). Who gets the pool for how long is
// decided a level up, by ComputeScheduler (base/compute_scheduler.h).
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace qvl {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);  // n_threads >= 1, including the caller
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Runs fn(ith, nth) once on each of nth = size() threads and waits for all.
  // Concurrent callers take turns; a call from inside one of this pool's jobs
  // runs fn(0, 1) inline (every job must accept any nth >= 1).
  void run(const std::function<void(int ith, int nth)>& fn);

  // Splits [0, n) into chunks of at least `grain` items handed out dynamically;
  // fn(begin, end) runs on any thread. Small n runs inline on the caller.
  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t begin, int64_t end)>& fn);

 private:
  void worker_loop(int ith);

  int n_threads_;
  std::vector<std::thread> workers_;
  const std::function<void(int, int)>* job_ = nullptr;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  std::atomic<int> sleepers_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::mutex run_mutex_;  // one job at a time; held for the whole of run()
};

// Process-wide pool used by the CLI and the engine; sized by set_default_threads()
// (default: hardware concurrency).
ThreadPool& default_pool();
void set_default_threads(int n);
int default_threads();

}  // namespace qvl
