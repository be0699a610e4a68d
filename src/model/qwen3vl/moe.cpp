// MoE feed-forward of Qwen3-MoE / Qwen3-VL-MoE (model layer): router softmax over
// all experts in F32, top-k, renormalise (norm_topk_prob), then each expert runs
// once on the tokens routed to it. No shared expert, no bias (spec §2 MoE block).
#include <algorithm>
#include <cstring>
#include <numeric>
#include <vector>

#include "base/error.h"
#include "base/thread_pool.h"
#include "kernels/ggml_scalar.h"
#include "kernels/softmax.h"
#include "model/qwen3vl/linear.h"
#include "model/qwen3vl/text_model.h"
#include "runtime/ops.h"

namespace qvl {

void moe_route(const TextConfig& cfg, const float* router_logits, int64_t n, int32_t* ids, float* weights,
               Numerics numerics) {
  const int64_t E = cfg.num_experts, K = cfg.num_experts_per_tok;
  std::vector<float> p(E);
  std::vector<int32_t> order(E);
  for (int64_t t = 0; t < n; ++t) {
    std::memcpy(p.data(), router_logits + t * E, E * sizeof(float));
    if (numerics == Numerics::kGgmlScalar) kernels::softmax_ggml_scalar(p.data(), E);  // kernels/ggml_scalar.h
    else kernels::softmax(p.data(), E);
    std::iota(order.begin(), order.end(), 0);
    // Highest probability first; ties go to the lower expert id (stable).
    std::partial_sort(order.begin(), order.begin() + K, order.end(),
                      [&](int32_t a, int32_t b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
    // As llama.cpp: the sum in double (ggml_sum_rows), clamped to F16's smallest normal.
    double sum_d = 0;
    for (int64_t j = 0; j < K; ++j) sum_d += double(p[order[j]]);
    const float sum = std::max(float(sum_d), 6.103515625e-5f);
    for (int64_t j = 0; j < K; ++j) {
      ids[t * K + j] = order[j];
      weights[t * K + j] = cfg.norm_topk_prob ? p[order[j]] / sum : p[order[j]];
    }
  }
}

void moe_forward(const TextConfig& cfg, const LayerWeights& lw, const float* h, int64_t n, float* out,
                 ThreadPool& pool, const uint8_t* single, Numerics numerics) {
  const int64_t E = cfg.num_experts, K = cfg.num_experts_per_tok, H = cfg.hidden_size;
  const int64_t I = cfg.moe_intermediate_size;
  std::vector<float> router(size_t(n * E));
  linear(lw.ffn_gate_inp, h, n, router.data(), pool, single, numerics);
  std::vector<int32_t> ids(size_t(n * K));
  std::vector<float> wts(size_t(n * K));
  moe_route(cfg, router.data(), n, ids.data(), wts.data(), numerics);

  // Group (token, rank) pairs per expert so each expert's weights are read once.
  struct Route {
    int64_t token, rank;
  };
  std::vector<std::vector<Route>> routed(E);
  for (int64_t t = 0; t < n; ++t)
    for (int64_t j = 0; j < K; ++j) routed[ids[t * K + j]].push_back({t, j});

  // weighted[t][j]: expert output of token t's rank-j choice times its weight; summed
  // in rank order afterwards, as llama.cpp adds its expert views.
  std::vector<float> weighted(size_t(n * K * H));
  std::vector<float> xs, gate, up, y;
  const std::vector<uint8_t> alone(size_t(n), 1);
  for (int64_t e = 0; e < E; ++e) {
    const auto& r = routed[e];
    if (r.empty()) continue;
    const int64_t m = int64_t(r.size());
    xs.resize(size_t(m * H));
    gate.resize(size_t(m * I));
    up.resize(size_t(m * I));
    y.resize(size_t(m * H));
    for (int64_t i = 0; i < m; ++i) std::memcpy(&xs[i * H], h + r[i].token * H, H * sizeof(float));
    linear(expert_slice(lw.ffn_gate_exps, e), xs.data(), m, gate.data(), pool, alone.data(), numerics);
    linear(expert_slice(lw.ffn_up_exps, e), xs.data(), m, up.data(), pool, alone.data(), numerics);
    if (numerics == Numerics::kGgmlScalar)
      for (int64_t i = 0; i < m; ++i) kernels::silu_mul_ggml_scalar(&gate[i * I], &up[i * I], &gate[i * I], I);
    else
      op_silu_mul(gate.data(), I, up.data(), I, gate.data(), I, m, I, pool);
    linear(expert_slice(lw.ffn_down_exps, e), gate.data(), m, y.data(), pool, alone.data(), numerics);
    for (int64_t i = 0; i < m; ++i) {
      const int64_t slot = r[i].token * K + r[i].rank;
      const float w = wts[size_t(slot)];
      float* o = &weighted[size_t(slot * H)];
      for (int64_t j = 0; j < H; ++j) o[j] = y[i * H + j] * w;
    }
  }
  for (int64_t t = 0; t < n; ++t) {
    float* o = out + t * H;
    std::memcpy(o, &weighted[size_t(t * K * H)], H * sizeof(float));
    for (int64_t j = 1; j < K; ++j) {
      const float* e = &weighted[size_t((t * K + j) * H)];
      for (int64_t c = 0; c < H; ++c) o[c] += e[c];
    }
  }
}

}  // namespace qvl
