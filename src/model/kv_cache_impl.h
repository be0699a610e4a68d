// Storage behind KvCache (model layer, private to the model code): per layer, one
// pool of blocks laid out [block][kv head][kBlockTokens][row], as kernels::PagedKv
// expects; a row is head_dim F16 values, or head_dim / 32 Q8_0 blocks. The engine only uses the public KvCache API.
// The pools live in one anonymous mapping that the kernel backs with memory page
// by page on first write, so a pool sized for the whole --kv-memory budget costs
// only what sequences have actually filled (blocks are handed out lowest id first,
// so the touched part stays compact).
#pragma once
#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>
#include <vector>

#include "kernels/quant_blocks.h"
#include "model/model.h"

namespace qvl {

struct KvCache::Impl {
  int64_t n_layers = 0, n_head_kv = 0, head_dim = 0, n_blocks = 0;
  KvType type = KvType::kF16;
  int64_t row_bytes = 0;                   // one position of one KV head
  int64_t block_bytes = 0;                 // n_head_kv · kBlockTokens · row_bytes
  // A layer's K or V pool: n_blocks · block_bytes inside `mapping`.
  struct Pool {
    uint8_t* base = nullptr;
    uint16_t* data() const { return reinterpret_cast<uint16_t*>(base); }       // F16 pools
    BlockQ8_0* q8_0() const { return reinterpret_cast<BlockQ8_0*>(base); }     // Q8_0 pools
  };
  std::vector<Pool> k, v;                  // [n_layers]
  void* mapping = nullptr;                 // every pool, one mmap
  size_t mapping_bytes = 0;
  ~Impl();
  std::vector<int32_t> free_list;          // physical blocks not owned by any sequence, holding nothing reusable

  // Prefix sharing: a full block may carry a content key; sequences that start
  // with the same content attach the same physical block (refs counts them).
  // A keyed block nobody holds stays cached, in `idle` (least recently released
  // first), until it is attached again or evicted for a new allocation.
  std::vector<int32_t> refs;                        // per block
  std::vector<std::string> key_of;                  // per block; "" = none
  std::unordered_map<std::string, int32_t> by_key;  // key -> block
  std::list<int32_t> idle;                          // keyed blocks with refs == 0
  std::vector<std::list<int32_t>::iterator> idle_at;  // per block, valid while in idle
  std::vector<uint8_t> in_idle;

  int32_t take_block();        // from free_list, else evicts the oldest idle block; -1 if none
  void release_block(int32_t b);

  struct Seq {
    bool used = false;
    std::vector<int32_t> blocks;  // logical -> physical
    int64_t length = 0;
  };
  std::vector<Seq> seqs;

  Seq& seq(int id);
  // Row for (layer, seq, position, kv head) in the cache's type; the position must
  // be reserved. Cast to uint16_t (F16) or BlockQ8_0 (Q8_0).
  uint8_t* k_row(int64_t layer, const Seq& s, int64_t pos, int64_t head);
  uint8_t* v_row(int64_t layer, const Seq& s, int64_t pos, int64_t head);
};

}  // namespace qvl
