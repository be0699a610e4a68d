// The ViT's arithmetic as llama.cpp's ggml CPU backend performs it in the build that
// @fugood/llama.node ships (x86-64 baseline: no AVX/F16C/FMA, so ggml takes its
// scalar paths with double sums, software F16 casts and the SSE2 exp polynomial).
// Used by VisionModelImpl::encode_ggml for --vision-compat llama only; each function
// names the ggml routine it mirrors. Not the default path and not tuned for speed.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "base/fp16.h"
#include "base/thread_pool.h"
#include "kernels/ggml_scalar.h"
#include "model/vision/vision_ggml.h"
#include "runtime/matmul.h"

namespace qvl::ggml_ops {

namespace {

inline float round_f16(float x) { return fp16_to_f32(f32_to_fp16(x)); }

// ggml_vec_dot_f16 / ggml_vec_dot_f32 without GGML_SIMD: float products (exact for
// halves), double sum. Four partial sums instead of one change the double result
// only in its last bits, which the final float rounding absorbs.
float dot_double(const float* a, const float* b, int64_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += static_cast<double>(a[i] * b[i]);
    s1 += static_cast<double>(a[i + 1] * b[i + 1]);
    s2 += static_cast<double>(a[i + 2] * b[i + 2]);
    s3 += static_cast<double>(a[i + 3] * b[i + 3]);
  }
  for (; i < n; ++i) s0 += static_cast<double>(a[i] * b[i]);
  return static_cast<float>((s0 + s1) + (s2 + s3));
}

const float* gelu_table() {
  static const std::vector<float> table = [] {
    std::vector<float> t(65536);
    const float kS = 0.79788456080286535587989211986876f, kA = 0.044715f;
    for (uint32_t i = 0; i < 65536; ++i) {
      const float x = fp16_to_f32(static_cast<uint16_t>(i));
      t[i] = round_f16(0.5f * x * (1.0f + std::tanh(kS * x * (1.0f + kA * x * x))));
    }
    return t;
  }();
  return table.data();
}

// One query row of ggml_compute_forward_flash_attn_ext_f16_one_chunk (F16 K/V):
// q rounded to F16, double-summed scores, the V accumulator kept in F16.
void attend_one_chunk(const float* q, const uint16_t* k16, const uint16_t* v16, int64_t n_kv, int64_t d, float scale,
                      float* out, float* qh, float* kf, uint16_t* acc) {
  for (int64_t e = 0; e < d; ++e) qh[e] = round_f16(q[e]);
  std::fill(acc, acc + d, uint16_t{0});
  float m = -INFINITY, s_sum = 0.0f;
  for (int64_t j = 0; j < n_kv; ++j) {
    const uint16_t* kj = k16 + j * d;
    for (int64_t e = 0; e < d; ++e) kf[e] = fp16_to_f32(kj[e]);
    const float s = dot_double(kf, qh, d) * scale;
    float ms = 1.0f, vs = 1.0f;
    if (s > m) {
      const float m_old = m;
      m = s;
      ms = std::exp(m_old - m);
      for (int64_t e = 0; e < d; ++e) acc[e] = f32_to_fp16(fp16_to_f32(acc[e]) * ms);
    } else {
      vs = std::exp(s - m);
    }
    const uint16_t* vj = v16 + j * d;
    for (int64_t e = 0; e < d; ++e) acc[e] = f32_to_fp16(fp16_to_f32(acc[e]) + fp16_to_f32(vj[e]) * vs);
    s_sum = s_sum * ms + vs;
  }
  const float inv = s_sum == 0.0f ? 0.0f : 1.0f / s_sum;
  for (int64_t e = 0; e < d; ++e) out[e] = fp16_to_f32(acc[e]) * inv;
}

constexpr int64_t kTile = 64;  // GGML_FA_TILE_Q = GGML_FA_TILE_KV

}  // namespace

void linear(const Tensor& w, const std::vector<float>& b, const float* x, int64_t n, float* y, ThreadPool& pool) {
  const int64_t m = w.shape[0], k = w.cols();
  if (w.dtype == DType::kF16) {
    std::vector<float> xh(static_cast<size_t>(n * k));
    for (size_t i = 0; i < xh.size(); ++i) xh[i] = round_f16(x[i]);
    const uint16_t* wd = static_cast<const uint16_t*>(w.data);
    pool.parallel_for(m, 8, [&](int64_t o0, int64_t o1) {
      std::vector<float> wr(static_cast<size_t>(k));
      for (int64_t o = o0; o < o1; ++o) {
        for (int64_t i = 0; i < k; ++i) wr[i] = fp16_to_f32(wd[o * k + i]);
        for (int64_t t = 0; t < n; ++t) y[t * m + o] = dot_double(wr.data(), &xh[static_cast<size_t>(t * k)], k);
      }
    });
  } else {
    matmul(w, x, n, y, pool);  // other weight types: runtime matmul (ggml's rounding of activations, F32 sums)
  }
  if (b.empty()) return;
  for (int64_t t = 0; t < n; ++t)
    for (int64_t i = 0; i < m; ++i) y[t * m + i] += b[i];
}

