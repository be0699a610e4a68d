// linear() and embed_rows() (model layer): thin forwards to runtime/matmul.h, whose
// activation quantisation mirrors llama.cpp (see docs/ARCHITECTURE.md "Numerics").
#include "model/qwen3vl/linear.h"

#include "runtime/matmul.h"

namespace qvl {

void linear(const Tensor& w, const float* x, int64_t n_tok, float* y, ThreadPool& pool, const uint8_t* single,
            Numerics numerics) {
  matmul(w, x, n_tok, y, pool, single, numerics);
}

void embed_rows(const Tensor& w, const int32_t* ids, int64_t n, float* out) { get_rows(w, ids, n, out); }

}  // namespace qvl
