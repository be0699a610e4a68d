// Forward pass of the Qwen3 / Qwen3-VL text decoder (model layer). One call runs a
// mixed batch (prefill chunks and decode tokens of many sequences) through every
// layer, writing K/V into the paged cache before attending, so a prefill chunk
// sees itself causally. Matches HF `Qwen3VLTextDecoderLayer` step by step.
#include "model/qwen3vl/text_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "base/error.h"
#include "base/fp16.h"
#include "base/thread_pool.h"
#include "kernels/ggml_scalar.h"
#include "kernels/ref/quant_ref.h"
#include "model/kv_cache_impl.h"
#include "model/qwen3vl/linear.h"
#include "model/qwen3vl/tensor_dump.h"
#include "runtime/ops.h"
#include "runtime/repack.h"

namespace qvl {
namespace {

// Names follow llama.cpp's graph callbacks so dumps line up (tensor_dump.h).
void dump(const char* name, int layer, const std::vector<float>& v, int64_t rows, int64_t cols) {
  if (tensor_dump_enabled()) tensor_dump(name, layer, v.data(), rows, cols);
}

// The ggml scalar-build profile's RoPE, attention and SwiGLU (kernels/ggml_scalar.h);
// the default profile goes through runtime/ops.h instead.
void rope_ggml_scalar(float* q, int nh, float* k, int nkv, const std::vector<std::array<int32_t, 3>>& pos,
                      const kernels::RopeParams& p, ThreadPool& pool) {
  const int d = p.head_dim;
  pool.parallel_for(int64_t(pos.size()), 4, [&](int64_t b, int64_t e) {
    std::vector<float> cs(static_cast<size_t>(d));
    for (int64_t i = b; i < e; ++i) {
      kernels::rope_cos_sin(p, pos[size_t(i)], cs.data(), cs.data() + d / 2);
      kernels::rope_apply_ggml_scalar(q + i * nh * d, nh, d, cs.data(), cs.data() + d / 2);
      kernels::rope_apply_ggml_scalar(k + i * nkv * d, nkv, d, cs.data(), cs.data() + d / 2);
    }
  });
}

// llama.cpp's flash attention takes its tiled path when the micro-batch has 64 or
// more query tokens (one sequence per micro-batch, as for `single`).
void attention_ggml_scalar(const float* q, const std::vector<kernels::PagedKv>& kv, const std::vector<int32_t>& seq,
                           int nh, float scale, float* out, ThreadPool& pool) {
  const int nkv = kv[0].n_head_kv, d = kv[0].head_dim, group = nh / nkv;
  std::vector<int64_t> per_seq;
  for (int32_t s : seq) {
    if (s >= int32_t(per_seq.size())) per_seq.resize(size_t(s) + 1, 0);
    ++per_seq[size_t(s)];
  }
  pool.parallel_for(int64_t(kv.size()) * nkv, 1, [&](int64_t b, int64_t e) {
    std::vector<float> scratch(size_t(std::max(2 * d, 64)));
    for (int64_t w = b; w < e; ++w) {
      const int64_t i = w / nkv;
      const int h = int(w % nkv);
      const int64_t off = (i * nh + int64_t(h) * group) * d;
      if (per_seq[size_t(seq[size_t(i)])] >= 64)
        kernels::attention_ggml_scalar_tiled(q + off, group, h, kv[size_t(i)], scale, out + off, scratch.data());
      else
        kernels::attention_ggml_scalar(q + off, group, h, kv[size_t(i)], scale, out + off, scratch.data());
    }
  });
}

}  // namespace

Tensor expert_slice(const Tensor& stacked, int64_t e) {
  Tensor t = stacked;
  t.shape = {stacked.shape[1], stacked.shape[2]};
  t.data = static_cast<const uint8_t*>(stacked.data) + size_t(e) * size_t(stacked.shape[1]) * t.row_size();
  if (stacked.packed)
    t.packed = static_cast<const uint8_t*>(stacked.packed) + size_t(e) * repacked_bytes(t.dtype, t.shape[0], t.shape[1]);
  return t;
}

Qwen3TextModel::Qwen3TextModel(TextConfig cfg, TextWeights w, Tokenizer tok, std::string chat_template,
                               std::string name)
    : cfg_(std::move(cfg)), w_(std::move(w)), tok_(std::move(tok)), template_(std::move(chat_template)),
      name_(std::move(name)) {}

void Qwen3TextModel::check_batch(const Batch& b, KvCache& kv) const {
  const size_t n = b.tokens.size();
  QVL_CHECK(b.seq.size() == n && b.kv_pos.size() == n && b.pos.size() == n && b.want_logits.size() == n,
            "batch: tokens, seq, kv_pos, pos and want_logits must have the same length");
  QVL_CHECK(b.embed_row.empty() || b.embed_row.size() == n, "batch: embed_row must be empty or one per token");
  const KvCache::Impl& m = *kv.impl();
  QVL_CHECK(m.n_layers == cfg_.num_hidden_layers && m.n_head_kv == cfg_.num_key_value_heads &&
                m.head_dim == cfg_.head_dim,
            "batch: KV cache was made for a different model shape");
  for (size_t i = 0; i < n; ++i) {
    QVL_CHECK(b.tokens[i] >= 0 && b.tokens[i] < cfg_.vocab_size, "batch: token id ", b.tokens[i],
              " outside the vocabulary [0, ", cfg_.vocab_size, ")");
    const int s = b.seq[i];
    QVL_CHECK(s >= 0 && s < int(m.seqs.size()) && m.seqs[s].used, "batch: unknown sequence ", s);
    QVL_CHECK(b.kv_pos[i] >= 0 && int64_t(b.kv_pos[i]) < int64_t(m.seqs[s].blocks.size()) * KvCache::kBlockTokens,
              "batch: kv position ", b.kv_pos[i], " of sequence ", s, " is not reserved in the KV cache");
    if (!b.embed_row.empty() && b.embed_row[i] >= 0)
      QVL_CHECK(b.embeds, "batch: embed_row set but embeds is null");
  }
}

void Qwen3TextModel::forward(const Batch& b, KvCache& kv, float* logits, ThreadPool& pool) {
  check_batch(b, kv);
  const int64_t n = int64_t(b.tokens.size());
  if (n == 0) return;
  const RepackSequences seqs(b.seq.data(), n);  // packed matmuls group tokens per sequence, as llama.cpp
  const int64_t H = cfg_.hidden_size;
  x_.resize(size_t(n * H));
  h_.resize(size_t(n * H));
  // 1. Embeddings; vision rows replace (not add to) the token embedding.
  embed_rows(w_.token_embd, b.tokens.data(), n, x_.data());
  const bool has_vision = !b.embed_row.empty();
  if (has_vision)
    for (int64_t i = 0; i < n; ++i)
      if (b.embed_row[i] >= 0) std::memcpy(&x_[i * H], b.embeds + int64_t(b.embed_row[i]) * H, H * sizeof(float));

  // single_[i]: llama.cpp would run token i in a batch of one (its sequence has no
  // other token in this step), which changes its matmul summation order
  // (runtime/matmul.h); we mirror that so greedy decoding matches it bit for bit.
  single_.assign(size_t(n), 0);
  {
    std::vector<int32_t> per_seq;
    for (int32_t s : b.seq) {
      if (s >= int32_t(per_seq.size())) per_seq.resize(size_t(s) + 1, 0);
      ++per_seq[size_t(s)];
    }
    for (int64_t i = 0; i < n; ++i) single_[size_t(i)] = per_seq[size_t(b.seq[i])] == 1;
  }
  int64_t n_out = 0;
  for (int64_t i = 0; i < n; ++i) n_out += b.want_logits[i] ? 1 : 0;
  bool compacted = false;

  const int n_layers = int(cfg_.num_hidden_layers);
  for (int l = 0; l < n_layers; ++l) {
    attention_block(l, b, kv, pool);
    const bool deepstack_here = has_vision && l < int(b.deepstack.size()) && b.deepstack[l];
    if (l == n_layers - 1 && !deepstack_here) {
      // As llama.cpp: after the last attention only the rows that want logits go on,
      // each as a batch-of-one row (nothing else reads the other rows).
      int64_t j = 0;
      for (int64_t i = 0; i < n; ++i)
        if (b.want_logits[i]) {
          if (j != i) std::memcpy(&x_[j * H], &x_[i * H], H * sizeof(float));
          ++j;
        }
      ones_.assign(size_t(std::max<int64_t>(n_out, 1)), 1);
      mlp_block(l, n_out, pool, ones_.data());
      compacted = true;
      break;
    }
    mlp_block(l, n, pool, single_.data());
    // DeepStack: feature l goes to visual positions after layer l (HF `_deepstack_process`).
    if (has_vision && l < int(b.deepstack.size()) && b.deepstack[l]) {
      for (int64_t i = 0; i < n; ++i) {
        if (b.embed_row[i] < 0) continue;
        const float* f = b.deepstack[l] + int64_t(b.embed_row[i]) * H;
        float* x = &x_[i * H];
        for (int64_t j = 0; j < H; ++j) x[j] += f[j];
      }
    }
  }

  // Sequence lengths: the highest position written + 1.
  KvCache::Impl& m = *kv.impl();
  for (int64_t i = 0; i < n; ++i) {
    auto& s = m.seqs[b.seq[i]];
    s.length = std::max<int64_t>(s.length, b.kv_pos[i] + 1);
  }

  // Final norm and LM head, only for the rows that want logits (already the first
  // n_out rows of x_ when the last layer compacted them).
  if (n_out == 0) return;
  if (compacted) {
    std::memcpy(h_.data(), x_.data(), size_t(n_out * H) * sizeof(float));
  } else {
    int64_t j = 0;
    for (int64_t i = 0; i < n; ++i)
      if (b.want_logits[i]) std::memcpy(&h_[j++ * H], &x_[i * H], H * sizeof(float));
  }
  op_rms_norm(h_.data(), w_.output_norm.data(), h_.data(), n_out, H, cfg_.rms_norm_eps, pool);
  dump("result_norm", -1, h_, n_out, H);
  ones_.assign(size_t(n_out), 1);
  linear(w_.output, h_.data(), n_out, logits, pool, ones_.data(), numerics_);
  if (tensor_dump_enabled()) tensor_dump("result_output", -1, logits, n_out, cfg_.vocab_size);
}

void Qwen3TextModel::attention_block(int l, const Batch& b, KvCache& kv, ThreadPool& pool) {
  const LayerWeights& lw = w_.layers[l];
  const int64_t n = int64_t(b.tokens.size()), H = cfg_.hidden_size, d = cfg_.head_dim;
  const int nh = int(cfg_.num_attention_heads), nkv = int(cfg_.num_key_value_heads);
  q_.resize(size_t(n * nh * d));
  k_.resize(size_t(n * nkv * d));
  v_.resize(size_t(n * nkv * d));
  att_.resize(size_t(n * nh * d));
  tmp_.resize(size_t(n * H));

  op_rms_norm(x_.data(), lw.attn_norm.data(), h_.data(), n, H, cfg_.rms_norm_eps, pool);
  const uint8_t* single = single_.data();
  linear(lw.attn_q, h_.data(), n, q_.data(), pool, single, numerics_);
  linear(lw.attn_k, h_.data(), n, k_.data(), pool, single, numerics_);
  linear(lw.attn_v, h_.data(), n, v_.data(), pool, single, numerics_);
  dump("attn_norm", l, h_, n, H);
  dump("Qcur", l, q_, n, nh * d);
  dump("Kcur", l, k_, n, nkv * d);
  dump("Vcur", l, v_, n, nkv * d);
  // QK-norm per head over d, before RoPE; V is left alone.
  op_rms_norm(q_.data(), lw.attn_q_norm.data(), q_.data(), n * nh, d, cfg_.rms_norm_eps, pool);
  op_rms_norm(k_.data(), lw.attn_k_norm.data(), k_.data(), n * nkv, d, cfg_.rms_norm_eps, pool);
  dump("Qcur_normed", l, q_, n, nh * d);
  dump("Kcur_normed", l, k_, n, nkv * d);

  kernels::RopeParams rp;
  rp.head_dim = int(d);
  rp.theta = cfg_.rope_theta;
  rp.mrope_section = {cfg_.mrope_section[0], cfg_.mrope_section[1], cfg_.mrope_section[2]};
  rp.interleaved = cfg_.mrope_interleaved;
  const bool scalar = numerics_ == Numerics::kGgmlScalar;
  if (scalar) rope_ggml_scalar(q_.data(), nh, k_.data(), nkv, b.pos, rp, pool);
  else op_rope(q_.data(), nh, k_.data(), nkv, b.pos, rp, pool);
  dump("Qcur_rope", l, q_, n, nh * d);
  dump("Kcur_rope", l, k_, n, nkv * d);

  // Store K/V before any token attends: F16 (llama.cpp's default cache type) or
  // Q8_0 (--kv-type q8_0, rounded as ggml quantises Q8_0 activations).
  KvCache::Impl& m = *kv.impl();
  const bool q8 = m.type == KvType::kQ8_0;
  for (int64_t i = 0; i < n; ++i) {
    const auto& s = m.seqs[b.seq[i]];
    for (int h = 0; h < nkv; ++h) {
      uint8_t* kr = m.k_row(l, s, b.kv_pos[i], h);
      uint8_t* vr = m.v_row(l, s, b.kv_pos[i], h);
      const float* ks = &k_[(i * nkv + h) * d];
      const float* vs = &v_[(i * nkv + h) * d];
      if (q8) {
        quantize_row_q8_0(ks, kr, d);
        quantize_row_q8_0(vs, vr, d);
        continue;
      }
      auto* k16 = reinterpret_cast<uint16_t*>(kr);
      auto* v16 = reinterpret_cast<uint16_t*>(vr);
      for (int64_t j = 0; j < d; ++j) {
        k16[j] = f32_to_fp16(ks[j]);
        v16[j] = f32_to_fp16(vs[j]);
      }
    }
  }
  std::vector<kernels::PagedKv> views(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const auto& s = m.seqs[b.seq[i]];
    kernels::PagedKv& v = views[i];
    v.block_table = s.blocks.data();
    v.n_kv = int64_t(b.kv_pos[i]) + 1;
    v.block_tokens = KvCache::kBlockTokens;
    v.n_head_kv = nkv;
    v.head_dim = int(d);
    v.single = single[i] != 0;
    v.type = m.type;
    if (q8) {
      v.kq = m.k[l].q8_0();
      v.vq = m.v[l].q8_0();
    } else {
      v.k = m.k[l].data();
      v.v = m.v[l].data();
    }
  }
  // The ggml-scalar profile mirrors llama.cpp's F16 cache only; a Q8_0 cache always
  // takes the Q8_0 kernels.
  if (scalar && !q8) attention_ggml_scalar(q_.data(), views, b.seq, nh, 1.0f / std::sqrt(float(d)), att_.data(), pool);
  else op_attention(q_.data(), views, nh, 1.0f / std::sqrt(float(d)), att_.data(), pool);
  dump("kqv_out", l, att_, n, nh * d);
  linear(lw.attn_output, att_.data(), n, tmp_.data(), pool, single, numerics_);
  dump("attn_out", l, tmp_, n, H);
  for (int64_t i = 0; i < n * H; ++i) x_[i] += tmp_[i];
  dump("ffn_inp", l, x_, n, H);
}

void Qwen3TextModel::mlp_block(int l, int64_t n, ThreadPool& pool, const uint8_t* single) {
  const LayerWeights& lw = w_.layers[l];
  const int64_t H = cfg_.hidden_size;
  op_rms_norm(x_.data(), lw.ffn_norm.data(), h_.data(), n, H, cfg_.rms_norm_eps, pool);
  dump("ffn_norm", l, h_, n, H);
  if (cfg_.is_moe()) {
    moe_forward(cfg_, lw, h_.data(), n, tmp_.data(), pool, single, numerics_);
  } else {
    const int64_t I = cfg_.intermediate_size;
    gate_.resize(size_t(n * I));
    up_.resize(size_t(n * I));
    linear(lw.ffn_gate, h_.data(), n, gate_.data(), pool, single, numerics_);
    linear(lw.ffn_up, h_.data(), n, up_.data(), pool, single, numerics_);
    dump("ffn_gate", l, gate_, n, I);
    dump("ffn_up", l, up_, n, I);
    if (numerics_ == Numerics::kGgmlScalar)
      for (int64_t i = 0; i < n; ++i) kernels::silu_mul_ggml_scalar(&gate_[i * I], &up_[i * I], &gate_[i * I], I);
    else
      op_silu_mul(gate_.data(), I, up_.data(), I, gate_.data(), I, n, I, pool);
    dump("ffn_swiglu", l, gate_, n, I);
    linear(lw.ffn_down, gate_.data(), n, tmp_.data(), pool, single, numerics_);
  }
  dump("ffn_out", l, tmp_, n, H);
  for (int64_t i = 0; i < n * H; ++i) x_[i] += tmp_[i];
  dump("l_out", l, x_, n, H);
}

}  // namespace qvl
