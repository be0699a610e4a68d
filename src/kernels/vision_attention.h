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

// One attention row in place: x = softmax(scale · x) over n finite scores, F32 with a
// float sum. The AVX2 path's vector exp is within ~1 ulp of expf (ref uses std::exp):
// outputs agree within 1e-6 relative. Not llama.cpp's order (softmax.h is that).
void vision_softmax_ref(float* x, int64_t n, float scale);
void vision_softmax_avx2(float* x, int64_t n, float scale);
void vision_softmax(float* x, int64_t n, float scale);  // AVX2 when active_isa() allows

}  // namespace qvl::kernels
