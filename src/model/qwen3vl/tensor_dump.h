// Debug dump of named decoder intermediates (model layer), for layer-by-layer
// comparison with llama.cpp (tools/ref/llama_dump.cpp, tools/ref/compare_dumps.mjs).
// Off unless QVL_DUMP_DIR is set; it never changes what the forward computes.
#pragma once
#include <cstdint>
#include <string>

namespace qvl {

// True when QVL_DUMP_DIR names a directory (read once).
bool tensor_dump_enabled();

// Appends rows x cols floats (row-major: cols fastest, as ggml's ne0) to
// $QVL_DUMP_DIR as NNNN.bin with a line "NNNN.bin name - cols rows 1 1" in index.txt.
// `layer` >= 0 appends "-layer" to the name, as llama.cpp's graph callbacks do.
void tensor_dump(const std::string& name, int layer, const float* data, int64_t rows, int64_t cols);

}  // namespace qvl
