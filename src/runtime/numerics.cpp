// parse_numerics / numerics_name (runtime layer).
#include "runtime/numerics.h"

#include "base/error.h"

namespace qvl {

Numerics parse_numerics(const std::string& name) {
  if (name == "default") return Numerics::kDefault;
  if (name == "ggml-scalar") return Numerics::kGgmlScalar;
  throw Error("numerics expects default or ggml-scalar, got '" + name + "'");
}

const char* numerics_name(Numerics n) { return n == Numerics::kGgmlScalar ? "ggml-scalar" : "default"; }

}  // namespace qvl
