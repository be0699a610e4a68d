// Engine: construction (KV pool sizing), request validation on the caller's
// thread, the engine thread's loop (take requests and compute tasks, admit, one
// batched forward, sample) and the load snapshot. Admission, preemption and
// finishing live in engine_admit.cpp; the step itself in engine_step.cpp.
#include "engine/engine.h"

#include <algorithm>
#include <exception>

#include "base/compute_scheduler.h"
#include "base/error.h"
#include "base/log.h"
#include "engine/grammar_mask_overlap.h"
#include "engine/kv_budget.h"
#include "engine/prefix_keys.h"
#include "engine/sequence.h"
#include "model/model.h"

namespace qvl {

void Generator::run_compute(std::function<void(ThreadPool&)>) {
  QVL_FAIL("this generator has no compute threads to run a task on");
}

namespace {

int64_t blocks_for(int64_t n_tokens) { return (n_tokens + KvCache::kBlockTokens - 1) / KvCache::kBlockTokens; }

}  // namespace

Engine::Engine(Model& model, EngineOptions opts) : model_(model), opts_(opts) {
  const TextConfig& cfg = model.config();
  QVL_CHECK(opts.max_batch_tokens >= 1, "max_batch_tokens must be >= 1");
  QVL_CHECK(opts.max_running >= 1, "max_running must be >= 1");
  QVL_CHECK(opts.max_running_instruct >= 0 && opts.max_running_thinking >= 0, "per-class caps must be >= 0");
  QVL_CHECK(opts.max_queue >= 0, "max_queue must be >= 0");
  QVL_CHECK(cfg.vocab_size > 0, "model has an empty vocabulary");
  ctx_ = engine_context_length(cfg, opts.context_length);
  const int64_t kv_tokens =
      std::max<int64_t>(opts.kv_tokens > 0 ? opts.kv_tokens : int64_t(opts.max_running) * ctx_, ctx_);
  kv_blocks_total_ = blocks_for(kv_tokens);
  kv_ = std::make_unique<KvCache>(cfg, kv_blocks_total_, opts.kv_type);
  kv_free_.store(kv_->free_blocks());
  compute_ = opts.compute ? opts.compute : &default_scheduler();
  thread_ = std::thread([this] { loop(); });
}

Engine::~Engine() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (mask_overlap_)
    log_info("engine: grammar masks computed during the forward pass: ", mask_overlap_->ahead(),
             ", after it: ", mask_overlap_->behind());
}

uint64_t Engine::submit(GenerationRequest req) {
  const TextConfig& cfg = model_.config();
  const auto& p = req.prompt;
  const int n = static_cast<int>(p.tokens.size());
  QVL_CHECK(n > 0, "the prompt is empty");
  QVL_CHECK(n < ctx_, "the prompt is ", n, " tokens but the context holds ", ctx_);
  QVL_CHECK(req.max_tokens >= 1, "max_tokens must be >= 1, got ", req.max_tokens);
  for (int32_t t : p.tokens)
    QVL_CHECK(t >= 0 && t < cfg.vocab_size, "prompt token id ", t, " is outside the vocabulary (", cfg.vocab_size, ")");
  QVL_CHECK(p.positions.empty() || static_cast<int>(p.positions.size()) == n, "prompt has ", p.positions.size(),
            " positions for ", n, " tokens");
  const size_t h = static_cast<size_t>(cfg.hidden_size);
  for (const auto& e : p.embeddings) {
    QVL_CHECK(e.start >= 0 && e.n_tokens > 0 && e.start + e.n_tokens <= n, "embedding span [", e.start, ", ",
              e.start + e.n_tokens, ") lies outside the ", n, "-token prompt");
    QVL_CHECK(e.main.size() == e.n_tokens * h, "embedding span has ", e.main.size(), " values, expected ",
              e.n_tokens * h);
    QVL_CHECK(e.deepstack.size() == p.embeddings.front().deepstack.size(),
              "embedding spans disagree on the number of DeepStack layers");
    for (const auto& d : e.deepstack)
      QVL_CHECK(d.size() == e.n_tokens * h, "DeepStack feature has ", d.size(), " values, expected ", e.n_tokens * h);
  }
  // Built here so bad sampling parameters throw on the caller's thread.
  auto seq = std::make_unique<Sequence>(0, std::move(req), model_.tokenizer(), static_cast<int32_t>(cfg.vocab_size));
  if (opts_.prefix_cache) {  // hashing here keeps it off the engine thread
    for (const auto& e : seq->req.prompt.embeddings) seq->span_digests.push_back(embedding_digest(e));
    extend_block_keys(*seq, (n - 1) / KvCache::kBlockTokens);
  }
  uint64_t id;
  {
    std::lock_guard<std::mutex> lk(mu_);
    QVL_CHECK(!stop_, "the engine is shutting down");
    QVL_CHECK(queued_total_.load() < opts_.max_queue, "queue full (", opts_.max_queue, " requests waiting)");
    id = next_id_++;
    seq->id = id;
    seq->queued = true;
    count_queued(*seq, +1);
    incoming_.push_back(std::move(seq));
  }
  cv_.notify_all();
  return id;
}

