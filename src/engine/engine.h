// The batching engine (engine layer): one thread per model owns the KV cache
// and runs continuous batching. Each step packs one decode token of every
// generating sequence plus prefill chunks of the others, up to max_batch_tokens,
// into a single Model::forward, then samples every sequence that produced logits.
// Does not parse JSON, render templates or tokenise prompts.
//
// KV memory is a shared pool of blocks handed out as sequences grow: admission
// needs only the prompt's blocks (never max_tokens), so many sequences decode
// together. When a growing sequence finds the pool empty, the newest running
// sequence (thinking before instruct) is preempted: its blocks are freed and it
// returns to the head of the queue, to be recomputed from its tokens when blocks
// come back (docs/decisions/0005-kv-preemption-by-recompute.md).
//
// Scheduling classes (RequestClass): waiting instruct requests are admitted
// before thinking ones, each class may be capped (max_running_thinking keeps
// slots free for instruct), instruct prompts are prefilled first within a step.
//
// Prefix caching: full blocks are keyed by content (prefix_keys.h) and shared
// between sequences; an admitted sequence starts feeding after the longest cached
// prefix of its tokens (always leaving its last token to compute).
//
// Tensors run only on the engine thread, each step under a lease from the
// ComputeScheduler that every engine of the process shares.
#pragma once
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "base/kv_type.h"
#include "engine/generator.h"

namespace qvl {

class Model;
class KvCache;
class ComputeScheduler;
struct Sequence;
class GrammarMaskOverlap;

struct EngineOptions {
  int max_batch_tokens = 512;  // tokens per forward pass (decode + prefill chunks)
  int max_running = 8;         // sequences in the batch at once, all classes
  // Per-class caps on running sequences (0 = max_running). A thinking cap below
  // max_running keeps slots open for instruct requests.
  int max_running_instruct = 0;
  int max_running_thinking = 0;
  int max_queue = 64;          // waiting requests; beyond it submit() throws "queue full"
  int context_length = 0;      // per sequence; 0 = min(max_position_embeddings, 8192)
  // KV pool capacity in tokens over all sequences; 0 = max_running × context.
  // Raised to one context if smaller (a lone sequence must always fit).
  int64_t kv_tokens = 0;
  ComputeScheduler* compute = nullptr;  // nullptr = default_scheduler()
  bool prefix_cache = true;  // share full KV blocks of equal prefixes between requests
  KvType kv_type = KvType::kF16;  // element type of the KV pool (--kv-type)
};

struct EngineStats {
  uint64_t steps = 0;           // forward passes
  uint64_t batched_tokens = 0;  // tokens over all forward passes
  uint64_t max_batch_seqs = 0;  // most sequences seen in one forward pass
  uint64_t preemptions = 0;     // sequences preempted (KV dropped, recomputed later)
  uint64_t prefix_query_tokens = 0, prefix_hit_tokens = 0;  // prompt tokens looked up / found cached
};

class Engine : public Generator {
 public:
  Engine(Model& model, EngineOptions opts = {});
  ~Engine() override;  // unfinished requests end with FinishReason::kCancelled
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  uint64_t submit(GenerationRequest req) override;
  void cancel(uint64_t id) override;
  int queue_depth() const override { return queued_total_.load(); }
  int running() const override { return running_total_.load(); }
  int context_length() const override { return ctx_; }
  GeneratorLoad load() const override;
  void run_compute(std::function<void(ThreadPool&)> fn) override;

  EngineStats stats() const;
  int64_t kv_free_blocks() const { return kv_free_.load(); }  // as of the last step; for tests and metrics
  int64_t kv_total_blocks() const { return kv_blocks_total_; }

 private:
  struct ComputeTask {
    std::function<void(ThreadPool&)> fn;
    std::promise<void> done;
  };

  void loop();
  void run_one_task();
  void admit();
  Sequence* next_admissible();
  bool ensure_blocks(Sequence& s, int64_t n_tokens);
  void preempt(Sequence& s);
  void attach_cached_prefix(Sequence& s);
  void publish_full_blocks(Sequence& s);
  void requeue_preempted();
  void step();
  void handle_logits(Sequence& s, const float* row);
  void emit(Sequence& s, int32_t token, TokenEvent ev);
  bool deliver(Sequence& s, std::vector<TokenEvent> events);
  void finish(Sequence& s, FinishReason why, const std::string& error = "");
  void reap();
  void count_queued(const Sequence& s, int delta);
  void count_running(const Sequence& s, int delta);
  int cap_of(int klass) const;

  Model& model_;
  EngineOptions opts_;
  int ctx_ = 0;
  int64_t kv_blocks_total_ = 0;
  std::unique_ptr<KvCache> kv_;
  ComputeScheduler* compute_ = nullptr;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Sequence>> incoming_;     // guarded by mu_
  std::set<uint64_t> cancel_ids_;                      // guarded by mu_
  std::deque<std::shared_ptr<ComputeTask>> tasks_;     // guarded by mu_
  bool stop_ = false;                                  // guarded by mu_
  uint64_t next_id_ = 1;                               // guarded by mu_
  EngineStats stats_;                                  // guarded by mu_

  // Engine thread only.
  std::deque<std::unique_ptr<Sequence>> waiting_;      // preempted ones at the front
  std::vector<std::unique_ptr<Sequence>> running_seqs_;  // in admission order
  uint64_t admissions_ = 0;
  std::vector<float> logits_;
  std::vector<float> embeds_;
  std::vector<std::vector<float>> deepstack_;
  std::unique_ptr<GrammarMaskOverlap> mask_overlap_;  // made at the first constrained step
  void start_grammar_masks(const std::vector<Sequence*>& logit_seqs);
  void finish_grammar_masks();

  std::atomic<int> queued_total_{0}, running_total_{0};
  std::array<std::atomic<int>, kRequestClasses> queued_{}, running_{};
  std::atomic<int64_t> kv_free_{0}, kv_cached_{0};
  std::thread thread_;
};

}  // namespace qvl
