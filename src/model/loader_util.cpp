// Shape and dtype checks for loaded text weights (model layer): every mismatch ends
// in one line naming the file, the tensor, and both shapes.
#include "model/loader_util.h"

#include "base/error.h"
#include "runtime/matmul.h"
#include "runtime/quantize.h"
#include "runtime/repack.h"

namespace qvl {

static std::string shape_str(const std::vector<int64_t>& s) {
  Tensor t;
  t.shape = s;
  return t.shape_str();
}

void expect_shape(const std::string& where, const Tensor& t, const std::vector<int64_t>& shape) {
  QVL_CHECK(t.data, where, ": missing tensor ", t.name);
  QVL_CHECK(t.shape == shape, where, ": tensor ", t.name, " has shape ", t.shape_str(), ", expected ",
            shape_str(shape));
}

void expect_matrix(const std::string& where, const Tensor& t, const std::vector<int64_t>& shape) {
  expect_shape(where, t, shape);
  QVL_CHECK(matmul_supported(t.dtype), where, ": tensor ", t.name, " has type ", dtype_info(t.dtype).name,
            ", which matmul cannot use");
}

std::vector<float> norm_to_f32(const std::string& where, const Tensor& t, int64_t n) {
  expect_shape(where, t, {n});
  QVL_CHECK(can_dequantize(t.dtype), where, ": tensor ", t.name, " has unreadable type ", dtype_info(t.dtype).name);
  std::vector<float> out(static_cast<size_t>(n));
  dequantize_row(t.dtype, t.data, out.data(), n);
  return out;
}

void check_text_weights(const std::string& where, const TextConfig& c, const TextWeights& w) {
  const int64_t H = c.hidden_size, V = c.vocab_size, d = c.head_dim;
  const int64_t q = c.num_attention_heads * d, kv = c.num_key_value_heads * d;
  expect_matrix(where, w.token_embd, {V, H});
  QVL_CHECK(can_dequantize(w.token_embd.dtype), where, ": token embedding type ",
            dtype_info(w.token_embd.dtype).name, " cannot be read");
  expect_matrix(where, w.output, {V, H});
  for (const LayerWeights& l : w.layers) {
    expect_matrix(where, l.attn_q, {q, H});
    expect_matrix(where, l.attn_k, {kv, H});
    expect_matrix(where, l.attn_v, {kv, H});
    expect_matrix(where, l.attn_output, {H, q});
    if (c.is_moe()) {
      const int64_t E = c.num_experts, I = c.moe_intermediate_size;
      expect_matrix(where, l.ffn_gate_inp, {E, H});
      expect_matrix(where, l.ffn_gate_exps, {E, I, H});
      expect_matrix(where, l.ffn_up_exps, {E, I, H});
      expect_matrix(where, l.ffn_down_exps, {E, H, I});
    } else {
      const int64_t I = c.intermediate_size;
      expect_matrix(where, l.ffn_gate, {I, H});
      expect_matrix(where, l.ffn_up, {I, H});
      expect_matrix(where, l.ffn_down, {H, I});
    }
  }
}

void pack_text_weights(TextWeights& w, const ProgressFn& progress) {
  const int64_t n = static_cast<int64_t>(w.layers.size()) + 1;
  repack_weight(w.output, w.owned, false);
  if (progress) progress(1, n);
  int64_t done = 1;
  for (LayerWeights& lw : w.layers) {
    for (Tensor* t : {&lw.attn_q, &lw.attn_k, &lw.attn_v, &lw.attn_output, &lw.ffn_gate, &lw.ffn_up, &lw.ffn_down,
                      &lw.ffn_gate_inp})
      repack_weight(*t, w.owned, false);
    for (Tensor* t : {&lw.ffn_gate_exps, &lw.ffn_up_exps, &lw.ffn_down_exps}) repack_weight(*t, w.owned, true);
    if (progress) progress(++done, n);
  }
}

}  // namespace qvl
