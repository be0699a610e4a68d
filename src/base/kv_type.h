// Element type of the KV cache (`--kv-type`): F16 (default, llama.cpp's default and
// what the parity tests pin) or Q8_0 (ggml's block of 32 int8 + one F16 scale,
// 34 bytes per 32 values: 0.53x the memory). docs/decisions/0014-kv-q8_0.md.
#pragma once
#include <string>

#include "base/error.h"

namespace qvl {

enum class KvType { kF16, kQ8_0 };

inline KvType parse_kv_type(const std::string& s) {
  if (s == "f16") return KvType::kF16;
  if (s == "q8_0") return KvType::kQ8_0;
  throw Error("kv type expects f16 or q8_0, got '" + s + "'");
}

inline const char* kv_type_name(KvType t) { return t == KvType::kQ8_0 ? "q8_0" : "f16"; }

}  // namespace qvl
