#include "base/thread_pool.h"

#include <immintrin.h>

#include <algorithm>
#include <exception>
#include <memory>

#include "base/error.h"

namespace qvl {
namespace {
constexpr int kSpinIterations = 1 << 16;  // ~100 us of pause before sleeping
// The pool whose job this thread is running now (caller or worker), so a nested
// run() on the same pool is recognised instead of deadlocking on run_mutex_.
thread_local const ThreadPool* t_inside = nullptr;

struct InsideGuard {
  const ThreadPool* saved;
  explicit InsideGuard(const ThreadPool* p) : saved(t_inside) { t_inside = p; }
  ~InsideGuard() { t_inside = saved; }
};
}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)) {
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::worker_loop(int ith) {
  uint64_t seen = 0;
  for (;;) {
    int spins = 0;
    uint64_t gen;
    while ((gen = generation_.load(std::memory_order_acquire)) == seen) {
      if (++spins < kSpinIterations) {
        if (spins % 1024 == 0) std::this_thread::yield();  // let a descheduled caller in
        else _mm_pause();
        continue;
      }
      std::unique_lock<std::mutex> lock(mutex_);
      sleepers_.fetch_add(1);
      wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      sleepers_.fetch_sub(1);
      spins = 0;
    }
    seen = gen;
    if (stop_.load()) return;
    {
      InsideGuard inside(this);
      (*job_)(ith, n_threads_);
    }
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::run(const std::function<void(int, int)>& fn) {
  if (n_threads_ == 1 || t_inside == this) {  // one thread, or nested inside our own job
    InsideGuard inside(this);
    fn(0, 1);
    return;
  }
  std::lock_guard<std::mutex> one_job(run_mutex_);
  InsideGuard inside(this);
  job_ = &fn;
  pending_.store(n_threads_ - 1, std::memory_order_relaxed);
  {
    // The lock orders the generation bump against a worker deciding to sleep.
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  if (sleepers_.load() > 0) wake_.notify_all();
  std::exception_ptr failed;
  try {
    fn(0, n_threads_);
  } catch (...) {
    failed = std::current_exception();  // the workers still hold fn: wait for them first
  }
  // Spin while workers finish (the common, fast case), but yield once it takes
  // long: on an oversubscribed machine the worker we wait for needs our core.
  for (int spins = 0; pending_.load(std::memory_order_acquire) != 0; ++spins) {
    if (spins < 4096) _mm_pause();
    else std::this_thread::yield();
  }
  job_ = nullptr;
  if (failed) std::rethrow_exception(failed);
}

void ThreadPool::parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  if (n_threads_ == 1 || n <= grain) {
    fn(0, n);
    return;
  }
  // Chunks ~1/4 of an even share so uneven threads balance, but never below grain.
  const int64_t chunk = std::max(grain, n / (int64_t(n_threads_) * 4));
  std::atomic<int64_t> next{0};
  run([&](int, int) {
    for (;;) {
      const int64_t b = next.fetch_add(chunk);
      if (b >= n) break;
      fn(b, std::min(n, b + chunk));
    }
  });
}

namespace {
int g_default_threads = 0;
std::unique_ptr<ThreadPool> g_pool;
std::mutex g_pool_mutex;
}  // namespace

void set_default_threads(int n) {
  std::lock_guard<std::mutex> lock(g_pool_mutex);
  g_default_threads = n;
  g_pool.reset();
}

int default_threads() {
  return g_default_threads > 0 ? g_default_threads : std::max(1u, std::thread::hardware_concurrency());
}

ThreadPool& default_pool() {
  std::lock_guard<std::mutex> lock(g_pool_mutex);
  if (!g_pool) g_pool = std::make_unique<ThreadPool>(default_threads());
  return *g_pool;
}

}  // namespace qvl
