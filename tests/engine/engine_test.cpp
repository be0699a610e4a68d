// Engine scheduler tests over the fake model: batching equals running alone,
// chunked prefill, cancellation frees KV blocks, queue limit, prompt checks,
// stop rules and the thinking budget.
#include "engine/engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "base/compute_scheduler.h"
#include "engine_test_util.h"
#include "fake_model.h"

namespace qvl {
namespace {

using testing::attach;
using testing::FakeModel;
using testing::Outcome;
using testing::request;
using testing::kImEnd;
using testing::kThinkClose;
using testing::kThinkOpen;

ComputeScheduler& compute() {
  static ThreadPool p(1);
  static ComputeScheduler s(&p);
  return s;
}

EngineOptions options(int max_running, int max_batch_tokens = 16) {
  EngineOptions o;
  o.max_running = max_running;
  o.max_batch_tokens = max_batch_tokens;
  o.compute = &compute();
  o.context_length = 256;
  o.kv_tokens = 4096;
  return o;
}

const std::vector<std::string> kPrompts = {
    "hello", "a much longer prompt that needs several prefill chunks of sixteen tokens", "x", "batching?", "0123456789"};

TEST(Engine, BatchedEqualsAlone) {
  std::vector<std::vector<int32_t>> alone;
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    FakeModel m;
    Engine e(m, options(1));
    Outcome run;
    auto req = request(kPrompts[i], 12, 100 + i);
    auto f = attach(req, run);
    e.submit(std::move(req));
    f.wait();
    EXPECT_EQ(run.result.finish, FinishReason::kLength);
    EXPECT_EQ(run.result.completion_tokens, 12);
    alone.push_back(run.ids());
  }
  FakeModel m;
  Engine e(m, options(8));
  std::vector<Outcome> runs(kPrompts.size());
  std::vector<std::future<void>> fs;
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    auto req = request(kPrompts[i], 12, 100 + i);
    fs.push_back(attach(req, runs[i]));
    e.submit(std::move(req));
  }
  for (auto& f : fs) f.wait();
  for (size_t i = 0; i < kPrompts.size(); ++i) EXPECT_EQ(runs[i].ids(), alone[i]) << "prompt " << i;
  const EngineStats st = e.stats();
  EXPECT_GT(st.max_batch_seqs, 1u);              // sequences really shared forward passes
  EXPECT_LT(st.steps, kPrompts.size() * 12u);    // fewer passes than running one by one
  EXPECT_EQ(e.kv_free_blocks(), 4096 / KvCache::kBlockTokens);
}

TEST(Engine, SameSeedSameOutputDifferentSeedDiffers) {
  FakeModel m;
  Engine e(m, options(4));
  Outcome a, b, c;
  auto ra = request("seed test", 16, 7), rb = request("seed test", 16, 7), rc = request("seed test", 16, 8);
  auto fa = attach(ra, a), fb = attach(rb, b), fc = attach(rc, c);
  e.submit(std::move(ra));
  e.submit(std::move(rb));
  e.submit(std::move(rc));
  fa.wait();
  fb.wait();
  fc.wait();
  EXPECT_EQ(a.ids(), b.ids());
  EXPECT_NE(a.ids(), c.ids());
}

