// Q4_0 / Q4_K / Q8_0 weights re-laid out 8 rows at a time for multi-row int8
// kernels, and the matmul kernels on that layout (kernels layer). Q4_0 and Q4_K take
// the arithmetic of ggml's x86 repacked gemm/gemv (q4_0_8x8_q8_0, q4_K_8x8_q8_K), so
// logits match llama.cpp bit for bit. llama.cpp does not repack Q8_0 on x86; qvl
// does, in the Q4_0 order (decision 0018), which is not ggml's x86 Q8_0 order. The
// byte layouts are our own. No allocation, no threads.
#pragma once
#include <cstddef>
#include <cstdint>

#include "base/cpu_features.h"
#include "kernels/quant_blocks.h"

namespace qvl {

constexpr int kRepackRows = 8;  // weight rows per packed group

// One 32-element block of 8 rows. qs[32g + 4r + i] is byte 4g + i of row r's
// BlockQ4_0::qs (g < 4): its low nibble is element 4g + i, its high one 16 + 4g + i.
// So 32 bytes at 32g hold quad g of all 8 rows, one 32-bit word per row.
struct PackedQ4_0x8 {
  uint16_t d[kRepackRows];
  uint8_t qs[kRepackRows * kQK / 2];
};
// One 256-element super-block of 8 rows. sc/m are the unpacked 6-bit scales and
// mins, [sub-block][row]. qs[256c + 32g + 4r + i] is byte 32c + 4g + i of row r's
// BlockQ4_K::qs (c < 4, g < 8): low nibble = element 64c + 4g + i (sub-block 2c),
// high nibble = element 64c + 32 + 4g + i (sub-block 2c + 1).
struct PackedQ4_Kx8 {
  uint16_t d[kRepackRows], dmin[kRepackRows];
  uint8_t sc[8][kRepackRows], m[8][kRepackRows];
  uint8_t qs[kRepackRows * kQK_K / 2];
};
// One 32-element block of 8 Q8_0 rows. qs[32g + 4r + i] is code 4g + i of row r
// (g < 8): 32 bytes at 32g hold word g of all 8 rows, one 32-bit word per row.
struct PackedQ8_0x8 {
  uint16_t d[kRepackRows];
  int8_t qs[kRepackRows * kQK];
};
static_assert(sizeof(PackedQ4_0x8) == 144);
static_assert(sizeof(PackedQ8_0x8) == 272);
static_assert(sizeof(PackedQ4_Kx8) == 1184);

// Packed bytes of a [rows, k] weight (rows a multiple of 8; group-major: all blocks
// of rows 0-7, then rows 8-15, ...). 0 for a type with no packed layout.
size_t repacked_bytes_q4_0(int64_t rows, int64_t k);
size_t repacked_bytes_q4_K(int64_t rows, int64_t k);
size_t repacked_bytes_q8_0(int64_t rows, int64_t k);
// rows x k weight in GGUF row layout -> packed layout. rows % 8 == 0.
void repack_q4_0(const void* src, int64_t rows, int64_t k, void* dst);
void repack_q4_K(const void* src, int64_t rows, int64_t k, void* dst);
void repack_q8_0(const void* src, int64_t rows, int64_t k, void* dst);

// Activation rows for the q4_0 and q8_0 kernels (q8_0 ignores the sums): k/32 BlockQ8_0 blocks followed by k/32
// int16 block sums of the codes (the kernels use unsigned nibbles and take 8 * sum
// back out, which keeps the integer dot exact).
size_t repack_act_bytes_q8_0(int64_t k);
void quantize_row_q8_0_sums(const float* x, void* y, int64_t k);
// Q8_K the way ggml_quantize_mat_q8_K_4x8 (x86) rounds its 4-row groups: as
// quantize_row_q8_K, except that the scale is negative whenever some positive
// element attains max |x| (quantize_row_q8_K takes the first element with max |x|).
void quantize_row_q8_K_x4(const float* x, void* y, int64_t k);

// Float accumulation order, one value per (row, token):
// - q4_0 and q8_0: acc = fma(float(int dot of block b), d_w * d_x, acc) over blocks
//   b. For q8_0 this is not ggml's x86 order (8 float lanes of 4-code sums per
//   block, tinyBLAS / ggml_vec_dot_q8_0_q8_0): the whole block's integer dot is
//   exact, then one rounding per block.
// - q4_K kGemv (ggml gemv; MUL_MAT_ID and the n % 4 tail tokens): per super-block,
//   acc = fma(float(sum_j sc_j * dot_j), d * d_x, acc), accm likewise with mins,
//   dmin and the 32-element code sums; out = acc - accm.
// - q4_K kGemm (ggml gemm, groups of 4 tokens): the same, with one fma per pair of
//   sub-blocks (64 elements) instead of one per super-block.
enum class RepackOrder { kGemv, kGemm };

// out[t * out_stride + r] for rows r < n_rows (a multiple of 8) of the packed
// weight w and activation rows t < n_x (1..kRepackMaxCols) x_t = x + t * x_stride.
using RepackMatmulFn = void (*)(int64_t k, const void* w, int64_t n_rows, const void* x, size_t x_stride,
                                int n_x, float* out, size_t out_stride, RepackOrder order);
constexpr int kRepackMaxCols = 4;

using RepackQuantizeFn = void (*)(const float* x, void* y, int64_t k);

// The matmuls and, byte-identical on every ISA, the three activation quantisers.
struct RepackKernels {
  RepackMatmulFn q4_0, q4_K, q8_0;
  RepackQuantizeFn q8_0_sums, q8_K, q8_K_x4;  // quantize_row_q8_0_sums, _q8_K, _q8_K_x4
};

const RepackKernels& repack_kernels(Isa isa);
inline const RepackKernels& repack_kernels() { return repack_kernels(active_isa()); }

extern const RepackKernels kRepackRef;     // ref/repack_ref.cpp
extern const RepackKernels kRepackAvx2;    // cpu/repack_avx2.cpp
extern const RepackKernels kRepackAvx512;  // cpu/repack_avx512.cpp

}  // namespace qvl
