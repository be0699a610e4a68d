// Engine scheduling under load, over the fake model: KV blocks are taken as
// sequences grow (no max_tokens reservation), preemption by recompute gives the
// same tokens as an uninterrupted run, instruct requests are admitted before
// thinking ones and per-class caps hold, compute tasks run on the engine
// thread, and two engines sharing one compute scheduler (a pair deployment)
// produce what each produces alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "base/compute_scheduler.h"
#include "engine/engine.h"
#include "engine_test_util.h"
#include "fake_model.h"

namespace qvl {
namespace {

using testing::attach;
using testing::FakeModel;
using testing::Outcome;
using testing::request;

ComputeScheduler& compute1() {
  static ThreadPool p(1);
  static ComputeScheduler s(&p);
  return s;
}

EngineOptions opts(int max_running, int64_t kv_tokens, int ctx = 256) {
  EngineOptions o;
  o.max_running = max_running;
  o.max_batch_tokens = 64;
  o.compute = &compute1();
  o.context_length = ctx;
  o.kv_tokens = kv_tokens;
  return o;
}

std::vector<std::vector<int32_t>> run_all(Engine& e, const std::vector<GenerationRequest>& reqs,
                                          std::vector<Outcome>* outs = nullptr) {
  std::vector<Outcome> local(reqs.size());
  std::vector<Outcome>& runs = outs ? *outs : local;
  runs.resize(reqs.size());
  std::vector<std::future<void>> fs;
  for (size_t i = 0; i < reqs.size(); ++i) {
    GenerationRequest r = reqs[i];
    fs.push_back(attach(r, runs[i]));
    e.submit(std::move(r));
  }
  for (auto& f : fs) f.wait();
  std::vector<std::vector<int32_t>> ids;
  for (const auto& r : runs) ids.push_back(r.ids());
  return ids;
}

// Before: admission reserved prompt + max_tokens (default: the whole context),
// so requests without max_tokens ran one at a time. Now 8 such requests fit a
// pool of 4 contexts and decode together.
TEST(EngineScheduling, RequestsWithoutMaxTokensDecodeTogether) {
  FakeModel m;
  Engine e(m, opts(8, 4 * 256));
  std::vector<GenerationRequest> unlimited;  // "no max_tokens": the context ends them
  for (int i = 0; i < 8; ++i) unlimited.push_back(request("client " + std::to_string(i), 1 << 20, 7 + i));
  std::vector<Outcome> outs;
  run_all(e, unlimited, &outs);
  for (const auto& o : outs) {
    EXPECT_EQ(o.result.finish, FinishReason::kLength);
    EXPECT_EQ(o.result.prompt_tokens + o.result.completion_tokens, 256);  // ran to the end of the context
  }
  EXPECT_EQ(e.stats().max_batch_seqs, 8u);  // all eight in one forward pass
  EXPECT_GT(e.stats().preemptions, 0u);     // 8 × 256 tokens > the pool's 4 × 256: some were preempted
  const GeneratorLoad l = e.load();
  EXPECT_EQ(l.kv_blocks_used, 0);           // every block returned
  EXPECT_EQ(l.kv_blocks_total, 4 * 256 / KvCache::kBlockTokens);
  EXPECT_EQ(l.running[0] + l.queued[0], 0);
}

// Preempted sequences are recomputed from their tokens: the outputs are the
// ones an engine with room for everyone gives.
TEST(EngineScheduling, PreemptionByRecomputeKeepsOutputs) {
  std::vector<GenerationRequest> reqs;
  for (int i = 0; i < 6; ++i) reqs.push_back(request("prompt number " + std::to_string(i), 150, 100 + i));
  FakeModel roomy_model;
  Engine roomy(roomy_model, opts(6, 6 * 256));
  const auto expected = run_all(roomy, reqs);
  EXPECT_EQ(roomy.stats().preemptions, 0u);

  FakeModel tight_model;
  Engine tight(tight_model, opts(6, 256));  // one context (8 blocks) for six sequences
  std::vector<Outcome> outs;
  const auto got = run_all(tight, reqs, &outs);
  EXPECT_GT(tight.stats().preemptions, 0u);
  for (size_t i = 0; i < reqs.size(); ++i) {
    EXPECT_EQ(got[i], expected[i]) << "request " << i;
    EXPECT_EQ(outs[i].result.completion_tokens, 150);
  }
  EXPECT_EQ(tight.load().kv_blocks_used, 0);
}

// Requests admitted while the engine is saturated: instruct ones jump the queue
// of waiting thinking ones, and thinking never holds more than its cap.
TEST(EngineScheduling, InstructAdmittedFirstAndThinkingCapped) {
  FakeModel m;
  EngineOptions o = opts(2, 4096);
  o.max_running_thinking = 1;
  Engine e(m, o);
  std::mutex mu;
  std::vector<uint64_t> first_token_order;
  int max_thinking_running = 0;
  std::vector<Outcome> outs(5);
  std::vector<std::future<void>> fs;
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  for (int i = 0; i < 5; ++i) {
    const bool thinking = i < 4;  // four thinking requests, then one instruct
    auto r = request(thinking ? "think " + std::to_string(i) : "quick", thinking ? 20 : 3, i);
    r.request_class = thinking ? RequestClass::kThinking : RequestClass::kInstruct;
    fs.push_back(attach(r, outs[i]));
    auto inner = r.on_token;
    r.on_token = [&, i, inner, open](const TokenEvent& ev) {
      open.wait();  // nothing is generated until everything is queued
      {
        std::lock_guard<std::mutex> lk(mu);
        if (outs[i].events.empty()) first_token_order.push_back(i);
        max_thinking_running = std::max(max_thinking_running, e.load().running[1]);
      }
      return inner(ev);
    };
    e.submit(std::move(r));
  }
  gate.set_value();
  for (auto& f : fs) f.wait();
  EXPECT_EQ(max_thinking_running, 1);
  // Thinking request 0 was admitted at once (the engine was idle); the instruct
  // request, submitted last, starts before thinking requests 1-3.
  ASSERT_EQ(first_token_order.size(), 5u);
  const auto pos = [&](uint64_t i) {
    return std::find(first_token_order.begin(), first_token_order.end(), i) - first_token_order.begin();
  };
  for (int t = 1; t < 4; ++t) EXPECT_LT(pos(4), pos(t)) << "thinking " << t;
  EXPECT_EQ(outs[4].result.completion_tokens, 3);
}

TEST(EngineScheduling, ComputeTasksRunOnTheEngineThreadAndRethrow) {
  FakeModel m;
  Engine e(m, opts(2, 1024));
  std::thread::id ran_on;
  int nth = 0;
  e.run_compute([&](ThreadPool& pool) {
    ran_on = std::this_thread::get_id();
    nth = pool.size();
  });
  EXPECT_NE(ran_on, std::this_thread::get_id());
  EXPECT_EQ(nth, 1);
  EXPECT_THROW(e.run_compute([](ThreadPool&) { throw Error("encoder failed"); }), Error);
  // Requests still run after a failed task.
  Outcome o;
  auto r = request("after", 4, 1);
  auto f = attach(r, o);
  e.submit(std::move(r));
  f.wait();
  EXPECT_EQ(o.result.completion_tokens, 4);
}

// A pair deployment: two engines, one 2-thread pool, one scheduler, requests to
// both at once. Each engine's outputs equal what it gives with nothing else running.
TEST(EngineScheduling, TwoEnginesShareOneSchedulerCorrectly) {
  ThreadPool pool(2);
  ComputeScheduler sched(&pool);
  auto make_reqs = [](int base) {
    std::vector<GenerationRequest> v;
    for (int i = 0; i < 6; ++i) v.push_back(request("pair request " + std::to_string(i), 60, base + i));
    return v;
  };
  EngineOptions o = opts(4, 4096);
  o.compute = &sched;
  std::vector<std::vector<int32_t>> alone_a, alone_b;
  {
    FakeModel ma, mb;
    Engine a(ma, o), b(mb, o);
    alone_a = run_all(a, make_reqs(10));
    alone_b = run_all(b, make_reqs(50));
  }
  FakeModel ma, mb;
  Engine a(ma, o), b(mb, o);
  std::vector<std::vector<int32_t>> got_a, got_b;
  std::thread ta([&] { got_a = run_all(a, make_reqs(10)); });
  std::thread tb([&] { got_b = run_all(b, make_reqs(50)); });
  ta.join();
  tb.join();
  EXPECT_EQ(got_a, alone_a);
  EXPECT_EQ(got_b, alone_b);
}

}  // namespace
}  // namespace qvl
