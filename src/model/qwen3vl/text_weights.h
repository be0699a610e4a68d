// Weight views of the Qwen3 / Qwen3-VL text decoder (model layer). Matrices are
// Tensor views into the mapped file in its own dtype, [n_out, n_in] (PyTorch order);
// norm vectors are copied to F32 at load. Names follow the GGUF tensor names.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/tensor.h"

namespace qvl {

struct LayerWeights {
  std::vector<float> attn_norm;    // [H] F32 (input_layernorm)
  std::vector<float> attn_q_norm;  // [d] F32, shared by every query head
  std::vector<float> attn_k_norm;  // [d] F32
  std::vector<float> ffn_norm;     // [H] F32 (post_attention_layernorm)
  Tensor attn_q;                   // [nh·d, H]
  Tensor attn_k;                   // [nkv·d, H]
  Tensor attn_v;                   // [nkv·d, H]
  Tensor attn_output;              // [H, nh·d]
  // Dense SwiGLU MLP
  Tensor ffn_gate, ffn_up;         // [I, H]
  Tensor ffn_down;                 // [H, I]
  // MoE: router and experts stacked outermost (expert e's matrix is rows [e·n_out, (e+1)·n_out))
  Tensor ffn_gate_inp;             // [E, H]
  Tensor ffn_gate_exps, ffn_up_exps;  // [E, I_moe, H]
  Tensor ffn_down_exps;            // [E, H, I_moe]
};

struct TextWeights {
  Tensor token_embd;               // [vocab, H]
  std::vector<float> output_norm;  // [H] F32
  Tensor output;                   // [vocab, H]; = token_embd when tied
  std::vector<LayerWeights> layers;
  // Bytes re-laid out at load (HF fused experts transposed to [E, n_out, n_in]);
  // the views above may point here. Also keeps the mapped file alive.
  std::vector<std::vector<uint8_t>> owned;
  std::shared_ptr<void> keepalive;
};

// Expert e's [n_out, n_in] matrix inside a stacked [E, n_out, n_in] tensor.
Tensor expert_slice(const Tensor& stacked, int64_t e);

}  // namespace qvl
