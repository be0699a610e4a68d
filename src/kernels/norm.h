// RMSNorm kernels (kernels layer): y = w ⊙ x / sqrt(mean(x²) + eps), one row at a time,
// F32 in and out. Reference in ref/norm.cpp, AVX2 in cpu/norm_avx2.cpp; no threads here.
#pragma once
#include <cstdint>

namespace qvl::kernels {

// x, y: [n_rows, n] row-major (y may equal x); w: [n] or nullptr (no scale).
// Ref accumulates the sum of squares in double (oracle); AVX2 in 8 F32 lanes, so
// tests allow ~n·2^-24 relative error.
void rms_norm_ref(const float* x, const float* w, float* y, int64_t n_rows, int64_t n, float eps);
void rms_norm_avx2(const float* x, const float* w, float* y, int64_t n_rows, int64_t n, float eps);
// Picks the best compiled path allowed by active_isa().
void rms_norm(const float* x, const float* w, float* y, int64_t n_rows, int64_t n, float eps);

}  // namespace qvl::kernels
