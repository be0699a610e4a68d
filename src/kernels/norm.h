// RMSNorm kernels (kernels layer): y = w ⊙ x / sqrt(mean(x²) + eps), one row at a time,
// F32 in and out. Reference in ref/norm.cpp, AVX2 in cpu/norm_avx2.cpp; no threads here.
#pragma once
#include <cstdint>

namespace qvl::kernels {

// 1 / sqrt(mean(x²) + eps) computed as ggml's rms_norm does, so greedy decoding
// matches llama.cpp bit for bit: each square rounded to F32, summed in double in
// index order, the mean rounded to F32, then 1.0f / sqrtf in F32.
float rms_norm_scale(const float* x, int64_t n, float eps);

// x, y: [n_rows, n] row-major (y may equal x); w: [n] or nullptr (no scale).
// y = (x · scale) · w in F32. Both paths share rms_norm_scale, so they agree exactly.
void rms_norm_ref(const float* x, const float* w, float* y, int64_t n_rows, int64_t n, float eps);
void rms_norm_avx2(const float* x, const float* w, float* y, int64_t n_rows, int64_t n, float eps);
// Picks the best compiled path allowed by active_isa().
void rms_norm(const float* x, const float* w, float* y, int64_t n_rows, int64_t n, float eps);

}  // namespace qvl::kernels
