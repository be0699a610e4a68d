// The ggml scalar-build profile's kernels (ggml_scalar.h). Plain C++ compiled
// without ISA flags, so GCC emits no FMA: products round to F32 before each add,
// as in llama.node's baseline x86-64 build. Slow on purpose; parity runs only.
#include "kernels/ggml_scalar.h"

#include <algorithm>
#include <cmath>

#include "base/fp16.h"

namespace qvl::kernels {

namespace {
const uint16_t* kv_row(const uint16_t* base, const PagedKv& kv, int kv_head, int64_t t) {
  const int64_t b = kv.block_table[t / kv.block_tokens];
  return base + ((b * kv.n_head_kv + kv_head) * kv.block_tokens + t % kv.block_tokens) * kv.head_dim;
}
}  // namespace

float expf_ggml_sse2(float x) {
  const float r = 0x1.8p23f;
  const float z = x * 0x1.715476p+0f + r;
  const float n = z - r;
  const float b = (x - n * 0x1.62e4p-1f) - n * 0x1.7f7d1cp-20f;
  const uint32_t e = f32_to_bits(z) << 23;
  const float k = bits_to_f32(e + f32_to_bits(1.0f));
  const float u = b * b;
  const float j = ((0x1.0e4020p-7f * b + 0x1.573e2ep-5f) * u + (0x1.555e66p-3f * b + 0x1.fffdb6p-2f)) * u +
                  0x1.ffffecp-1f * b;
  if (!(std::fabs(n) > 126.0f)) return j * k + k;
  // Far range: 2^n split into two factors so neither overflows (ggml's c/d masks).
  const uint32_t g = n <= 0.0f ? 0x82000000u : 0u;
  const float s1 = bits_to_f32(g + 0x7f000000u);
  const float s2 = bits_to_f32(e - g);
  if (std::fabs(n) > 192.0f) return s1 * s1;
  return (s2 * j + s2) * s1;
}

void silu_mul_ggml_scalar(const float* gate, const float* up, float* out, int64_t n) {
  const int64_t vec = n - n % 4;
  for (int64_t i = 0; i < vec; ++i) {
    const float x = gate[i];
    out[i] = x / (1.0f + expf_ggml_sse2(0.0f - x)) * up[i];
  }
  for (int64_t i = vec; i < n; ++i) {
    const float x = gate[i];
    out[i] = x / (1.0f + std::exp(-x)) * up[i];
  }
}

void rope_apply_ggml_scalar(float* x, int n_head, int head_dim, const float* cos, const float* sin) {
  const int half = head_dim / 2;
  for (int h = 0; h < n_head; ++h) {
    float* v = x + int64_t(h) * head_dim;
    for (int j = 0; j < half; ++j) {
      const float a = v[j], b = v[j + half];
      v[j] = a * cos[j] - b * sin[j];
      v[j + half] = a * sin[j] + b * cos[j];
    }
  }
}

float dot_f16_ggml_scalar(const uint16_t* w, const float* x, int64_t n) {
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += static_cast<double>(fp16_to_f32(w[i]) * x[i]);
  return static_cast<float>(s);
}

void vec_dot_f16_ggml_scalar(int64_t k, const void* w, const void* x, size_t x_stride, int n_x, float* out,
                             size_t out_stride) {
  const auto* wr = static_cast<const uint16_t*>(w);
  const auto* xb = static_cast<const uint8_t*>(x);
  for (int t = 0; t < n_x; ++t)
    out[size_t(t) * out_stride] = dot_f16_ggml_scalar(wr, reinterpret_cast<const float*>(xb + t * x_stride), k);
}

void vec_dot_f32_ggml_scalar(int64_t k, const void* w, const void* x, size_t x_stride, int n_x, float* out,
                             size_t out_stride) {
  const auto* wr = static_cast<const float*>(w);
  const auto* xb = static_cast<const uint8_t*>(x);
  for (int t = 0; t < n_x; ++t) {
    const auto* xr = reinterpret_cast<const float*>(xb + t * x_stride);
    double s = 0.0;
    for (int64_t i = 0; i < k; ++i) s += static_cast<double>(wr[i] * xr[i]);
    out[size_t(t) * out_stride] = static_cast<float>(s);
  }
}

double softmax_exp_sum_ggml_scalar(float* x, int64_t n, float mx) {
  double sum = 0.0;
  int64_t i = 0;
  for (; i + 3 < n; i += 4) {
    for (int64_t l = i; l < i + 4; ++l) x[l] = expf_ggml_sse2(x[l] - mx);
    sum += static_cast<double>((x[i] + x[i + 1]) + (x[i + 2] + x[i + 3]));
  }
  for (; i < n; ++i) {
    x[i] = std::exp(x[i] - mx);
    sum += static_cast<double>(x[i]);
  }
  return sum;
}

void softmax_ggml_scalar(float* x, int64_t n) {
  float mx = -INFINITY;
  for (int64_t i = 0; i < n; ++i) mx = std::max(mx, x[i]);
  const float inv = static_cast<float>(1.0 / softmax_exp_sum_ggml_scalar(x, n, mx));
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void attention_ggml_scalar(const float* q, int n_group, int kv_head, const PagedKv& kv, float scale, float* out,
                           float* scratch) {
  const int d = kv.head_dim;
  float* qh = scratch;
  auto* acc = reinterpret_cast<uint16_t*>(scratch + d);  // d F16 values in d floats' room
  for (int g = 0; g < n_group; ++g) {
    for (int e = 0; e < d; ++e) qh[e] = fp16_to_f32(f32_to_fp16(q[int64_t(g) * d + e]));
    std::fill(acc, acc + d, uint16_t{0});
    float m = -INFINITY, s_sum = 0.0f;
    for (int64_t t = 0; t < kv.n_kv; ++t) {
      const float s = dot_f16_ggml_scalar(kv_row(kv.k, kv, kv_head, t), qh, d) * scale;
      float ms = 1.0f, vs = 1.0f;
      if (s > m) {  // new maximum: rescale the accumulator, this key's weight is 1
        const float m_old = m;
        m = s;
        ms = std::exp(m_old - m);
        for (int e = 0; e < d; ++e) acc[e] = f32_to_fp16(fp16_to_f32(acc[e]) * ms);
      } else {
        vs = std::exp(s - m);
      }
      const uint16_t* vr = kv_row(kv.v, kv, kv_head, t);
      for (int e = 0; e < d; ++e) acc[e] = f32_to_fp16(fp16_to_f32(acc[e]) + fp16_to_f32(vr[e]) * vs);
      s_sum = s_sum * ms + vs;
    }
    const float inv = s_sum == 0.0f ? 0.0f : 1.0f / s_sum;
    float* o = out + int64_t(g) * d;
    for (int e = 0; e < d; ++e) o[e] = fp16_to_f32(acc[e]) * inv;
  }
}

void attention_ggml_scalar_tiled(const float* q, int n_group, int kv_head, const PagedKv& kv, float scale,
                                 float* out, float* scratch) {
  const int d = kv.head_dim;
  const auto key_row = [&](int64_t t) { return kv_row(kv.k, kv, kv_head, t); };
  const auto val_row = [&](int64_t t) { return kv_row(kv.v, kv, kv_head, t); };
  for (int g = 0; g < n_group; ++g)
    attend_tiled_ggml_scalar(q + int64_t(g) * d, d, kv.n_kv, scale, key_row, val_row, out + int64_t(g) * d, scratch);
}

}  // namespace qvl::kernels
