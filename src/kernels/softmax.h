// Softmax over a row (kernels layer): p = exp(x - max) / Σ exp(x - max), in place, F32.
// Reference in ref/softmax.cpp, AVX2 in cpu/softmax_avx2.cpp. Used by the MoE router
// and by attention; no threads here.
#pragma once
#include <cstdint>

namespace qvl::kernels {

// ggml_vec_soft_max_f32's arithmetic, so the MoE router and attention match
// llama.cpp bit for bit: x[i] = exp(x[i] - mx) with ggml's vector exp on full
// 16-lane groups (all of them when all_vector: llama.cpp pads attention rows to a
// multiple of 256, so no element takes the libm tail) and libm expf on the rest;
// returns Σ in double, one term per group (its lanes summed as _mm512_reduce_add_ps)
// plus one per tail element.
// softmax_exp_sum picks the AVX2 body when active_isa() allows; the two give the
// same bits (exp_ggml_avx2 is expf_ggml lane by lane).
double softmax_exp_sum_ref(float* x, int64_t n, float mx, bool all_vector);
double softmax_exp_sum_avx2(float* x, int64_t n, float mx, bool all_vector);
double softmax_exp_sum(float* x, int64_t n, float mx, bool all_vector);

// x: [n] in place, n >= 1, finite values: softmax_exp_sum, then x · float(1 / Σ).
// AVX2 and ref are identical.
void softmax_ref(float* x, int64_t n);
void softmax_avx2(float* x, int64_t n);
void softmax(float* x, int64_t n);

}  // namespace qvl::kernels
