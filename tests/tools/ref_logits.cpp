// ref_logits: the high-precision side of the text parity test. Teacher-forced
// log-probabilities from the plain reference decoder (tests/model/forward_reference.h:
// weights dequantised to F32, activations unquantised, dot products, norms, softmax
// and RoPE in double), in `qvl score`'s JSONL format, so the test can measure how
// far qvl and llama.cpp each are from it. Test-only: never linked into qvl.
//
// usage: ref_logits MODEL.gguf IN.jsonl TOP_K > OUT.jsonl
//   IN: {"tokens": [ids...]} per line. OUT per line: {"positions": [{"lse", "argmax",
//   "margin", "top": [[id, logprob] x TOP_K]}]} (position p: the distribution after
//   tokens[0..p], text positions p for all three MRoPE streams).
// Sequences run on all cores (each is one plain single-threaded reference forward;
// the output keeps the input's order): CI runs it for every parity case.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "../model/forward_reference.h"
#include "base/error.h"

int main(int argc, char** argv) {
  using namespace qvl;
  if (argc != 4) {
    std::fprintf(stderr, "usage: ref_logits MODEL.gguf IN.jsonl TOP_K\n");
    return 2;
  }
  try {
    auto base = load_model(argv[1]);
    auto* m = dynamic_cast<Qwen3TextModel*>(base.get());
    QVL_CHECK(m, argv[1], ": not a Qwen3 text model");
    const int top = std::stoi(argv[3]);
    const int64_t vocab = m->config().vocab_size;
    std::ifstream in(argv[2]);
    QVL_CHECK(in.good(), argv[2], ": cannot open");
    std::string line;
    std::vector<testing::RefInput> inputs;
    while (std::getline(in, line)) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const auto j = nlohmann::json::parse(line);
      testing::RefInput ri;
      ri.tokens = j.at("tokens").get<std::vector<int32_t>>();
      for (size_t p = 0; p < ri.tokens.size(); ++p) ri.pos.push_back({int32_t(p), int32_t(p), int32_t(p)});
      inputs.push_back(std::move(ri));
    }
    std::vector<std::string> lines(inputs.size());
    auto score = [&](const testing::RefInput& ri) {
      const std::vector<float> logits = testing::ref_forward(*m, ri);
      std::vector<int32_t> order(size_t(vocab), 0);
      nlohmann::json out = {{"positions", nlohmann::json::array()}};
      for (size_t p = 0; p < ri.tokens.size(); ++p) {
        const float* l = &logits[p * size_t(vocab)];
        std::iota(order.begin(), order.end(), 0);
        const int k = int(std::min<int64_t>(std::max(top, 2), vocab));
        std::partial_sort(order.begin(), order.begin() + k, order.end(),
                          [&](int32_t a, int32_t b) { return l[a] > l[b] || (l[a] == l[b] && a < b); });
        const double mx = l[order[0]];
        double sum = 0;
        for (int64_t i = 0; i < vocab; ++i) sum += std::exp(double(l[i]) - mx);
        const double lse = mx + std::log(sum);
        nlohmann::json tj = nlohmann::json::array();
        for (int r = 0; r < std::min(top, k); ++r) tj.push_back({order[r], double(l[order[r]]) - lse});
        out["positions"].push_back(
            {{"lse", lse}, {"argmax", order[0]}, {"margin", mx - double(l[order[1]])}, {"top", std::move(tj)}});
      }
      return out.dump() + "\n";
    };
    std::atomic<size_t> next{0};
    std::exception_ptr failure;
    std::mutex failure_mutex;
    auto worker = [&] {
      for (size_t i; (i = next.fetch_add(1)) < inputs.size();) {
        try {
          lines[i] = score(inputs[i]);
        } catch (...) {
          std::lock_guard<std::mutex> lk(failure_mutex);
          if (!failure) failure = std::current_exception();
        }
      }
    };
    const size_t n_threads = std::max<size_t>(1, std::min<size_t>(std::thread::hardware_concurrency(), inputs.size()));
    std::vector<std::thread> threads;
    for (size_t t = 1; t < n_threads; ++t) threads.emplace_back(worker);
    worker();
    for (std::thread& t : threads) t.join();
    if (failure) std::rethrow_exception(failure);
    for (const std::string& l : lines) std::fputs(l.c_str(), stdout);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ref_logits: %s\n", e.what());
    return 1;
  }
  return 0;
}
