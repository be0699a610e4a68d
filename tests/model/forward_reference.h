// A deliberately plain Qwen3 / Qwen3-VL decoder for tests (no cache, no threads,
// double-precision norms/softmax/rope, F32 K/V): written from spec §2-§4 independently
// of src/model/qwen3vl, and run on the same weights to check the real forward.
#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <vector>

#include "model/qwen3vl/text_model.h"
#include "runtime/matmul.h"

namespace qvl::testing {

struct RefInput {
  std::vector<int32_t> tokens;
  std::vector<std::array<int32_t, 3>> pos;
  std::vector<const float*> embed;                   // per token: replacement embedding or nullptr
  std::vector<std::vector<const float*>> deepstack;  // per token: feature per layer (may be empty)
};

inline void ref_rms(std::vector<float>& x, int64_t rows, int64_t n, const std::vector<float>& w, float eps) {
  for (int64_t r = 0; r < rows; ++r) {
    double ss = 0;
    for (int64_t i = 0; i < n; ++i) ss += double(x[r * n + i]) * x[r * n + i];
    const double s = 1.0 / std::sqrt(ss / n + eps);
    for (int64_t i = 0; i < n; ++i) x[r * n + i] = float(x[r * n + i] * s * w[i]);
  }
}

inline std::vector<float> ref_linear(const Tensor& w, const std::vector<float>& x, int64_t n) {
  std::vector<float> y(size_t(n * w.rows()));
  matmul_ref(w, x.data(), n, y.data());
  return y;
}

inline int ref_stream(const TextConfig& c, int j) {
  const auto& s = c.mrope_section;
  if (s[0] + s[1] + s[2] == 0) return 0;
  if (j % 3 == 1 && j < 3 * s[1]) return 1;
  if (j % 3 == 2 && j < 3 * s[2]) return 2;
  return 0;
}

inline void ref_rope(const TextConfig& c, float* x, int n_head, const std::array<int32_t, 3>& p) {
  const int64_t d = c.head_dim, half = d / 2;
  for (int h = 0; h < n_head; ++h)
    for (int64_t j = 0; j < half; ++j) {
      const double a = p[ref_stream(c, int(j))] * std::pow(double(c.rope_theta), -2.0 * j / d);
      float* v = x + h * d;
      const double x0 = v[j], x1 = v[j + half];
      v[j] = float(x0 * std::cos(a) - x1 * std::sin(a));
      v[j + half] = float(x1 * std::cos(a) + x0 * std::sin(a));
    }
}

inline std::vector<float> ref_moe(const TextConfig& c, const LayerWeights& lw, const std::vector<float>& h,
                                  int64_t n) {
  const int64_t E = c.num_experts, K = c.num_experts_per_tok, H = c.hidden_size, I = c.moe_intermediate_size;
  std::vector<float> out(size_t(n * H), 0.f), logits = ref_linear(lw.ffn_gate_inp, h, n);
  for (int64_t t = 0; t < n; ++t) {
    std::vector<double> p(E);
    double mx = -1e300, sum = 0;
    for (int64_t e = 0; e < E; ++e) mx = std::max(mx, double(logits[t * E + e]));
    for (int64_t e = 0; e < E; ++e) sum += p[e] = std::exp(logits[t * E + e] - mx);
    std::vector<int> idx(E);
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return p[a] > p[b]; });
    double topsum = 0;
    for (int64_t j = 0; j < K; ++j) topsum += p[idx[j]] / sum;
    const std::vector<float> x(h.begin() + t * H, h.begin() + (t + 1) * H);
    for (int64_t j = 0; j < K; ++j) {
      const int e = idx[j];
      const double w = (p[e] / sum) / (c.norm_topk_prob ? topsum : 1.0);
      auto g = ref_linear(expert_slice(lw.ffn_gate_exps, e), x, 1);
      const auto u = ref_linear(expert_slice(lw.ffn_up_exps, e), x, 1);
      for (int64_t i = 0; i < I; ++i) g[i] = float(g[i] / (1 + std::exp(-double(g[i]))) * u[i]);
      const auto y = ref_linear(expert_slice(lw.ffn_down_exps, e), g, 1);
      for (int64_t i = 0; i < H; ++i) out[t * H + i] += float(w * y[i]);
    }
  }
  return out;
}

