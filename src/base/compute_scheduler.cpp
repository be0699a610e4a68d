// Ticket queue: acquire() takes the next ticket and waits until it is served;
// release() serves the next one. FIFO, so alternation between engines is exact.
#include "base/compute_scheduler.h"

namespace qvl {

ComputeScheduler::Lease ComputeScheduler::acquire() {
  std::unique_lock<std::mutex> lk(mu_);
  const uint64_t ticket = next_ticket_++;
  turn_.wait(lk, [&] { return serving_ == ticket; });
  return Lease(this);
}

void ComputeScheduler::release() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    ++serving_;
  }
  turn_.notify_all();
}

int ComputeScheduler::waiting() const {
  std::lock_guard<std::mutex> lk(mu_);
  const uint64_t outstanding = next_ticket_ - serving_;  // holder + waiters
  return outstanding > 0 ? static_cast<int>(outstanding - 1) : 0;
}

ComputeScheduler& default_scheduler() {
  static ComputeScheduler s;  // resolves default_pool() per lease: --threads may resize it first
  return s;
}

}  // namespace qvl
