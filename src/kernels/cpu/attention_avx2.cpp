// AVX2 paged attention (kernels/cpu): two passes over the cache block by block per
// query head (scores, then the V sum), F16 rows converted with F16C. ggml's 16-lane
// accumulators are pairs of __m256; the V sum keeps one accumulator row per lane
// (t % 16, or t % 64 for single tokens), vectorised over the head dim, and reduces
// them in _mm512_reduce_add_ps's tree, so results equal the reference bit for bit.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "base/fp16.h"
#include "kernels/attention.h"
#include "kernels/ggml_order.h"

namespace qvl::kernels {
namespace {

inline float hsum(__m256 v) {  // reduce8's tree
  __m128 s = _mm_add_ps(_mm256_extractf128_ps(v, 1), _mm256_castps256_ps128(v));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline __m256 load_f16(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// dot_f16_ggml for d % 16 == 0: 16-lane accumulators as (lo, hi) pairs.
float dot_qk(const uint16_t* k, const float* q, int d, bool gemm) {
  if (gemm) {
    __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
    for (int i = 0; i < d; i += 16) {
      lo = _mm256_fmadd_ps(load_f16(k + i), _mm256_loadu_ps(q + i), lo);
      hi = _mm256_fmadd_ps(load_f16(k + i + 8), _mm256_loadu_ps(q + i + 8), hi);
    }
    return hsum(_mm256_add_ps(hi, lo));
  }
  __m256 acc[8];
  for (auto& a : acc) a = _mm256_setzero_ps();
  const int np = d - d % 64;
  for (int i = 0; i < np; i += 64)
    for (int j = 0; j < 8; ++j) acc[j] = _mm256_fmadd_ps(load_f16(k + i + 8 * j), _mm256_loadu_ps(q + i + 8 * j), acc[j]);
  // acc[2a], acc[2a+1] are lanes 0-7 and 8-15 of ggml's accumulator a.
  for (int j = 0; j < 2; ++j) {
    acc[j] = _mm256_add_ps(acc[j], acc[4 + j]);
    acc[2 + j] = _mm256_add_ps(acc[2 + j], acc[6 + j]);
  }
  for (int j = 0; j < 2; ++j) acc[j] = _mm256_add_ps(acc[j], acc[2 + j]);
  double s = hsum(_mm256_add_ps(acc[1], acc[0]));
  for (int i = np; i < d; ++i) s += double(fp16_to_f32(k[i]) * q[i]);
  return float(s);
}

// rows[r] += rows[r + half] for r < half, over d floats (rows `used` and up are zero
// and skipped).
void fold(float* acc, int d, int half, int used) {
  for (int r = 0; r < half && r + half < used; ++r) {
    float* a = acc + int64_t(r) * d;
    const float* b = acc + int64_t(r + half) * d;
    for (int i = 0; i < d; i += 8) _mm256_storeu_ps(a + i, _mm256_add_ps(_mm256_loadu_ps(b + i), _mm256_loadu_ps(a + i)));
  }
}

}  // namespace

void attention_avx2(const float* q, int n_group, int kv_head, const PagedKv& kv, float scale, float* out,
                    float* scratch) {
  const int d = kv.head_dim, bt = kv.block_tokens;
  if (d % 16 != 0) return attention_ref(q, n_group, kv_head, kv, scale, out, scratch);
  const int lanes = kv.single ? 64 : 16;
  const int used = int(std::min<int64_t>(lanes, kv.n_kv));
  float* scores = scratch;         // [n_kv]
  float* q16 = scores + kv.n_kv;   // [d]
  float* acc = q16 + d;            // [lanes][d]
  for (int g = 0; g < n_group; ++g) {
    for (int i = 0; i < d; ++i) q16[i] = fp16_to_f32(f32_to_fp16(q[int64_t(g) * d + i]));
    for (int64_t t0 = 0; t0 < kv.n_kv; t0 += bt) {  // pass 1: scores, block by block
      const int n = int(std::min<int64_t>(bt, kv.n_kv - t0));
      const uint16_t* kb = kv.k + (kv.block_table[t0 / bt] * kv.n_head_kv + kv_head) * int64_t(bt) * d;
      for (int t = 0; t < n; ++t) scores[t0 + t] = dot_qk(kb + int64_t(t) * d, q16, d, !kv.single) * scale;
    }
    attention_softmax_f16(scores, kv.n_kv);
    for (int64_t t0 = 0; t0 < kv.n_kv; t0 += bt) {  // pass 2: probability-weighted V rows
      const int n = int(std::min<int64_t>(bt, kv.n_kv - t0));
      const uint16_t* vb = kv.v + (kv.block_table[t0 / bt] * kv.n_head_kv + kv_head) * int64_t(bt) * d;
      for (int t = 0; t < n; ++t) {
        const __m256 vp = _mm256_set1_ps(scores[t0 + t]);
        const uint16_t* v = vb + int64_t(t) * d;
        float* a = acc + ((t0 + t) % lanes) * d;
        if (t0 + t < lanes) {  // a row's first term: fma(v, p, 0) is the rounded product
          for (int i = 0; i < d; i += 8) _mm256_storeu_ps(a + i, _mm256_mul_ps(load_f16(v + i), vp));
        } else {
          for (int i = 0; i < d; i += 8)
            _mm256_storeu_ps(a + i, _mm256_fmadd_ps(load_f16(v + i), vp, _mm256_loadu_ps(a + i)));
        }
      }
    }
    // ggml_vec_dot_f16's 4 -> 1 accumulators (single), then _mm512_reduce_add_ps.
    if (lanes == 64) {
      fold(acc, d, 32, used);       // acc0 += acc2, acc1 += acc3 (lane by lane)
      fold(acc, d, 16, std::min(used, 32));  // acc0 += acc1
    }
    const int u16 = std::min(used, 16);
    fold(acc, d, 8, u16);
    fold(acc, d, 4, std::min(u16, 8));
    // (q0 + q2) + (q1 + q3)
    fold(acc, d, 2, std::min(u16, 4));  // q0 += q2, q1 += q3
    fold(acc, d, 1, std::min(u16, 2));  // q0 += q1
    for (int i = 0; i < d; ++i) out[int64_t(g) * d + i] = acc[i];
  }
}

}  // namespace qvl::kernels
