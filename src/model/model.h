// The text model as the engine sees it: a forward pass over a batch of tokens
// from several sequences at different positions, reading and writing a paged KV
// cache. Loading picks GGUF or an HF directory by looking at the path.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/kv_type.h"
#include "base/progress.h"
#include "input/chat_template/chat_template.h"
#include "input/tokenizer/tokenizer.h"
#include "model/config.h"
#include "runtime/numerics.h"

namespace qvl {

class ThreadPool;

// Paged KV cache: fixed-size blocks of kBlockTokens positions per layer, shared
// pool; each sequence owns a block table. K and V are stored as F16, or as Q8_0
// (--kv-type q8_0; head_dim must be a multiple of 32). Memory is committed as
// blocks are first written, not when the pool is made.
class KvCache {
 public:
  static constexpr int kBlockTokens = 32;
  static int64_t bytes_per_block(const TextConfig& cfg, KvType type = KvType::kF16);  // K + V over all layers
  KvCache(const TextConfig& cfg, int64_t n_blocks, KvType type = KvType::kF16);
  ~KvCache();

  int64_t free_blocks() const;         // allocatable: unused, or cached and idle (evicted on demand)
  int64_t used_blocks() const;         // held by at least one sequence
  int64_t cached_idle_blocks() const;  // of the free ones, those still holding a shared prefix
  int64_t total_blocks() const;
  KvType type() const;
  int new_sequence();                 // returns a seq id (slot); empty
  void free_sequence(int seq);        // releases its blocks (shared ones when their last holder goes)
  // Prefix sharing: attaches to the empty sequence `seq` the cached blocks whose
  // keys match keys[0..], in order, up to the first miss; returns how many (its
  // length becomes that many full blocks). Attached blocks are read-only: the
  // caller feeds from the first position after them.
  int64_t attach_prefix(int seq, const std::vector<std::string>& keys);
  // Offers block `index` of `seq` (full, written) for sharing under `key`.
  void publish_block(int seq, int64_t index, const std::string& key);
  bool reserve(int seq, int64_t n_tokens);  // grow to hold n_tokens positions; false if out of blocks
  int64_t length(int seq) const;      // tokens stored so far
  void truncate(int seq, int64_t n);  // forget positions >= n

  struct Impl;
  Impl* impl() const { return impl_.get(); }

 private:
  std::unique_ptr<Impl> impl_;
};

// One forward pass: tokens of several sequences. Token i of the batch belongs to
// sequence seq[i] and is stored at KV index kv_pos[i] (its index in that
// sequence); pos[i] is its (t, h, w) rotary position. Logits are produced for
// tokens with want_logits[i] set, in batch order.
struct Batch {
  std::vector<int32_t> tokens;
  std::vector<int32_t> seq;
  std::vector<int32_t> kv_pos;
  std::vector<std::array<int32_t, 3>> pos;
  std::vector<uint8_t> want_logits;
  // Optional embedding overrides (vision): for token i with embed_row[i] >= 0,
  // the input embedding is embeds[embed_row[i] * H ...] and DeepStack feature k
  // is deepstack[k][embed_row[i] * H ...], added after decoder layer k.
  std::vector<int32_t> embed_row;
  const float* embeds = nullptr;
  std::vector<const float*> deepstack;
};

class Model {
 public:
  virtual ~Model() = default;
  virtual const TextConfig& config() const = 0;
  virtual const Tokenizer& tokenizer() const = 0;
  virtual const std::string& chat_template_source() const = 0;  // "" if the file has none
  virtual const std::string& name() const = 0;                  // general.name or dir name
  // Writes logits [n_wanted, vocab_size] to `logits`. Every kv_pos must already be
  // reserved (KvCache::reserve); K/V of all batch tokens are stored before attention,
  // so token i sees positions [0, kv_pos[i]] of its sequence, and length(seq) becomes
  // max(length, kv_pos + 1). Not reentrant (one engine thread per model). A batch
  // that does not fit the model or the cache throws qvl::Error before any work.
  virtual void forward(const Batch& batch, KvCache& kv, float* logits, ThreadPool& pool) = 0;
};

// Per-model choices made at load time (two models in one process may differ).
struct ModelOptions {
  Numerics numerics = Numerics::kDefault;  // the text decoder's arithmetic profile
  // Load progress in decoder layers prepared (read and repacked): (done, total).
  // The app draws it (base/progress.h); the model layer never touches the terminal.
  ProgressFn progress;
};

// GGUF file or HF directory (config.json + *.safetensors + tokenizer.json).
std::unique_ptr<Model> load_model(const std::string& path, const ModelOptions& options = {});

}  // namespace qvl
