// Bidirectional (unmasked) attention of the ViT for one head and a range of query
// rows (kernels layer): out_i = Σ_j softmax_j(scale · q_i·k_j) v_j over all n_kv keys.
// Scores and softmax in F32 with the max subtracted; tests allow 1e-5 relative.
// Reference in ref/vision_attention.cpp. Callers split heads × query rows over threads.
#pragma once
#include <cstdint>

namespace qvl::kernels {

// q, k, v: token t's vector for this head at base + t·stride (head_dim floats).
// out: query i's result at out + i·out_stride. scratch: n_kv floats.
void vision_attention_ref(const float* q, const float* k, const float* v, int64_t stride, int64_t q_begin,
                          int64_t q_end, int64_t n_kv, int head_dim, float scale, float* out, int64_t out_stride,
                          float* scratch);

}  // namespace qvl::kernels
