// Private to model/vision: the ViT steps as llama.cpp's ggml CPU backend computes
// them (see vision_ggml_ops.cpp), for --vision-compat llama parity runs. Each
// mirrors one ggml op of clip.cpp's Qwen3-VL graph; the HF path does not use them.
#pragma once
#include <cstdint>
#include <vector>

#include "input/image/preprocess.h"
#include "runtime/tensor.h"

namespace qvl {
class ThreadPool;
}

namespace qvl::ggml_ops {

// ggml_mul_mat + ggml_add(bias): F16 weights take activations rounded to F16 and
// double sums; other dtypes go through runtime matmul. y [n, w.shape[0]].
void linear(const Tensor& w, const std::vector<float>& b, const float* x, int64_t n, float* y, ThreadPool& pool);
// ggml_norm then ggml_mul(w) then ggml_add(b) over rows of n values.
void layer_norm(const float* x, const std::vector<float>& w, const std::vector<float>& b, float* y, int64_t rows,
                int64_t n, float eps, ThreadPool& pool);
// ggml_gelu with GGML_GELU_FP16: tanh GELU looked up in an F16 table.
void gelu(float* x, int64_t n);
// ggml_rope_multi(GGML_ROPE_TYPE_VISION) with Qwen3-VL's sections; in place on q or k.
void vision_rope(float* x, int64_t row_stride, int64_t n_tok, int n_head, int head_dim, const int32_t* rows,
                 const int32_t* cols);
// ggml_flash_attn_ext with K/V cast to F16 (clip.cpp's build_attn), per frame.
// Layout as vision_attention() in vision_internal.h.
void flash_attention(const float* qkv, int64_t n_frames, int64_t per_frame, int64_t nh, int64_t dv, float scale,
                     float* out, ThreadPool& pool);
// ggml_interpolate(BILINEAR | ALIGN_CORNERS) of the [side², hv] table to gh x gw
// (the table itself when the grid is side x side), raster order.
std::vector<float> interpolate_bilinear(const std::vector<float>& table, int64_t side, int64_t hv, int gh, int gw);
// Per-frame ggml_conv_2d (im2col to F16) summed over frames, plus the bias:
// [n_patches, hv] in pv's row order. w16[t]: frame t's kernel [hv, 3·p·p] as F16.
std::vector<float> patch_embed(const std::vector<std::vector<uint16_t>>& w16, const std::vector<float>& bias,
                               const PixelValues& pv, int64_t hv, ThreadPool& pool);

}  // namespace qvl::ggml_ops
