// One compute scheduler over the one thread pool (DESIGN: "one thread pool,
// sized to the cores"). Every engine thread of a deployment (a hybrid model, an
// instruct + thinking pair, several models) asks for a Lease before it runs
// tensors, holds it for one unit of work (one batched forward pass, one vision
// encode) and gives it back. Leases are granted in arrival order (a ticket
// queue), so two busy engines alternate step by step and none can starve the
// other; an engine alone re-acquires at once. Why one scheduler rather than a
// pool per engine: docs/decisions/0004-one-compute-scheduler.md.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "base/thread_pool.h"

namespace qvl {

class ComputeScheduler {
 public:
  explicit ComputeScheduler(ThreadPool* pool = nullptr) : pool_(pool) {}  // nullptr = default_pool()
  ComputeScheduler(const ComputeScheduler&) = delete;
  ComputeScheduler& operator=(const ComputeScheduler&) = delete;

  // Exclusive use of the pool until destroyed.
  class Lease {
   public:
    Lease(Lease&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (s_) s_->release();
    }
    ThreadPool& pool() const { return s_->pool(); }

   private:
    friend class ComputeScheduler;
    explicit Lease(ComputeScheduler* s) : s_(s) {}
    ComputeScheduler* s_;
  };

  Lease acquire();  // blocks until every earlier request has had its turn
  int waiting() const;  // callers blocked in acquire() now

 private:
  void release();
  ThreadPool& pool() const { return pool_ ? *pool_ : default_pool(); }

  ThreadPool* pool_;
  mutable std::mutex mu_;
  std::condition_variable turn_;
  uint64_t next_ticket_ = 0;  // guarded by mu_
  uint64_t serving_ = 0;      // the ticket that may hold the pool; guarded by mu_
};

// Over default_pool(); what engines use unless given another.
ComputeScheduler& default_scheduler();

}  // namespace qvl
