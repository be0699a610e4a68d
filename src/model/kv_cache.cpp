// Paged KV cache bookkeeping (model layer): a free list of fixed-size blocks, a
// block table per sequence, and reference-counted sharing of full blocks by
// content key (the engine computes the keys and decides what to share).
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/error.h"
#include "model/kv_cache_impl.h"

namespace qvl {

KvCache::Impl::~Impl() {
  if (mapping) munmap(mapping, mapping_bytes);
}

namespace {

int64_t row_bytes_of(KvType type, int64_t head_dim) {
  if (type == KvType::kQ8_0) return head_dim / kQK * int64_t(sizeof(BlockQ8_0));
  return head_dim * int64_t(sizeof(uint16_t));
}

}  // namespace

int64_t KvCache::bytes_per_block(const TextConfig& cfg, KvType type) {
  return 2 /*K and V*/ * row_bytes_of(type, cfg.head_dim) * cfg.num_hidden_layers * cfg.num_key_value_heads *
         kBlockTokens;
}

KvCache::Impl::Seq& KvCache::Impl::seq(int id) {
  QVL_CHECK(id >= 0 && id < int(seqs.size()) && seqs[id].used, "kv cache: unknown sequence ", id);
  return seqs[id];
}

uint8_t* KvCache::Impl::k_row(int64_t layer, const Seq& s, int64_t pos, int64_t head) {
  const int64_t b = s.blocks[pos / kBlockTokens];
  return k[layer].base + b * block_bytes + (head * kBlockTokens + pos % kBlockTokens) * row_bytes;
}

uint8_t* KvCache::Impl::v_row(int64_t layer, const Seq& s, int64_t pos, int64_t head) {
  const int64_t b = s.blocks[pos / kBlockTokens];
  return v[layer].base + b * block_bytes + (head * kBlockTokens + pos % kBlockTokens) * row_bytes;
}

KvCache::KvCache(const TextConfig& cfg, int64_t n_blocks, KvType type) : impl_(std::make_unique<Impl>()) {
  QVL_CHECK(n_blocks > 0, "kv cache: need at least one block, got ", n_blocks);
  QVL_CHECK(type != KvType::kQ8_0 || cfg.head_dim % kQK == 0, "kv cache: --kv-type q8_0 needs a head_dim that is a ",
            "multiple of ", kQK, "; this model's is ", cfg.head_dim, " (use f16)");
  Impl& m = *impl_;
  m.n_layers = cfg.num_hidden_layers;
  m.n_head_kv = cfg.num_key_value_heads;
  m.head_dim = cfg.head_dim;
  m.n_blocks = n_blocks;
  m.type = type;
  m.row_bytes = row_bytes_of(type, m.head_dim);
  m.block_bytes = m.n_head_kv * kBlockTokens * m.row_bytes;
  QVL_CHECK(m.n_layers > 0 && m.block_bytes > 0, "kv cache: model has no layers or KV heads");
  const size_t pool_bytes = size_t(n_blocks * m.block_bytes);
  m.mapping_bytes = size_t(2 * m.n_layers) * pool_bytes;
  // MAP_NORESERVE: address space now, memory when a block is first written (zero-filled).
  m.mapping = mmap(nullptr, m.mapping_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m.mapping == MAP_FAILED) {
    m.mapping = nullptr;
    QVL_FAIL("kv cache: cannot map ", m.mapping_bytes >> 20, " MiB for ", n_blocks, " blocks: ", std::strerror(errno));
  }
  auto* base = static_cast<uint8_t*>(m.mapping);
  m.k.resize(m.n_layers);
  m.v.resize(m.n_layers);
  for (int64_t l = 0; l < m.n_layers; ++l) {
    m.k[l].base = base + size_t(2 * l) * pool_bytes;
    m.v[l].base = base + size_t(2 * l + 1) * pool_bytes;
  }
  // Hand out low block ids first (pop from the back).
  for (int64_t b = n_blocks - 1; b >= 0; --b) m.free_list.push_back(int32_t(b));
  m.refs.assign(size_t(n_blocks), 0);
  m.key_of.assign(size_t(n_blocks), std::string());
  m.idle_at.resize(size_t(n_blocks));
  m.in_idle.assign(size_t(n_blocks), 0);
}

int32_t KvCache::Impl::take_block() {
  int32_t b = -1;
  if (!free_list.empty()) {
    b = free_list.back();
    free_list.pop_back();
  } else if (!idle.empty()) {  // evict the least recently released cached block
    b = idle.front();
    idle.pop_front();
    in_idle[b] = 0;
    by_key.erase(key_of[b]);
    key_of[b].clear();
  } else {
    return -1;
  }
  refs[b] = 1;
  return b;
}

void KvCache::Impl::release_block(int32_t b) {
  if (--refs[b] > 0) return;
  if (key_of[b].empty()) {
    free_list.push_back(b);
  } else {
    idle.push_back(b);
    idle_at[b] = std::prev(idle.end());
    in_idle[b] = 1;
  }
}

KvCache::~KvCache() = default;

int64_t KvCache::free_blocks() const { return int64_t(impl_->free_list.size() + impl_->idle.size()); }
int64_t KvCache::cached_idle_blocks() const { return int64_t(impl_->idle.size()); }
int64_t KvCache::used_blocks() const { return impl_->n_blocks - free_blocks(); }
int64_t KvCache::total_blocks() const { return impl_->n_blocks; }
KvType KvCache::type() const { return impl_->type; }

int KvCache::new_sequence() {
  auto& seqs = impl_->seqs;
  for (size_t i = 0; i < seqs.size(); ++i) {
    if (!seqs[i].used) {
      seqs[i] = Impl::Seq{true, {}, 0};
      return int(i);
    }
  }
  seqs.push_back(Impl::Seq{true, {}, 0});
  return int(seqs.size() - 1);
}

void KvCache::free_sequence(int id) {
  Impl::Seq& s = impl_->seq(id);
  // Last block first, so a later sequence's allocations reuse the same pages.
  for (auto it = s.blocks.rbegin(); it != s.blocks.rend(); ++it) impl_->release_block(*it);
  s = Impl::Seq{};
}

int64_t KvCache::attach_prefix(int id, const std::vector<std::string>& keys) {
  Impl& m = *impl_;
  Impl::Seq& s = m.seq(id);
  QVL_CHECK(s.blocks.empty(), "kv cache: attach_prefix needs an empty sequence");
  for (const std::string& k : keys) {
    auto it = m.by_key.find(k);
    if (it == m.by_key.end()) break;
    const int32_t b = it->second;
    if (m.in_idle[b]) {
      m.idle.erase(m.idle_at[b]);
      m.in_idle[b] = 0;
    }
    ++m.refs[b];
    s.blocks.push_back(b);
  }
  s.length = int64_t(s.blocks.size()) * kBlockTokens;
  return int64_t(s.blocks.size());
}

void KvCache::publish_block(int id, int64_t index, const std::string& key) {
  Impl& m = *impl_;
  Impl::Seq& s = m.seq(id);
  QVL_CHECK(index >= 0 && index < int64_t(s.blocks.size()) && s.length >= (index + 1) * kBlockTokens,
            "kv cache: block ", index, " of sequence ", id, " is not full");
  const int32_t b = s.blocks[size_t(index)];
  if (!m.key_of[b].empty() || m.by_key.count(key)) return;  // already shared, or another copy is
  m.key_of[b] = key;
  m.by_key.emplace(key, b);
}

bool KvCache::reserve(int id, int64_t n_tokens) {
  Impl::Seq& s = impl_->seq(id);
  const int64_t need = (n_tokens + kBlockTokens - 1) / kBlockTokens - int64_t(s.blocks.size());
  if (need <= 0) return true;
  if (need > free_blocks()) return false;
  for (int64_t i = 0; i < need; ++i) s.blocks.push_back(impl_->take_block());
  return true;
}

int64_t KvCache::length(int id) const { return impl_->seq(id).length; }

void KvCache::truncate(int id, int64_t n) {
  Impl::Seq& s = impl_->seq(id);
  QVL_CHECK(n >= 0, "kv cache: negative truncate length ", n);
  s.length = std::min(s.length, n);
  const size_t keep = size_t((n + kBlockTokens - 1) / kBlockTokens);
  while (s.blocks.size() > keep) {
    impl_->release_block(s.blocks.back());
    s.blocks.pop_back();
  }
}

}  // namespace qvl
