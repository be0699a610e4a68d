// The Qwen3 / Qwen3-VL text decoder (model layer): dense or MoE layers, per-head
// q/k RMSNorm, GQA over the paged KV cache, 1-D or interleaved MRoPE, DeepStack adds.
// Mirrors HF `Qwen3VLTextModel.forward`; it does not schedule, sample or see pixels.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "model/model.h"
#include "model/qwen3vl/text_weights.h"
#include "runtime/numerics.h"

namespace qvl {

class Qwen3TextModel : public Model {
 public:
  Qwen3TextModel(TextConfig cfg, TextWeights w, Tokenizer tok, std::string chat_template, std::string name);

  const TextConfig& config() const override { return cfg_; }
  const Tokenizer& tokenizer() const override { return tok_; }
  const std::string& chat_template_source() const override { return template_; }
  const std::string& name() const override { return name_; }
  void forward(const Batch& batch, KvCache& kv, float* logits, ThreadPool& pool) override;

  const TextWeights& weights() const { return w_; }
  // The arithmetic profile of this model's decoder (runtime/numerics.h); set before
  // the first forward (load_model does it from ModelOptions).
  void set_numerics(Numerics n) { numerics_ = n; }
  Numerics numerics() const { return numerics_; }

 private:
  void check_batch(const Batch& b, KvCache& kv) const;
  void attention_block(int layer, const Batch& b, KvCache& kv, ThreadPool& pool);
  // single: per row, see runtime/matmul.h.
  void mlp_block(int layer, int64_t n, ThreadPool& pool, const uint8_t* single);

  TextConfig cfg_;
  TextWeights w_;
  Tokenizer tok_;
  std::string template_, name_;
  Numerics numerics_ = Numerics::kDefault;
  // Activation scratch, reused across calls (forward is called from one engine thread).
  std::vector<float> x_, h_, q_, k_, v_, att_, tmp_, gate_, up_;
  std::vector<uint8_t> single_, ones_;  // per-token matmul order flags (runtime/matmul.h)
};

// MoE feed-forward (HF `Qwen3VLMoeTextSparseMoeBlock`): softmax router over all
// experts, top-k, optional renormalisation, weighted sum of SwiGLU experts.
// h, out: [n, H]. Exposed for tests.
// single: per token, as runtime/matmul.h (the router is a plain matmul in llama.cpp;
// the experts are always in batch-of-one order: ggml's mul_mat_id uses vec_dot).
void moe_forward(const TextConfig& cfg, const LayerWeights& lw, const float* h, int64_t n, float* out,
                 ThreadPool& pool, const uint8_t* single = nullptr, Numerics numerics = Numerics::kDefault);
// Router part alone: for each token, top-k expert ids and weights (k = num_experts_per_tok).
void moe_route(const TextConfig& cfg, const float* router_logits, int64_t n, int32_t* ids, float* weights,
               Numerics numerics = Numerics::kDefault);

}  // namespace qvl