// Logits [n, vocab] for one sequence at KV positions 0..n-1.
inline std::vector<float> ref_forward(const Qwen3TextModel& m, const RefInput& in) {
  const TextConfig& c = m.config();
  const TextWeights& w = m.weights();
  const int64_t n = int64_t(in.tokens.size()), H = c.hidden_size, d = c.head_dim;
  const int nh = int(c.num_attention_heads), nkv = int(c.num_key_value_heads), group = nh / nkv;
  std::vector<float> x(size_t(n * H));
  get_rows(w.token_embd, in.tokens.data(), n, x.data());
  for (int64_t t = 0; t < n; ++t)
    if (!in.embed.empty() && in.embed[t]) std::copy(in.embed[t], in.embed[t] + H, x.begin() + t * H);
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const LayerWeights& lw = w.layers[l];
    std::vector<float> h = x;
    ref_rms(h, n, H, lw.attn_norm, c.rms_norm_eps);
    auto q = ref_linear(lw.attn_q, h, n), k = ref_linear(lw.attn_k, h, n), v = ref_linear(lw.attn_v, h, n);
    ref_rms(q, n * nh, d, lw.attn_q_norm, c.rms_norm_eps);
    ref_rms(k, n * nkv, d, lw.attn_k_norm, c.rms_norm_eps);
    for (int64_t t = 0; t < n; ++t) {
      ref_rope(c, &q[t * nh * d], nh, in.pos[t]);
      ref_rope(c, &k[t * nkv * d], nkv, in.pos[t]);
    }
    std::vector<float> att(size_t(n * nh * d), 0.f);
    for (int64_t t = 0; t < n; ++t)
      for (int hq = 0; hq < nh; ++hq) {
        const int hk = hq / group;
        std::vector<double> s(t + 1);
        double mx = -1e300, sum = 0;
        for (int64_t u = 0; u <= t; ++u) {
          double dot = 0;
          for (int64_t i = 0; i < d; ++i) dot += double(q[(t * nh + hq) * d + i]) * k[(u * nkv + hk) * d + i];
          s[u] = dot / std::sqrt(double(d));
          mx = std::max(mx, s[u]);
        }
        for (auto& e : s) sum += e = std::exp(e - mx);
        for (int64_t u = 0; u <= t; ++u)
          for (int64_t i = 0; i < d; ++i) att[(t * nh + hq) * d + i] += float(s[u] / sum * v[(u * nkv + hk) * d + i]);
      }
    const auto o = ref_linear(lw.attn_output, att, n);
    for (size_t i = 0; i < x.size(); ++i) x[i] += o[i];
    h = x;
    ref_rms(h, n, H, lw.ffn_norm, c.rms_norm_eps);
    std::vector<float> mlp;
    if (c.is_moe()) {
      mlp = ref_moe(c, lw, h, n);
    } else {
      auto g = ref_linear(lw.ffn_gate, h, n);
      const auto u = ref_linear(lw.ffn_up, h, n);
      for (size_t i = 0; i < g.size(); ++i) g[i] = float(g[i] / (1 + std::exp(-double(g[i]))) * u[i]);
      mlp = ref_linear(lw.ffn_down, g, n);
    }
    for (size_t i = 0; i < x.size(); ++i) x[i] += mlp[i];
    for (int64_t t = 0; t < n; ++t)
      if (!in.deepstack.empty() && l < int64_t(in.deepstack[t].size()) && in.deepstack[t][l])
        for (int64_t i = 0; i < H; ++i) x[t * H + i] += in.deepstack[t][l][i];
  }
  ref_rms(x, n, H, w.output_norm, c.rms_norm_eps);
  return ref_linear(w.output, x, n);
}

}  // namespace qvl::testing
