// Engine: the engine thread's loop (take requests, admit, one batched forward,
// sample), request validation on the caller's thread, and finishing requests.
// KV admission is by reservation: a sequence is admitted only when blocks for
// min(prompt + max_tokens, context) are uncommitted, so a running sequence can
// never run out of KV blocks and nothing ever needs preempting.
#include "engine/engine.h"

#include <algorithm>
#include <exception>

#include "base/error.h"
#include "base/log.h"
#include "base/thread_pool.h"
#include "engine/sequence.h"
#include "model/model.h"

namespace qvl {

namespace {

int64_t blocks_for(int64_t n_tokens) { return (n_tokens + KvCache::kBlockTokens - 1) / KvCache::kBlockTokens; }

}  // namespace

Engine::Engine(Model& model, EngineOptions opts) : model_(model), opts_(opts) {
  const TextConfig& cfg = model.config();
  QVL_CHECK(opts.max_batch_tokens >= 1, "max_batch_tokens must be >= 1");
  QVL_CHECK(opts.max_running >= 1, "max_running must be >= 1");
  QVL_CHECK(opts.max_queue >= 0, "max_queue must be >= 0");
  QVL_CHECK(cfg.vocab_size > 0, "model has an empty vocabulary");
  const int64_t max_pos = cfg.max_position_embeddings > 0 ? cfg.max_position_embeddings : 8192;
  ctx_ = static_cast<int>(opts.context_length > 0 ? std::min<int64_t>(opts.context_length, max_pos)
                                                  : std::min<int64_t>(max_pos, 8192));
  const int64_t kv_tokens = std::max<int64_t>(opts.kv_tokens, ctx_);
  kv_blocks_total_ = blocks_for(kv_tokens);
  kv_ = std::make_unique<KvCache>(cfg, kv_blocks_total_);
  kv_free_.store(kv_->free_blocks());
  pool_ = opts.pool ? opts.pool : &default_pool();
  thread_ = std::thread([this] { loop(); });
}

Engine::~Engine() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
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
  uint64_t id;
  {
    std::lock_guard<std::mutex> lk(mu_);
    QVL_CHECK(!stop_, "the engine is shutting down");
    QVL_CHECK(queued_.load() < opts_.max_queue, "queue full (", opts_.max_queue, " requests waiting)");
    id = next_id_++;
    seq->id = id;
    incoming_.push_back(std::move(seq));
    queued_.fetch_add(1);
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

EngineStats Engine::stats() const {
  std::lock_guard<std::mutex> lk(mu_);
  return stats_;
}

void Engine::loop() {
  for (;;) {
    std::set<uint64_t> cancels;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] {
        return stop_ || !incoming_.empty() || !cancel_ids_.empty() || !running_seqs_.empty() || !waiting_.empty();
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
    admit();
    if (!running_seqs_.empty()) step();
    reap();
  }
  // Shutting down: everything unfinished ends as cancelled.
  {
    std::lock_guard<std::mutex> lk(mu_);
    for (auto& s : incoming_) waiting_.push_back(std::move(s));
    incoming_.clear();
  }
  for (auto& s : waiting_) finish(*s, FinishReason::kCancelled);
  for (auto& s : running_seqs_) finish(*s, FinishReason::kCancelled);
  reap();
}

void Engine::admit() {
  while (!waiting_.empty() && static_cast<int>(running_seqs_.size()) < opts_.max_running) {
    Sequence& s = *waiting_.front();
    const int64_t need = blocks_for(std::min<int64_t>(static_cast<int64_t>(s.n_prompt) + s.req.max_tokens, ctx_));
    if (kv_blocks_committed_ + need > kv_blocks_total_) break;  // FIFO: wait for blocks to come back
    s.kv_seq = kv_->new_sequence();
    s.committed_blocks = need;
    kv_blocks_committed_ += need;
    s.queue_ms = s.since_submit.ms();
    running_seqs_.push_back(std::move(waiting_.front()));
    waiting_.pop_front();
    queued_.fetch_sub(1);
    running_count_.fetch_add(1);
  }
}

// Removes finished sequences from the waiting and running lists.
void Engine::reap() {
  auto gone = [](const std::unique_ptr<Sequence>& s) { return s->done; };
  const size_t before = running_seqs_.size();
  running_seqs_.erase(std::remove_if(running_seqs_.begin(), running_seqs_.end(), gone), running_seqs_.end());
  running_count_.fetch_sub(static_cast<int>(before - running_seqs_.size()));
  const size_t wbefore = waiting_.size();
  waiting_.erase(std::remove_if(waiting_.begin(), waiting_.end(), gone), waiting_.end());
  queued_.fetch_sub(static_cast<int>(wbefore - waiting_.size()));
  kv_free_.store(kv_->free_blocks());
}

}  // namespace qvl
