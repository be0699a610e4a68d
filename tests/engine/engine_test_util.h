// Helpers shared by the engine tests: collect a request's events and result,
// and build byte-prompt requests for the fake model.
#pragma once
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "engine/request.h"

namespace qvl::testing {

struct Outcome {
  std::vector<TokenEvent> events;
  GenerationResult result;
  std::string text() const {
    std::string s;
    for (const auto& e : events) s += e.text;
    return s;
  }
  std::vector<int32_t> ids() const {
    std::vector<int32_t> v;
    for (const auto& e : events) v.push_back(e.token);
    return v;
  }
};

// Wires a request's callbacks to a Outcome; the future is ready at on_done.
inline std::future<void> attach(GenerationRequest& req, Outcome& run) {
  auto done = std::make_shared<std::promise<void>>();
  req.on_token = [&run](const TokenEvent& e) {
    run.events.push_back(e);
    return true;
  };
  req.on_done = [&run, done](const GenerationResult& r) {
    run.result = r;
    done->set_value();
  };
  return done->get_future();
}

inline GenerationRequest request(const std::string& prompt, int max_tokens, uint64_t seed) {
  GenerationRequest r;
  for (unsigned char c : prompt) r.prompt.tokens.push_back(c);
  r.max_tokens = max_tokens;
  r.sampling.temperature = 1.0f;
  r.sampling.seed = seed;
  return r;
}

}  // namespace qvl::testing