void layer_norm(const float* x, const std::vector<float>& w, const std::vector<float>& b, float* y, int64_t rows,
                int64_t n, float eps, ThreadPool& pool) {
  pool.parallel_for(rows, 8, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * n;
      float* yr = y + r * n;
      double dsum = 0;  // ggml_vec_sum_f32
      for (int64_t i = 0; i < n; ++i) dsum += static_cast<double>(xr[i]);
      const float mean = static_cast<float>(dsum) / static_cast<float>(n);
      double acc = 0;  // ggml_vec_cvar_f32, SSE2 branch
      int64_t i = 0;
      for (; i + 3 < n; i += 4) {
        float v[4];
        for (int l = 0; l < 4; ++l) {
          yr[i + l] = v[l] = xr[i + l] - mean;
          v[l] *= v[l];
        }
        acc += static_cast<double>((v[0] + v[1]) + (v[2] + v[3]));
      }
      for (; i < n; ++i) {
        const float v = xr[i] - mean;
        yr[i] = v;
        acc += static_cast<double>(v * v);
      }
      const float variance = static_cast<float>(acc / static_cast<double>(n));
      const float scale = 1.0f / std::sqrt(variance + eps);
      for (int64_t e = 0; e < n; ++e) yr[e] = yr[e] * scale * w[e] + (b.empty() ? 0.0f : b[e]);
    }
  });
}

void gelu(float* x, int64_t n) {
  const float* table = gelu_table();
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    x[i] = v <= -10.0f ? 0.0f : v >= 10.0f ? v : table[f32_to_fp16(v)];
  }
}

void vision_rope(float* x, int64_t row_stride, int64_t n_tok, int n_head, int head_dim, const int32_t* rows,
                 const int32_t* cols) {
  const int half = head_dim / 2, quarter = head_dim / 4;
  const float theta_scale = std::pow(10000.0f, -2.0f / static_cast<float>(half));
  std::vector<float> c(half), s(half);
  for (int64_t t = 0; t < n_tok; ++t) {
    // ggml_mrope_cache_init with indep_sects: each section restarts from its position.
    float theta_r = static_cast<float>(rows[t]), theta_c = static_cast<float>(cols[t]);
    for (int i = 0; i < half; ++i) {
      if (i == quarter) theta_c = static_cast<float>(cols[t]);
      const float theta = i < quarter ? theta_r : theta_c;
      c[i] = std::cos(theta), s[i] = std::sin(theta);
      theta_r *= theta_scale, theta_c *= theta_scale;
    }
    for (int h = 0; h < n_head; ++h) {
      float* v = x + t * row_stride + static_cast<int64_t>(h) * head_dim;
      for (int i = 0; i < half; ++i) {
        const float x0 = v[i], x1 = v[i + half];
        v[i] = x0 * c[i] - x1 * s[i];
        v[i + half] = x0 * s[i] + x1 * c[i];
      }
    }
  }
}

void flash_attention(const float* qkv, int64_t n_frames, int64_t per_frame, int64_t nh, int64_t dv, float scale,
                     float* out, ThreadPool& pool) {
  const int64_t hv = nh * dv, stride = 3 * hv;
  const bool tiled = per_frame >= kTile;
  std::vector<uint16_t> k16(static_cast<size_t>(per_frame * dv)), v16(k16.size());
  std::vector<float> kf(k16.size()), vf(k16.size());
  for (int64_t f = 0; f < n_frames; ++f) {
    const float* base = qkv + f * per_frame * stride;
    for (int64_t h = 0; h < nh; ++h) {
      for (int64_t j = 0; j < per_frame; ++j) {  // ggml_cast(k / v, F16)
        const float* k = base + j * stride + hv + h * dv;
        for (int64_t e = 0; e < dv; ++e) {
          k16[j * dv + e] = f32_to_fp16(k[e]);
          v16[j * dv + e] = f32_to_fp16(k[hv + e]);
          kf[j * dv + e] = fp16_to_f32(k16[j * dv + e]);
          vf[j * dv + e] = fp16_to_f32(v16[j * dv + e]);
        }
      }
      pool.parallel_for(per_frame, 4, [&](int64_t i0, int64_t i1) {
        std::vector<float> qh(dv), kbuf(std::max(dv, kTile));
        std::vector<uint16_t> acc(dv);
        for (int64_t i = i0; i < i1; ++i) {
          const float* q = base + i * stride + h * dv;
          float* o = out + (f * per_frame + i) * hv + h * dv;
          if (tiled)
            kernels::attend_tiled_ggml_scalar(
                q, dv, per_frame, scale, [&](int64_t t) { return kf.data() + t * dv; },
                [&](int64_t t) { return vf.data() + t * dv; }, o, kbuf.data());
          else attend_one_chunk(q, k16.data(), v16.data(), per_frame, dv, scale, o, qh.data(), kbuf.data(), acc.data());
        }
      });
    }
  }
}

