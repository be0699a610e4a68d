// Storage behind KvCache (model layer, private to the model code): per layer, one F16
// pool of blocks laid out [block][kv head][kBlockTokens][head_dim], as
// kernels::PagedKv expects. The engine only uses the public KvCache API.
#pragma once
#include <cstdint>
#include <vector>

#include "model/model.h"

namespace qvl {

struct KvCache::Impl {
  int64_t n_layers = 0, n_head_kv = 0, head_dim = 0, n_blocks = 0;
  int64_t block_elems = 0;                 // n_head_kv · kBlockTokens · head_dim
  std::vector<std::vector<uint16_t>> k, v; // [n_layers][n_blocks · block_elems] F16
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