void Engine::cancel(uint64_t id) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    cancel_ids_.insert(id);
  }
  cv_.notify_all();
}

void Engine::run_compute(std::function<void(ThreadPool&)> fn) {
  auto task = std::make_shared<ComputeTask>();
  task->fn = std::move(fn);
  std::future<void> done = task->done.get_future();
  {
    std::lock_guard<std::mutex> lk(mu_);
    QVL_CHECK(!stop_, "the engine is shutting down");
    tasks_.push_back(task);
  }
  cv_.notify_all();
  done.get();  // rethrows what fn threw
}

EngineStats Engine::stats() const {
  std::lock_guard<std::mutex> lk(mu_);
  return stats_;
}

GeneratorLoad Engine::load() const {
  GeneratorLoad l;
  for (int c = 0; c < kRequestClasses; ++c) {
    l.queued[c] = queued_[c].load();
    l.running[c] = running_[c].load();
  }
  l.kv_blocks_total = kv_blocks_total_;
  l.kv_blocks_used = kv_blocks_total_ - kv_free_.load();
  l.kv_block_tokens = KvCache::kBlockTokens;
  l.kv_block_bytes = KvCache::bytes_per_block(model_.config(), opts_.kv_type);
  l.kv_blocks_cached = kv_cached_.load();
  const EngineStats st = stats();
  l.preemptions = st.preemptions;
  l.prefix_query_tokens = st.prefix_query_tokens;
  l.prefix_hit_tokens = st.prefix_hit_tokens;
  l.steps = st.steps;
  l.max_batch_seqs = st.max_batch_seqs;
  return l;
}

void Engine::count_queued(const Sequence& s, int delta) {
  queued_[s.klass()].fetch_add(delta);
  queued_total_.fetch_add(delta);
}

void Engine::count_running(const Sequence& s, int delta) {
  running_[s.klass()].fetch_add(delta);
  running_total_.fetch_add(delta);
}

// One compute task (a vision encode) under its own lease, between two steps.
void Engine::run_one_task() {
  std::shared_ptr<ComputeTask> task;
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (tasks_.empty()) return;
    task = std::move(tasks_.front());
    tasks_.pop_front();
  }
  try {
    auto lease = compute_->acquire();
    task->fn(lease.pool());
    task->done.set_value();
  } catch (...) {
    task->done.set_exception(std::current_exception());
  }
}

void Engine::loop() {
  for (;;) {
    std::set<uint64_t> cancels;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] {
        return stop_ || !incoming_.empty() || !cancel_ids_.empty() || !tasks_.empty() || !running_seqs_.empty() ||
               !waiting_.empty();
      });
      if (stop_) break;
      for (auto& s : incoming_) waiting_.push_back(std::move(s));
      incoming_.clear();
      cancels.swap(cancel_ids_);
    }
    for (auto& s : waiting_)
      if (cancels.count(s->id)) finish(*s, FinishReason::kCancelled);
    for (auto& s : running_seqs_)
      if (cancels.count(s->id)) finish(*s, FinishReason::kCancelled);
    reap();
    run_one_task();
    admit();
    if (!running_seqs_.empty()) step();
    requeue_preempted();
    reap();
  }
  // Shutting down: everything unfinished ends as cancelled; pending tasks fail.
  std::deque<std::shared_ptr<ComputeTask>> tasks;
  {
    std::lock_guard<std::mutex> lk(mu_);
    for (auto& s : incoming_) waiting_.push_back(std::move(s));
    incoming_.clear();
    tasks.swap(tasks_);
  }
  for (auto& t : tasks) t->done.set_exception(std::make_exception_ptr(Error("the engine is shutting down")));
  for (auto& s : waiting_) finish(*s, FinishReason::kCancelled);
  for (auto& s : running_seqs_) finish(*s, FinishReason::kCancelled);
  reap();
}

}  // namespace qvl