TEST(Engine, OnTokenFalseCancelsAndFreesBlocks) {
  FakeModel m;
  Engine e(m, options(2));
  Outcome run;
  auto req = request("cancel me", 200, 1);
  auto done = std::make_shared<std::promise<void>>();
  auto f = done->get_future();
  req.on_token = [&run](const TokenEvent& ev) {
    run.events.push_back(ev);
    return run.events.size() < 3;
  };
  req.on_done = [&run, done](const GenerationResult& r) {
    run.result = r;
    done->set_value();
  };
  e.submit(std::move(req));
  f.wait();
  EXPECT_EQ(run.result.finish, FinishReason::kCancelled);
  EXPECT_EQ(run.events.size(), 3u);
  for (int i = 0; i < 100 && e.running() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_EQ(e.running(), 0);
  EXPECT_EQ(e.kv_free_blocks(), 4096 / KvCache::kBlockTokens);
}

TEST(Engine, CancelByIdStopsARunningSequence) {
  FakeModel m;
  Engine e(m, options(2));
  Outcome run;
  std::promise<void> first;
  std::atomic<bool> signalled{false};
  auto req = request("cancel by id", 200, 1);
  auto f = attach(req, run);
  req.on_token = [&](const TokenEvent& ev) {
    run.events.push_back(ev);
    if (!signalled.exchange(true)) first.set_value();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return true;
  };
  const uint64_t id = e.submit(std::move(req));
  first.get_future().wait();
  e.cancel(id);
  f.wait();
  EXPECT_EQ(run.result.finish, FinishReason::kCancelled);
  EXPECT_LT(run.result.completion_tokens, 200);
}

TEST(Engine, QueueFullThrows) {
  FakeModel m;
  EngineOptions o = options(1);
  o.max_queue = 2;
  Engine e(m, o);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> started;
  Outcome blocker;
  auto req = request("block", 4, 1);
  auto fb = attach(req, blocker);
  req.on_token = [&, gate](const TokenEvent& ev) {
    if (blocker.events.empty()) started.set_value();
    blocker.events.push_back(ev);
    gate.wait();  // holds the engine thread: nothing else is admitted
    return true;
  };
  e.submit(std::move(req));
  started.get_future().wait();
  Outcome r1, r2;
  auto q1 = request("one", 2, 1), q2 = request("two", 2, 1);
  auto f1 = attach(q1, r1), f2 = attach(q2, r2);
  e.submit(std::move(q1));
  e.submit(std::move(q2));
  EXPECT_EQ(e.queue_depth(), 2);
  try {
    e.submit(request("three", 2, 1));
    FAIL() << "expected queue full";
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("queue full"), std::string::npos) << err.what();
  }
  release.set_value();
  fb.wait();
  f1.wait();
  f2.wait();
  EXPECT_EQ(r1.result.finish, FinishReason::kLength);
  EXPECT_EQ(r2.result.completion_tokens, 2);
}

TEST(Engine, RejectsBadRequests) {
  FakeModel m;
  Engine e(m, options(1));
  EXPECT_THROW(e.submit(request(std::string(300, 'a'), 4, 1)), Error);  // context is 256
  EXPECT_THROW(e.submit(request("", 4, 1)), Error);
  EXPECT_THROW(e.submit(request("ok", 0, 1)), Error);
  auto bad = request("ok", 4, 1);
  bad.prompt.tokens.push_back(9999);
  EXPECT_THROW(e.submit(std::move(bad)), Error);
  auto bad_temp = request("ok", 4, 1);
  bad_temp.sampling.temperature = -2;
  EXPECT_THROW(e.submit(std::move(bad_temp)), Error);
}

// Policy for the rule tests: cycles "abc" (no sentence end) inside think, then
// answers "xyz" and <|im_end|>.
int32_t think_then_answer(const std::vector<int32_t>& h) {
  size_t close = std::string::npos;
  for (size_t i = 0; i < h.size(); ++i)
    if (h[i] == kThinkClose) close = i;
  if (close == std::string::npos) return "abc"[h.size() % 3];
  const size_t after = h.size() - close - 1;
  if (after == 0) return '\n';
  return after < 4 ? "xyz"[after - 1] : kImEnd;
}

TEST(Engine, StopTokenNotEmittedAndStopStringCut) {
  FakeModel m([](const std::vector<int32_t>& h) { return h.size() < 12 ? int32_t("abc"[h.size() % 3]) : kImEnd; });
  Engine e(m, options(2));
  Outcome a, b;
  auto ra = request("Q:", 50, 1), rb = request("Q:", 50, 1);
  ra.stop_tokens = {kImEnd};
  rb.stop_tokens = {kImEnd};
  rb.stop_strings = {"bca"};
  auto fa = attach(ra, a), fb = attach(rb, b);
  e.submit(std::move(ra));
  e.submit(std::move(rb));
  fa.wait();
  fb.wait();
  EXPECT_EQ(a.result.finish, FinishReason::kStop);
  EXPECT_EQ(a.text(), "cabcabcabc");  // prompt is 2 tokens; 10 generated, then <|im_end|>
  EXPECT_EQ(a.result.completion_tokens, 10);
  EXPECT_EQ(b.result.finish, FinishReason::kStop);
  EXPECT_EQ(b.text(), "ca");  // "cabca": cut before the first "bca"
}

