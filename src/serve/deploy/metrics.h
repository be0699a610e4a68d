// Server metrics in Prometheus text format: requests by endpoint, mode and
// status; prompt / completion / reasoning tokens; queue depth and running
// requests, per mode too; per checkpoint the KV pool's blocks (total, used,
// cached), prefix-cache lookups and hits, preemptions, forward passes and the
// largest batch (read from the engines at
// scrape time); time-to-first-token and inter-token latency histograms. Thread-safe.
#pragma once
#include <array>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "engine/generator.h"

namespace qvl::serve {

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}
  void observe(double v);
  void render(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // last = +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

class Metrics {
 public:
  Metrics();
  void request(const std::string& endpoint, const std::string& mode, int status);
  void tokens(const std::string& mode, int prompt, int completion, int reasoning);
  void time_to_first_token(const std::string& mode, double seconds);
  void inter_token_latency(const std::string& mode, double seconds);
  // One engine's load, labelled by deployment name and checkpoint role.
  struct EngineGauge {
    std::string model, checkpoint;
    GeneratorLoad load;
  };
  // Queue depth, running requests and engine gauges come from the engines at scrape time.
  std::string render(int queue_depth, int running, const std::vector<EngineGauge>& engines = {}) const;

 private:
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::string, std::array<uint64_t, 3>> tokens_;  // mode -> prompt, completion, reasoning
  std::map<std::string, Histogram> ttft_, itl_;
};

}  // namespace qvl::serve
