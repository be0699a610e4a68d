// 2-D rotary embedding of the Qwen3-VL ViT (kernels layer). Legend: n_tok tokens,
// n_head heads of head_dim (dv). Pair i ∈ [0, dv/2) rotates (x[i], x[i + dv/2]) by
// angle pos·f_j with f_j = theta^(−4j/dv): pairs [0, dv/4) use the row (j = i),
// pairs [dv/4, dv/2) the column (j = i − dv/4). cos/sin in F32, as HF computes them.
// Reference in ref/vision_rope.cpp; tests compare with a double-precision formula.
#pragma once
#include <cstdint>

namespace qvl::kernels {

// x: token t's head h starts at x + t·row_stride + h·head_dim; rotated in place.
// rows/cols: [n_tok] patch coordinates. head_dim must be a multiple of 4.
void vision_rope_ref(float* x, int64_t row_stride, int64_t n_tok, int n_head, int head_dim, const int32_t* rows,
                     const int32_t* cols, float theta);

}  // namespace qvl::kernels
