// Numerics profile of one loaded model (runtime layer): which arithmetic its text
// decoder mirrors. It travels with the model (ModelOptions, model/model.h) down to
// the ops that read it, so two models in one process can use different profiles.
#pragma once
#include <string>

namespace qvl {

enum class Numerics {
  kDefault,     // ggml's SIMD CPU builds' orders (docs/decisions/0003-llamacpp-numerics.md)
  kGgmlScalar,  // ggml's baseline x86-64 build (llama.node): kernels/ggml_scalar.h
};

// "default" | "ggml-scalar"; anything else throws qvl::Error naming the choices.
Numerics parse_numerics(const std::string& name);
const char* numerics_name(Numerics n);

}  // namespace qvl
