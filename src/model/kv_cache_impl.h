// Storage behind KvCache (model layer, private to the model code): per layer, one F16
// pool of blocks laid out [block][kv head][kBlockTokens][head_dim], as
// kernels::PagedKv expects. The engine only uses the public KvCache API.
// The pools live in one anonymous mapping that the kernel backs with memory page
// by page on first write, so a pool sized for the whole --kv-memory budget costs
// only what sequences have actually filled (blocks are handed out lowest id first,
// so the touched part stays compact).
#pragma once
#include <cstdint>
#include <vector>

#include "model/model.h"

namespace qvl {

struct KvCache::Impl {
  int64_t n_layers = 0, n_head_kv = 0, head_dim = 0, n_blocks = 0;
  int64_t block_elems = 0;                 // n_head_kv · kBlockTokens · head_dim
  // A layer's K or V pool: n_blocks · block_elems F16 values inside `mapping`.
  struct Pool {
    uint16_t* base = nullptr;
    uint16_t* data() const { return base; }
  };
  std::vector<Pool> k, v;                  // [n_layers]
  void* mapping = nullptr;                 // every pool, one mmap
  size_t mapping_bytes = 0;
  ~Impl();
  std::vector<int32_t> free_list;          // physical blocks not owned by any sequence

  struct Seq {
    bool used = false;
    std::vector<int32_t> blocks;  // logical -> physical
    int64_t length = 0;
  };
  std::vector<Seq> seqs;

  Seq& seq(int id);
  // F16 row for (layer, seq, position, kv head); the position must be reserved.
  uint16_t* k_row(int64_t layer, const Seq& s, int64_t pos, int64_t head);
  uint16_t* v_row(int64_t layer, const Seq& s, int64_t pos, int64_t head);
};

}  // namespace qvl
