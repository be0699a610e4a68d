// Test helper: submits one request to an Engine and waits for it, collecting the
// streamed text and the final result (shared by the grammar engine and steering tests).
#pragma once
#include <future>
#include <memory>
#include <string>

#include "engine/engine.h"

namespace qvl::test {

struct Generated {
  std::string text;
  GenerationResult result;
};

inline Generated run_to_end(Engine& e, GenerationRequest req) {
  Generated run;
  auto done = std::make_shared<std::promise<void>>();
  req.on_token = [&run](const TokenEvent& ev) {
    run.text += ev.text;
    return true;
  };
  req.on_done = [&run, done](const GenerationResult& r) {
    run.result = r;
    done->set_value();
  };
  auto f = done->get_future();
  e.submit(std::move(req));
  f.wait();
  return run;
}

}  // namespace qvl::test
