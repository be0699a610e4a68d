// The engine as the serve layer sees it: submit a request, get tokens through its
// callbacks. The real implementation batches sequences on one engine thread per
// model; tests may substitute a fake.
#pragma once
#include <cstdint>

#include "engine/request.h"

namespace qvl {

class Generator {
 public:
  virtual ~Generator() = default;
  // Queues the request; returns its id. Throws qvl::Error if the queue is full or
  // the prompt cannot fit the context (the caller maps that to 429 / 400).
  virtual uint64_t submit(GenerationRequest req) = 0;
  virtual void cancel(uint64_t id) = 0;
  virtual int queue_depth() const = 0;
  virtual int running() const = 0;
  virtual int context_length() const = 0;
};

}  // namespace qvl
