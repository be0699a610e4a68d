// Helpers shared by the GGUF and HF loaders (model layer, private): shape checks
// with one-line errors naming the tensor, norm vectors to F32, byte re-layout.
#pragma once
#include <string>
#include <vector>

#include "base/progress.h"
#include "model/config.h"
#include "model/qwen3vl/text_weights.h"
#include "runtime/tensor.h"

namespace qvl {

// Throws "<where>: tensor <name> has shape [..], expected [..]" on mismatch, and
// "<where>: tensor <name> has type X, which matmul cannot use" for matrices.
void expect_shape(const std::string& where, const Tensor& t, const std::vector<int64_t>& shape);
void expect_matrix(const std::string& where, const Tensor& t, const std::vector<int64_t>& shape);
std::vector<float> norm_to_f32(const std::string& where, const Tensor& t, int64_t n);
// Checks every tensor of a loaded model against its config.
void check_text_weights(const std::string& where, const TextConfig& cfg, const TextWeights& w);
// Packed copies (runtime/repack.h) of every eligible matrix the decoder multiplies
// with, kept in w.owned: llama.cpp's CPU repack buffer does the same at load.
// Reports (layers done, layers) to PROGRESS when given: repacking reads every
// weight page of a memory-mapped file, the slow part of a load from disk.
void pack_text_weights(TextWeights& w, const ProgressFn& progress = {});

}  // namespace qvl