TEST(Engine, ThinkingBudgetInjectsWrapupThenAnswers) {
  FakeModel m(think_then_answer);
  Engine e(m, options(1));
  Outcome run;
  auto req = request("<q>", 100, 1);
  req.stop_tokens = {kImEnd};
  req.thinking.starts_open = true;
  req.thinking.budget = 5;
  req.thinking.sentence_grace = 3;
  req.thinking.answer_floor = 0;
  req.thinking.think_start_id = kThinkOpen;
  req.thinking.think_end_id = kThinkClose;
  req.thinking.wrapup_tokens = {'.', kThinkClose, '\n', '\n'};
  auto f = attach(req, run);
  e.submit(std::move(req));
  f.wait();
  // 5 budget + 3 grace tokens of "abc" (never a sentence end), then the 4
  // injected wrap-up tokens, then the model's answer.
  ASSERT_EQ(run.result.finish, FinishReason::kStop);
  const auto& ev = run.events;
  ASSERT_GE(ev.size(), 12u);
  for (int i = 0; i < 8; ++i) {
    EXPECT_FALSE(ev[i].injected) << i;
    EXPECT_TRUE(ev[i].in_reasoning) << i;
  }
  for (int i = 8; i < 12; ++i) EXPECT_TRUE(ev[i].injected) << i;
  EXPECT_EQ(ev[9].token, kThinkClose);
  EXPECT_TRUE(ev[9].in_reasoning);
  EXPECT_FALSE(ev[10].in_reasoning);
  EXPECT_TRUE(run.result.budget_hit);
  EXPECT_EQ(run.result.reasoning_tokens, 10);
  std::string answer;
  for (size_t i = 10; i < ev.size(); ++i) answer += ev[i].text;
  EXPECT_EQ(answer, "\n\nyz");  // the policy answers by distance from </think>: 2 -> 'y'
  EXPECT_EQ(run.result.completion_tokens, static_cast<int>(ev.size()));
}

TEST(Engine, AnswerFloorLeavesRoomToAnswer) {
  FakeModel m(think_then_answer);
  Engine e(m, options(1));
  Outcome run;
  auto req = request("<q>", 20, 1);
  req.stop_tokens = {kImEnd};
  req.thinking.starts_open = true;
  req.thinking.answer_floor = 8;  // thinking, wrap-up included, <= 20 - 8 = 12 tokens
  req.thinking.think_start_id = kThinkOpen;
  req.thinking.think_end_id = kThinkClose;
  req.thinking.wrapup_tokens = {'.', kThinkClose};
  auto f = attach(req, run);
  e.submit(std::move(req));
  f.wait();
  EXPECT_EQ(run.result.finish, FinishReason::kStop);
  EXPECT_TRUE(run.result.budget_hit);
  EXPECT_EQ(run.result.reasoning_tokens, 12);
  std::string answer;
  for (const auto& ev : run.events)
    if (!ev.in_reasoning) answer += ev.text;
  EXPECT_EQ(answer, "\nxyz");
}

TEST(Engine, NoBudgetModelClosesThinkItself) {
  FakeModel m([](const std::vector<int32_t>& h) {
    // Prompt is 3 tokens; think for 4 tokens, close, answer 'k', stop.
    const size_t g = h.size() - 3;
    return g < 4 ? int32_t('r') : g == 4 ? kThinkClose : g == 5 ? int32_t('k') : kImEnd;
  });
  Engine e(m, options(1));
  Outcome run;
  auto req = request("<q>", 100, 1);
  req.stop_tokens = {kImEnd};
  req.thinking.starts_open = true;
  req.thinking.think_end_id = kThinkClose;
  req.thinking.wrapup_tokens = {kThinkClose};
  auto f = attach(req, run);
  e.submit(std::move(req));
  f.wait();
  EXPECT_EQ(run.result.finish, FinishReason::kStop);
  EXPECT_FALSE(run.result.budget_hit);
  EXPECT_EQ(run.result.reasoning_tokens, 5);
  EXPECT_EQ(run.text(), "rrrr</think>k");
}

}  // namespace
}  // namespace qvl
