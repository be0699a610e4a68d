// The batching engine (engine layer): one thread per model owns the KV cache
// and runs continuous batching. Each step packs one decode token of every
// generating sequence plus prefill chunks of the others, up to max_batch_tokens,
// into a single Model::forward, then samples every sequence that produced logits.
// Does not parse JSON, render templates or tokenise prompts.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "engine/generator.h"

namespace qvl {

class Model;
class KvCache;
class ThreadPool;
struct Sequence;

struct EngineOptions {
  int max_batch_tokens = 512;  // tokens per forward pass (decode + prefill chunks)
  int max_running = 8;         // sequences in the batch at once
  int max_queue = 64;          // waiting requests; beyond it submit() throws "queue full"
  int context_length = 0;      // per sequence; 0 = min(max_position_embeddings, 8192)
  int64_t kv_tokens = 0;       // KV cache capacity over all sequences; 0 = context_length
  ThreadPool* pool = nullptr;  // nullptr = default_pool()
};

struct EngineStats {
  uint64_t steps = 0;           // forward passes
  uint64_t batched_tokens = 0;  // tokens over all forward passes
  uint64_t max_batch_seqs = 0;  // most sequences seen in one forward pass
};

class Engine : public Generator {
 public:
  Engine(Model& model, EngineOptions opts = {});
  ~Engine() override;  // unfinished requests end with FinishReason::kCancelled
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  uint64_t submit(GenerationRequest req) override;
  void cancel(uint64_t id) override;
  int queue_depth() const override { return queued_.load(); }
  int running() const override { return running_count_.load(); }
  int context_length() const override { return ctx_; }

  EngineStats stats() const;
  int64_t kv_free_blocks() const { return kv_free_.load(); }  // as of the last step; for tests and metrics

 private:
  void loop();
  void take_incoming();
  void admit();
  void step();
  void handle_logits(Sequence& s, const float* row);
  void emit(Sequence& s, int32_t token, TokenEvent ev);
  bool deliver(Sequence& s, std::vector<TokenEvent> events);
  void finish(Sequence& s, FinishReason why, const std::string& error = "");
  void reap();

  Model& model_;
  EngineOptions opts_;
  int ctx_ = 0;
  int64_t kv_blocks_total_ = 0;
  int64_t kv_blocks_committed_ = 0;  // engine thread only
  std::unique_ptr<KvCache> kv_;
  ThreadPool* pool_ = nullptr;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Sequence>> incoming_;  // guarded by mu_
  std::set<uint64_t> cancel_ids_;                   // guarded by mu_
  bool stop_ = false;                               // guarded by mu_
  uint64_t next_id_ = 1;                            // guarded by mu_
  EngineStats stats_;                               // guarded by mu_

  // Engine thread only.
  std::deque<std::unique_ptr<Sequence>> waiting_;
  std::vector<std::unique_ptr<Sequence>> running_seqs_;
  std::vector<float> logits_;
  std::vector<float> embeds_;
  std::vector<std::vector<float>> deepstack_;

  std::atomic<int> queued_{0};
  std::atomic<int> running_count_{0};
  std::atomic<int64_t> kv_free_{0};
  std::thread thread_;
};

}  // namespace qvl
