// Run-time dispatch for paged attention (kernels layer): by the cache's element type,
// then by ISA.
#include "base/cpu_features.h"
#include "kernels/attention.h"
#include "kernels/attention_q8_0.h"

namespace qvl::kernels {

void attention(const float* q, int n_group, int kv_head, const PagedKv& kv, float scale, float* out,
               float* scratch) {
  if (kv.type == KvType::kQ8_0) {
    if (active_isa() >= Isa::kAvx512) return attention_q8_0_avx512(q, n_group, kv_head, kv, scale, out, scratch);
    if (active_isa() >= Isa::kAvx2) return attention_q8_0_avx2(q, n_group, kv_head, kv, scale, out, scratch);
    return attention_q8_0_ref(q, n_group, kv_head, kv, scale, out, scratch);
  }
  if (active_isa() >= Isa::kAvx2) return attention_avx2(q, n_group, kv_head, kv, scale, out, scratch);
  attention_ref(q, n_group, kv_head, kv, scale, out, scratch);
}

}  // namespace qvl::kernels
