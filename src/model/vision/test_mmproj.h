// Random-weight Qwen3-VL vision towers of real shapes for tests and parity runs
// (model layer). Writes llama.cpp's mmproj GGUF layout or an HF safetensors
// directory (model.visual.*); it never writes the text model.
#pragma once
#include <cstdint>
#include <string>

namespace qvl {

// shape: "tiny" (depth 4, width 128, 2 heads, DeepStack taps [1,2,3]) or
// "2b" | "4b" | "8b" (spec §1 vision rows). text_hidden = out_hidden_size (the
// text model's hidden_size). format: "gguf" (one mmproj file at `path`) or "hf"
// (`path` is a directory; writes model-visual.safetensors and adds a
// "vision_config" to config.json if that file exists, else creates it).
// f32_matrices: GGUF weight matrices in F32 instead of F16 (as a convert with
// --outtype f32 writes them); for benchmarks of the F32 path.
void write_test_mmproj(const std::string& shape, int64_t text_hidden, uint64_t seed, const std::string& path,
                       const std::string& format, bool f32_matrices = false);

}  // namespace qvl
