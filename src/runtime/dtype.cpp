#include "runtime/dtype.h"

#include <strings.h>

#include "base/error.h"

namespace qvl {
namespace {

struct Entry {
  DType t;
  DTypeInfo info;
};

constexpr Entry kTypes[] = {
    {DType::kF32, {"f32", 1, 4, false}},     {DType::kF16, {"f16", 1, 2, false}},
    {DType::kQ4_0, {"q4_0", 32, 18, true}},  {DType::kQ4_1, {"q4_1", 32, 20, true}},
    {DType::kQ5_0, {"q5_0", 32, 22, true}},  {DType::kQ5_1, {"q5_1", 32, 24, true}},
    {DType::kQ8_0, {"q8_0", 32, 34, true}},  {DType::kQ8_1, {"q8_1", 32, 36, true}},
    {DType::kQ2_K, {"q2_K", 256, 84, true}}, {DType::kQ3_K, {"q3_K", 256, 110, true}},
    {DType::kQ4_K, {"q4_K", 256, 144, true}}, {DType::kQ5_K, {"q5_K", 256, 176, true}},
    {DType::kQ6_K, {"q6_K", 256, 210, true}}, {DType::kQ8_K, {"q8_K", 256, 292, true}},
    {DType::kI8, {"i8", 1, 1, false}},       {DType::kI16, {"i16", 1, 2, false}},
    {DType::kI32, {"i32", 1, 4, false}},     {DType::kI64, {"i64", 1, 8, false}},
    {DType::kF64, {"f64", 1, 8, false}},     {DType::kBF16, {"bf16", 1, 2, false}},
};

const Entry* find(uint32_t id) {
  for (const Entry& e : kTypes)
    if (static_cast<uint32_t>(e.t) == id) return &e;
  return nullptr;
}

}  // namespace

bool dtype_known(uint32_t id) { return find(id) != nullptr; }

const DTypeInfo& dtype_info(DType t) {
  const Entry* e = find(static_cast<uint32_t>(t));
  QVL_CHECK(e, "unknown tensor type id ", static_cast<uint32_t>(t));
  return e->info;
}

size_t row_bytes(DType t, int64_t n) {
  const DTypeInfo& i = dtype_info(t);
  QVL_CHECK(n % i.block_size == 0, "row of ", n, " elements is not a multiple of ", i.name, "'s block size ",
            i.block_size);
  return static_cast<size_t>(n / i.block_size) * i.type_size;
}

DType dtype_from_name(const char* name) {
  for (const Entry& e : kTypes)
    if (!strcasecmp(e.info.name, name)) return e.t;
  QVL_FAIL("unknown type name '", name, "'");
}

}  // namespace qvl
