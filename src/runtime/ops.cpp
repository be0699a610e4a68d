// Thread splitting and shape checks for the decoder ops (runtime layer); the math is
// in kernels/{norm,activation,rope,attention}.
#include "runtime/ops.h"

#include <algorithm>
#include <vector>

#include "base/error.h"
#include "base/thread_pool.h"
#include "kernels/activation.h"
#include "kernels/norm.h"

namespace qvl {

void op_rms_norm(const float* x, const float* w, float* y, int64_t n_rows, int64_t n, float eps, ThreadPool& pool) {
  QVL_CHECK(n > 0, "rms_norm: empty rows");
  // ~16K floats per chunk keeps tiny decode batches on one thread (waking costs more).
  const int64_t grain = std::max<int64_t>(1, 16384 / n);
  pool.parallel_for(n_rows, grain, [&](int64_t b, int64_t e) {
    kernels::rms_norm(x + b * n, w, y + b * n, e - b, n, eps);
  });
}

void op_silu_mul(const float* gate, int64_t gate_stride, const float* up, int64_t up_stride, float* out,
                 int64_t out_stride, int64_t n_rows, int64_t n, ThreadPool& pool) {
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(n, 1));
  pool.parallel_for(n_rows, grain, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) kernels::silu_mul(gate + r * gate_stride, up + r * up_stride, out + r * out_stride, n);
  });
}

void op_rope(float* q, int n_head, float* k, int n_head_kv, const std::vector<std::array<int32_t, 3>>& pos,
             const kernels::RopeParams& p, ThreadPool& pool) {
  QVL_CHECK(p.head_dim % 2 == 0, "rope: odd head_dim ", p.head_dim);
  const int d = p.head_dim;
  pool.parallel_for(int64_t(pos.size()), 4, [&](int64_t b, int64_t e) {
    std::vector<float> cs(d);
    for (int64_t i = b; i < e; ++i) {
      kernels::rope_cos_sin(p, pos[i], cs.data(), cs.data() + d / 2);
      kernels::rope_apply(q + i * n_head * d, n_head, d, cs.data(), cs.data() + d / 2);
      kernels::rope_apply(k + i * n_head_kv * d, n_head_kv, d, cs.data(), cs.data() + d / 2);
    }
  });
}

void op_attention(const float* q, const std::vector<kernels::PagedKv>& kv, int n_head, float scale, float* out,
                  ThreadPool& pool) {
  if (kv.empty()) return;
  const int n_head_kv = kv[0].n_head_kv, d = kv[0].head_dim;
  QVL_CHECK(n_head_kv > 0 && n_head % n_head_kv == 0, "attention: ", n_head, " query heads do not divide into ",
            n_head_kv, " kv heads");
  const int n_group = n_head / n_head_kv;
  const int64_t n_work = int64_t(kv.size()) * n_head_kv;
  int64_t max_kv = 0;
  for (const auto& v : kv) max_kv = std::max(max_kv, v.n_kv);
  const int64_t scratch_n = kernels::attention_scratch_floats(n_group, d, max_kv);
  // Short decode steps over short caches are a few microseconds of work: waking the
  // pool would cost more, so they run inline (grain = all of it).
  int64_t macs = 0;
  for (const auto& v : kv) macs += 2 * v.n_kv * n_head * d;
  const int64_t grain = macs < (int64_t(1) << 16) ? n_work : 1;
  pool.parallel_for(n_work, grain, [&](int64_t b, int64_t e) {
    std::vector<float> scratch(scratch_n);
    for (int64_t w = b; w < e; ++w) {
      const int64_t i = w / n_head_kv;
      const int h = int(w % n_head_kv);
      const int64_t off = (i * n_head + int64_t(h) * n_group) * d;
      kernels::attention(q + off, n_group, h, kv[i], scale, out + off, scratch.data());
    }
  });
}

}  // namespace qvl
