// Engine: one scheduling step (pack the batch, forward under a compute lease,
// sample) and what happens to each new token (thinking budget, stop rules,
// callbacks, finishing).
// Runs on the engine thread only.
#include <algorithm>
#include <exception>

#include "base/compute_scheduler.h"
#include "base/error.h"
#include "base/log.h"
#include "engine/engine.h"
#include "engine/grammar_mask_overlap.h"
#include "engine/sequence.h"
#include "model/model.h"

namespace qvl {

namespace {

struct Chunk {
  Sequence* seq;
  int begin, count;
  bool logits;  // the chunk reaches the end of the sequence's tokens
};

}  // namespace

void Engine::step() {
  // Decode tokens first (one per generating sequence keeps latency flat), then
  // prefill chunks (and injected wrap-ups): instruct sequences before thinking
  // ones, each class in admission order, with what is left of the budget.
  std::vector<Chunk> chunks;
  int budget = opts_.max_batch_tokens;
  for (int pass = 0; pass < 1 + kRequestClasses; ++pass) {
    for (auto& sp : running_seqs_) {
      Sequence& s = *sp;
      if (s.done || s.preempted || s.in_step || budget <= 0) continue;
      const int u = s.unfed();
      const bool decode = u == 1 && s.n_fed >= s.n_prompt;
      if (u <= 0 || (pass == 0) != decode) continue;
      if (pass > 0 && s.klass() != pass - 1) continue;
      const int take = std::min(u, budget);
      if (!ensure_blocks(s, s.n_fed + take)) continue;  // s was preempted: it waits for blocks
      s.in_step = true;
      chunks.push_back({&s, s.n_fed, take, take == u});
      budget -= take;
    }
  }
  for (const Chunk& c : chunks) c.seq->in_step = false;
  if (chunks.empty()) return;

  Batch b;
  const size_t h = static_cast<size_t>(model_.config().hidden_size);
  embeds_.clear();
  bool any_embed = false;
  int n_wanted = 0;
  for (const Chunk& c : chunks) {
    for (int i = c.begin; i < c.begin + c.count; ++i) {
      b.tokens.push_back(c.seq->tokens[i]);
      b.seq.push_back(c.seq->kv_seq);
      b.kv_pos.push_back(i);
      b.pos.push_back(c.seq->position(i));
      const bool want = c.logits && i == c.begin + c.count - 1;
      b.want_logits.push_back(want ? 1 : 0);
      n_wanted += want;
      const auto [span, row] = c.seq->embedding_of(i);
      if (span < 0) {
        b.embed_row.push_back(-1);
        continue;
      }
      const EmbeddingSpan& e = c.seq->req.prompt.embeddings[span];
      const int32_t out_row = static_cast<int32_t>(embeds_.size() / h);
      if (!any_embed) deepstack_.assign(e.deepstack.size(), {});
      any_embed = true;
      embeds_.insert(embeds_.end(), e.main.begin() + row * h, e.main.begin() + (row + 1) * h);
      for (size_t k = 0; k < e.deepstack.size() && k < deepstack_.size(); ++k)
        deepstack_[k].insert(deepstack_[k].end(), e.deepstack[k].begin() + row * h,
                             e.deepstack[k].begin() + (row + 1) * h);
      b.embed_row.push_back(out_row);
    }
  }
  if (any_embed) {
    b.embeds = embeds_.data();
    for (auto& d : deepstack_) b.deepstack.push_back(d.data());
  } else {
    b.embed_row.clear();
  }

  const size_t vocab = static_cast<size_t>(model_.config().vocab_size);
  logits_.resize(static_cast<size_t>(n_wanted) * vocab);
  std::vector<Sequence*> logit_seqs;
  for (const Chunk& c : chunks)
    if (c.logits) logit_seqs.push_back(c.seq);
  start_grammar_masks(logit_seqs);  // they run next to the forward pass
  try {
    auto lease = compute_->acquire();  // the threads are shared with the other engines
    model_.forward(b, *kv_, logits_.data(), lease.pool());
  } catch (const std::exception& e) {
    finish_grammar_masks();  // the helper writes into the sequences: done before they end
    log_error("engine: forward pass failed: ", e.what());
    for (const Chunk& c : chunks) finish(*c.seq, FinishReason::kError, e.what());
    return;
  }
  finish_grammar_masks();
  {
    std::lock_guard<std::mutex> lk(mu_);
    stats_.steps += 1;
    stats_.batched_tokens += b.tokens.size();
    stats_.max_batch_seqs = std::max<uint64_t>(stats_.max_batch_seqs, chunks.size());
  }
  const float* row = logits_.data();
  for (const Chunk& c : chunks) {
    c.seq->n_fed += c.count;
    publish_full_blocks(*c.seq);
    if (!c.logits) continue;
    handle_logits(*c.seq, row);
    row += vocab;
  }
}

// The sequences whose next token will be sampled under a grammar get their mask
// computed from the matcher's current state while the forward pass runs
// (docs/decisions/0017); handle_logits() computes it itself otherwise. The
// conditions mirror handle_logits(): nothing in between changes them.
void Engine::start_grammar_masks(const std::vector<Sequence*>& logit_seqs) {
  if (mask_overlap_) mask_overlap_->clear();
  for (Sequence* s : logit_seqs) {
    if (!s->req.grammar || s->done || s->thinking.should_inject() || s->thinking.in_think()) continue;
    if (!mask_overlap_) mask_overlap_ = std::make_unique<GrammarMaskOverlap>(GrammarMaskOverlap::enabled_by_env());
    if (!mask_overlap_->enabled()) return;
    const size_t words = (static_cast<size_t>(model_.config().vocab_size) + 63) / 64;
    s->grammar_mask.assign(std::max(words, s->req.grammar->trie().mask_words()), 0);
    s->grammar_mask_ready = true;
    s->grammar_mask_error.clear();
    mask_overlap_->add(s->req.grammar.get(), s->grammar_mask.data(), &s->grammar_mask_error);
  }
  if (mask_overlap_) mask_overlap_->begin();
}

void Engine::finish_grammar_masks() {
  if (!mask_overlap_ || mask_overlap_->jobs() == 0) return;
  mask_overlap_->finish();
}

void Engine::handle_logits(Sequence& s, const float* row) {
  if (s.done) return;
  if (s.completion == 0) s.first_token_ms = s.since_submit.ms();
  if (s.thinking.should_inject()) {
    for (int32_t t : s.thinking.take_wrapup()) {
      TokenEvent ev;
      ev.injected = true;
      emit(s, t, std::move(ev));
      if (s.done) return;
    }
    return;
  }
  TokenEvent ev;
  const uint64_t* allowed = nullptr;
  grammar::Matcher* g = s.req.grammar.get();
  if (g && !s.thinking.in_think()) {  // the constraint starts after </think>
    // Logits past the tokenizer's vocabulary (padding) stay disallowed.
    const size_t words = (static_cast<size_t>(model_.config().vocab_size) + 63) / 64;
    if (s.grammar_mask_ready) {  // computed during the forward pass
      s.grammar_mask_ready = false;
      if (!s.grammar_mask_error.empty()) {
        finish(s, FinishReason::kError, "grammar: " + s.grammar_mask_error);
        return;
      }
    } else {
      s.grammar_mask.assign(std::max(words, g->trie().mask_words()), 0);
      try {
        g->fill_next_token_mask(s.grammar_mask.data());
      } catch (const Error& e) {  // e.g. the grammar's state limit: this request ends, the engine goes on
        finish(s, FinishReason::kError, std::string("grammar: ") + e.what());
        return;
      }
    }
    if (std::all_of(s.grammar_mask.begin(), s.grammar_mask.end(), [](uint64_t w) { return w == 0; })) {
      finish(s, FinishReason::kError, "the grammar allows no next token");
      return;
    }
    allowed = s.grammar_mask.data();
  }
  // Tokens left for this output, this one included: the grammar must be complete within them.
  const int64_t budget = std::min<int64_t>(s.req.max_tokens - s.completion, ctx_ - static_cast<int64_t>(s.tokens.size()));
  bool narrowed = false;
  if (allowed) narrowed = s.steering.narrow(*g, budget, s.grammar_mask.data(), false);
  int32_t t = s.sampler.sample(row, &ev, allowed);
  bool advanced = true;
  if (allowed) {
    try {
      advanced = g->accept_token(t);
      if (advanced && !s.steering.still_fits(*g, t, narrowed, budget - 1)) {
        // The free choice left too few tokens to finish: take it back and choose on a completing path.
        g->rollback(1);
        if (s.steering.narrow(*g, budget, s.grammar_mask.data(), true)) {
          ev = TokenEvent{};
          t = s.sampler.sample(row, &ev, allowed);
          advanced = g->accept_token(t) && s.steering.still_fits(*g, t, true, budget - 1);
        } else {
          advanced = g->accept_token(t);  // no completion exists at all: keep the grammar's own choice
        }
      }
    } catch (const Error&) {
      advanced = false;
    }
  }
  if (!advanced) {
    finish(s, FinishReason::kError, "internal: sampled token outside the grammar mask");
    return;
  }
  const auto& stops = s.req.stop_tokens;
  if (std::find(stops.begin(), stops.end(), t) != stops.end()) {
    finish(s, FinishReason::kStop);
    return;
  }
  emit(s, t, std::move(ev));
}

void Engine::emit(Sequence& s, int32_t t, TokenEvent ev) {
  s.tokens.push_back(t);
  s.sampler.accept(t, true);
  s.completion += 1;
  ev.token = t;
  ev.in_reasoning = s.thinking.on_token(t, ends_sentence(model_.tokenizer().token_bytes(t)));
  ev.text = s.decoder.push(t);
  if (!deliver(s, s.stops.push(std::move(ev)))) {
    finish(s, FinishReason::kCancelled);
    return;
  }
  if (s.stops.matched()) {
    finish(s, FinishReason::kStop);
  } else if (s.completion >= s.req.max_tokens || static_cast<int>(s.tokens.size()) >= ctx_) {
    finish(s, FinishReason::kLength);
  }
}

// Runs on_token for each event; false when the client asked to stop (or threw).
bool Engine::deliver(Sequence& s, std::vector<TokenEvent> events) {
  if (!s.req.on_token) return true;
  for (const auto& e : events) {
    try {
      if (!s.req.on_token(e)) return false;
    } catch (const std::exception& ex) {
      log_warn("engine: on_token callback threw: ", ex.what());
      return false;
    }
  }
  return true;
}

void Engine::finish(Sequence& s, FinishReason why, const std::string& error) {
  if (s.done) return;
  s.done = true;
  if (why == FinishReason::kStop || why == FinishReason::kLength) deliver(s, s.stops.flush());
  if (s.kv_seq >= 0) {
    kv_->free_sequence(s.kv_seq);
    s.kv_seq = -1;
  }
  // Before on_done: a caller that sees the end sees the blocks back and the gauges moved.
  kv_free_.store(kv_->free_blocks());
  kv_cached_.store(kv_->cached_idle_blocks());
  if (s.queued) count_queued(s, -1);
  else count_running(s, -1);
  s.queued = false;
  GenerationResult r;
  r.finish = why;
  r.error = error;
  r.prompt_tokens = s.n_prompt;
  r.cached_tokens = s.cached_tokens;
  r.completion_tokens = s.completion;
  r.reasoning_tokens = s.thinking.reasoning_tokens();
  r.budget_hit = s.thinking.budget_hit();
  const double now = s.since_submit.ms();
  r.queue_ms = s.queue_ms;
  if (s.completion > 0) {
    r.prefill_ms = s.first_token_ms - s.queue_ms;
    r.decode_ms = now - s.first_token_ms;
  } else {
    r.prefill_ms = std::max(0.0, now - s.queue_ms);
  }
  if (s.req.on_done) {
    try {
      s.req.on_done(r);
    } catch (const std::exception& ex) {
      log_warn("engine: on_done callback threw: ", ex.what());
    }
  }
}

}  // namespace qvl