std::vector<float> interpolate_bilinear(const std::vector<float>& table, int64_t side, int64_t hv, int gh, int gw) {
  if (gh == side && gw == side) return table;
  std::vector<float> out(static_cast<size_t>(gh) * gw * hv);
  // ggml_compute_forward_upscale_f32, BILINEAR | ALIGN_CORNERS.
  const float sf0 = gw > 1 && side > 1 ? static_cast<float>(gw - 1) / static_cast<float>(side - 1)
                                       : static_cast<float>(gw) / static_cast<float>(side);
  const float sf1 = gh > 1 && side > 1 ? static_cast<float>(gh - 1) / static_cast<float>(side - 1)
                                       : static_cast<float>(gh) / static_cast<float>(side);
  auto at = [&](int64_t r, int64_t c) { return &table[static_cast<size_t>(r * side + c) * hv]; };
  for (int i1 = 0; i1 < gh; ++i1) {
    const float y = static_cast<float>(i1) / sf1;
    const int64_t y0 = std::clamp<int64_t>(static_cast<int64_t>(std::floor(y)), 0, side - 1);
    const int64_t y1 = std::clamp<int64_t>(static_cast<int64_t>(std::floor(y)) + 1, 0, side - 1);
    const float dy = std::clamp(y - static_cast<float>(y0), 0.0f, 1.0f);
    for (int i0 = 0; i0 < gw; ++i0) {
      const float x = static_cast<float>(i0) / sf0;
      const int64_t x0 = std::clamp<int64_t>(static_cast<int64_t>(std::floor(x)), 0, side - 1);
      const int64_t x1 = std::clamp<int64_t>(static_cast<int64_t>(std::floor(x)) + 1, 0, side - 1);
      const float dx = std::clamp(x - static_cast<float>(x0), 0.0f, 1.0f);
      const float *a = at(y0, x0), *b = at(y0, x1), *c = at(y1, x0), *d = at(y1, x1);
      float* o = &out[static_cast<size_t>(i1 * gw + i0) * hv];
      for (int64_t e = 0; e < hv; ++e)
        o[e] = a[e] * (1 - dx) * (1 - dy) + b[e] * dx * (1 - dy) + c[e] * (1 - dx) * dy + d[e] * dx * dy;
    }
  }
  return out;
}

std::vector<float> patch_embed(const std::vector<std::vector<uint16_t>>& w16, const std::vector<float>& bias,
                               const PixelValues& pv, int64_t hv, ThreadPool& pool) {
  const int64_t n = pv.n_patches(), tp = static_cast<int64_t>(w16.size()), k = pv.row_size / tp, pp = k / 3;
  std::vector<float> x(static_cast<size_t>(n * hv), 0.0f);
  for (int64_t t = 0; t < tp; ++t) {
    // im2col to F16 of frame t's columns (c, py, px), then ggml_mul_mat; frames add up.
    std::vector<float> cols(static_cast<size_t>(n * k));
    for (int64_t p = 0; p < n; ++p)
      for (int64_t c = 0; c < 3; ++c)
        for (int64_t i = 0; i < pp; ++i)
          cols[p * k + c * pp + i] = round_f16(pv.data[p * pv.row_size + (c * tp + t) * pp + i]);
    pool.parallel_for(hv, 8, [&](int64_t o0, int64_t o1) {
      std::vector<float> wr(static_cast<size_t>(k));
      for (int64_t o = o0; o < o1; ++o) {
        for (int64_t i = 0; i < k; ++i) wr[i] = fp16_to_f32(w16[t][o * k + i]);
        for (int64_t p = 0; p < n; ++p) x[p * hv + o] += dot_double(wr.data(), &cols[p * k], k);
      }
    });
  }
  for (int64_t p = 0; p < n; ++p)
    for (int64_t o = 0; o < hv; ++o) x[p * hv + o] += bias[o];
  return x;
}

}  // namespace qvl::ggml_ops
