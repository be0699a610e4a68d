// A tiny deterministic Model for engine tests: byte-level vocabulary (id b = byte
// b) plus <think>, </think>, <|im_end|>. Its logits depend on every token and
// position a sequence has fed so far, so wrong KV slots, positions or batch
// packing change the output. An optional policy forces the next token.
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/thread_pool.h"
#include "model/kv_cache_impl.h"
#include "model/model.h"

namespace qvl::testing {

constexpr int32_t kThinkOpen = 256, kThinkClose = 257, kImEnd = 258, kFakeVocab = 259;

// GPT-2's byte -> code point table, UTF-8 encoded: printable Latin-1 bytes map
// to themselves, the others to U+0100 onwards in byte order.
inline std::string byte_piece(int b) {
  static int next[256] = {};
  static bool init = false;
  if (!init) {
    int n = 0;
    for (int c = 0; c < 256; ++c) {
      const bool printable = (c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE && c <= 0xFF);
      next[c] = printable ? c : 256 + n++;
    }
    init = true;
  }
  const int cp = next[b];
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

inline TokenizerData fake_tokenizer_data() {
  TokenizerData d;
  for (int b = 0; b < 256; ++b) {
    d.tokens.push_back(byte_piece(b));
    d.token_types.push_back(TokenType::kNormal);
  }
  d.tokens.insert(d.tokens.end(), {"<think>", "</think>", "<|im_end|>"});
  d.token_types.insert(d.token_types.end(), {TokenType::kUserDefined, TokenType::kUserDefined, TokenType::kControl});
  d.eos_id = kImEnd;
  return d;
}

class FakeModel : public Model {
 public:
  // policy(history) -> forced next token, or -1 for the hash-based logits.
  using Policy = std::function<int32_t(const std::vector<int32_t>& history)>;

  explicit FakeModel(Policy policy = nullptr) : tok_(fake_tokenizer_data()), policy_(std::move(policy)) {
    cfg_.architecture = "qwen3";
    cfg_.vocab_size = kFakeVocab;
    cfg_.hidden_size = 4;
    cfg_.num_hidden_layers = 1;
    cfg_.num_attention_heads = 1;
    cfg_.num_key_value_heads = 1;
    cfg_.head_dim = 4;
    cfg_.intermediate_size = 4;
    cfg_.max_position_embeddings = 512;
  }

  const TextConfig& config() const override { return cfg_; }
  const Tokenizer& tokenizer() const override { return tok_; }
  const std::string& chat_template_source() const override { return empty_; }
  const std::string& name() const override { return name_; }

  void forward(const Batch& b, KvCache& kv, float* logits, ThreadPool& pool) override {
    ++calls_;
    // The "KV" of a position is its token and position, stored in the sequence's
    // physical block as a real model stores K/V: shared prefix blocks are read,
    // not recomputed, exactly as by the real model.
    KvCache::Impl& m = *kv.impl();
    for (size_t i = 0; i < b.tokens.size(); ++i) {
      auto& seq = m.seqs[b.seq[i]];
      const int32_t p = b.kv_pos[i];
      QVL_CHECK(p < static_cast<int32_t>(seq.blocks.size()) * KvCache::kBlockTokens, "fake model: position not reserved");
      auto& blk = blocks_[seq.blocks[p / KvCache::kBlockTokens]];
      blk[p % KvCache::kBlockTokens] = b.tokens[i] * 1000003LL + b.pos[i][0];
      seq.length = std::max<int64_t>(seq.length, p + 1);
      if (!b.want_logits[i]) continue;
      std::vector<int32_t> toks;
      uint64_t s = 1469598103934665603ULL;
      for (int32_t q = 0; q <= p; ++q) {
        const int64_t v = blocks_[seq.blocks[q / KvCache::kBlockTokens]][q % KvCache::kBlockTokens];
        QVL_CHECK(v >= 0, "fake model: KV gap at position ", q);
        s = (s ^ static_cast<uint64_t>(v)) * 1099511628211ULL;
        toks.push_back(static_cast<int32_t>(v / 1000003LL));
      }
      const int32_t forced = policy_ ? policy_(toks) : -1;
      // Through the pool, as a real model's matmuls are: engines sharing threads
      // must not trip over each other here.
      pool.parallel_for(kFakeVocab, 16, [&](int64_t v0, int64_t v1) {
        for (int64_t v = v0; v < v1; ++v) {
          uint64_t x = (s + static_cast<uint64_t>(v) * 0x9E3779B97F4A7C15ULL);
          x ^= x >> 29;
          x *= 0xBF58476D1CE4E5B9ULL;
          x ^= x >> 32;
          logits[v] = forced >= 0 ? (v == forced ? 20.0f : 0.0f) : static_cast<float>(x % 10000) / 2500.0f;
        }
      });
      logits += kFakeVocab;
    }
  }

  int calls() const { return calls_; }

 private:
  TextConfig cfg_;
  Tokenizer tok_;
  Policy policy_;
  std::string empty_, name_ = "fake";
  struct Block {
    int64_t v[KvCache::kBlockTokens];
    Block() { std::fill(v, v + KvCache::kBlockTokens, -1); }
    int64_t& operator[](int i) { return v[i]; }
  };
  std::map<int32_t, Block> blocks_;  // physical block -> stored values
  int calls_ = 0;
};

}  // namespace qvl::testing
