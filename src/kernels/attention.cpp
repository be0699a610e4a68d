// Run-time dispatch for paged attention (kernels layer).
#include "base/cpu_features.h"
#include "kernels/attention.h"

namespace qvl::kernels {

void attention(const float* q, int n_group, int kv_head, const PagedKv& kv, float scale, float* out,
               float* scratch) {
  if (active_isa() >= Isa::kAvx2) return attention_avx2(q, n_group, kv_head, kv, scale, out, scratch);
  attention_ref(q, n_group, kv_head, kv, scale, out, scratch);
}

}  // namespace qvl::kernels
