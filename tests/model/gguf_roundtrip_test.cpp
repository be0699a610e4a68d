// GgufWriter -> GgufFile round trips: every metadata type (nested arrays included)
// and tensors of every block format we load, compared byte for byte.
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <random>

#include <gtest/gtest.h>

#include "base/error.h"
#include "model/gguf/gguf.h"

namespace qvl {
namespace {

std::string temp_path(const std::string& name) {
  return testing::TempDir() + "qvl_gguf_rt_" + std::to_string(getpid()) + "_" + name;
}

void expect_same(const GgufValue& a, const GgufValue& b, const std::string& key) {
  ASSERT_EQ(a.type, b.type) << key;
  if (a.type == GgufType::kArray) {
    ASSERT_EQ(a.elem_type, b.elem_type) << key;
    ASSERT_EQ(a.array.size(), b.array.size()) << key;
    for (size_t i = 0; i < a.array.size(); ++i) expect_same(a.array[i], b.array[i], key + "[" + std::to_string(i) + "]");
    return;
  }
  EXPECT_TRUE(a.scalar == b.scalar) << key;
}

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

TEST(GgufRoundTrip, EveryMetadataType) {
  using V = GgufValue;
  std::vector<std::pair<std::string, V>> kv = {
      {"t.u8", V::make_uint(GgufType::kU8, 255)},
      {"t.i8", V::make_int(GgufType::kI8, -128)},
      {"t.u16", V::make_uint(GgufType::kU16, 65535)},
      {"t.i16", V::make_int(GgufType::kI16, -32768)},
      {"t.u32", V::make_uint(GgufType::kU32, 4000000000u)},
      {"t.i32", V::make_int(GgufType::kI32, -2000000000)},
      {"t.u64", V::make_uint(GgufType::kU64, UINT64_MAX)},
      {"t.i64", V::make_int(GgufType::kI64, INT64_MIN)},
      {"t.f32", V::make_float(GgufType::kF32, 0.125)},  // exactly representable in f32
      {"t.f64", V::make_float(GgufType::kF64, 3.141592653589793)},
      {"t.bool_t", V::make_bool(true)},
      {"t.bool_f", V::make_bool(false)},
      {"t.str", V::make_string("héllo <|im_start|>")},
      {"t.str_empty", V::make_string("")},
      {"t.str_bin", V::make_string(std::string("a\0b\xff", 4))},
      {"t.arr_empty", V::make_array(GgufType::kI32, {})},
      {"t.arr_u8", V::make_array(GgufType::kU8, {V::make_uint(GgufType::kU8, 1), V::make_uint(GgufType::kU8, 2)})},
      {"t.arr_i64", V::make_array(GgufType::kI64, {V::make_int(GgufType::kI64, -5)})},
      {"t.arr_f64", V::make_array(GgufType::kF64, {V::make_float(GgufType::kF64, 1e300)})},
      {"t.arr_bool", V::make_array(GgufType::kBool, {V::make_bool(true), V::make_bool(false)})},
      {"t.nested", V::make_array(GgufType::kArray,
                                 {V::make_array(GgufType::kString, {V::make_string("x"), V::make_string("yz")}),
                                  V::make_array(GgufType::kString, {})})},
  };
  GgufWriter w;
  for (const auto& [k, v] : kv) w.set(k, v);
  w.set_u32("c.u32", 7);
  w.set_i32("c.i32", -7);
  w.set_f32("c.f32", 1.5f);
  w.set_bool("c.bool", true);
  w.set_string("c.str", "qwen3");
  w.set_string_array("c.strs", {"a", "", "Ġthe"});
  w.set_i32_array("c.i32s", {1, -2, 3});
  w.set_f32_array("c.f32s", {0.5f, -0.25f});
  w.set_u32("c.u32", 8);  // a second set replaces, it does not duplicate
  const std::string path = temp_path("meta.gguf");
  w.write(path);

  GgufFile f(path);
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.metadata().size(), kv.size() + 8);
  for (const auto& [k, v] : kv) expect_same(f.get(k), v, k);
  EXPECT_EQ(f.get("c.u32").as_int(), 8);
  EXPECT_EQ(f.get("c.i32").as_int(), -7);
  EXPECT_EQ(f.get("c.f32").as_double(), 1.5);
  EXPECT_TRUE(f.get("c.bool").as_bool());
  EXPECT_EQ(f.get("c.str").as_string(), "qwen3");
  EXPECT_EQ(f.get("c.strs").as_string_array(), (std::vector<std::string>{"a", "", "Ġthe"}));
  EXPECT_EQ(f.get("c.i32s").as_int_array(), (std::vector<int64_t>{1, -2, 3}));
  EXPECT_EQ(f.get("c.f32s").as_double_array(), (std::vector<double>{0.5, -0.25}));
  EXPECT_EQ(f.get("t.u8").as_double(), 255.0);
  EXPECT_TRUE(f.tensors().empty());
  unlink(path.c_str());
}

TEST(GgufRoundTrip, AccessorsRejectWrongTypes) {
  const GgufValue big = GgufValue::make_uint(GgufType::kU64, UINT64_MAX);
  EXPECT_THROW(big.as_int(), Error);
  EXPECT_THROW(GgufValue::make_string("x").as_int(), Error);
  EXPECT_THROW(GgufValue::make_int(GgufType::kI32, 1).as_string(), Error);
  EXPECT_THROW(GgufValue::make_int(GgufType::kI32, 1).as_bool(), Error);
  EXPECT_THROW(GgufValue::make_bool(true).as_double(), Error);
  EXPECT_THROW(GgufValue::make_string("x").as_int_array(), Error);
  EXPECT_THROW(GgufValue::make_uint(GgufType::kI32, 1), Error);
  EXPECT_THROW(GgufValue::make_array(GgufType::kU8, {GgufValue::make_bool(true)}), Error);
}

TEST(GgufRoundTrip, TensorsOfEveryLoadedType) {
  struct Case {
    DType dtype;
    std::vector<int64_t> shape;
  };
  const std::vector<Case> cases = {
      {DType::kF32, {3, 5}},        {DType::kF16, {7}},          {DType::kBF16, {2, 3, 4}},
      {DType::kQ8_0, {4, 64}},      {DType::kQ4_0, {2, 2, 2, 32}}, {DType::kQ4_1, {3, 32}},
      {DType::kQ5_0, {1, 96}},      {DType::kQ5_1, {5, 32}},     {DType::kQ4_K, {2, 256}},
      {DType::kQ5_K, {3, 512}},     {DType::kQ6_K, {1, 256}},    {DType::kF32, {0, 4}},
  };
  for (size_t alignment : {size_t{32}, size_t{64}, size_t{1}}) {
    GgufWriter w;
    w.set_string("general.architecture", "qwen3");
    std::vector<std::vector<uint8_t>> want;
    for (size_t i = 0; i < cases.size(); ++i) {
      Tensor t;
      t.dtype = cases[i].dtype;
      t.shape = cases[i].shape;
      want.push_back(random_bytes(t.nbytes(), static_cast<uint32_t>(i + 1)));
      w.add_tensor("t" + std::to_string(i), cases[i].dtype, cases[i].shape, want.back());
    }
    const std::vector<float> view_data = {1.0f, 2.0f, 3.0f, 4.0f};
    w.add_tensor_view("view", DType::kF32, {2, 2}, view_data.data());
    const std::string path = temp_path("tensors.gguf");
    w.write(path, alignment);

    GgufFile f(path);
    EXPECT_EQ(f.alignment(), alignment);
    ASSERT_EQ(f.tensors().size(), cases.size() + 1);
    for (size_t i = 0; i < cases.size(); ++i) {
      const Tensor* t = f.find_tensor("t" + std::to_string(i));
      ASSERT_NE(t, nullptr);
      EXPECT_EQ(t->dtype, cases[i].dtype);
      EXPECT_EQ(t->shape, cases[i].shape);  // outermost first, i.e. GGUF ne[] reversed
      ASSERT_EQ(t->nbytes(), want[i].size());
      if (!want[i].empty())
        EXPECT_EQ(0, std::memcmp(t->data, want[i].data(), want[i].size())) << dtype_info(cases[i].dtype).name;
      // mmap bases are page aligned, so file-relative alignment shows in the pointer.
      EXPECT_EQ(reinterpret_cast<uintptr_t>(t->data) % alignment, 0u);
    }
    const Tensor* v = f.find_tensor("view");
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(0, std::memcmp(v->data, view_data.data(), 16));
    EXPECT_EQ(f.find_tensor("missing"), nullptr);
    EXPECT_THROW(f.get("missing.key"), Error);
    unlink(path.c_str());
  }
}

TEST(GgufRoundTrip, WriterRejectsBadInput) {
  GgufWriter w;
  EXPECT_THROW(w.add_tensor("a", DType::kF32, {2, 2}, std::vector<uint8_t>(15)), Error);  // wrong byte count
  EXPECT_THROW(w.add_tensor("b", DType::kQ4_0, {1, 31}, std::vector<uint8_t>(18)), Error);  // partial block
  EXPECT_THROW(w.add_tensor("c", DType::kF32, {}, std::vector<uint8_t>(4)), Error);        // no dims
  EXPECT_THROW(w.add_tensor("d", DType::kF32, {1, 1, 1, 1, 1}, std::vector<uint8_t>(4)), Error);
  w.add_tensor("e", DType::kF32, {1}, std::vector<uint8_t>(4));
  EXPECT_THROW(w.add_tensor("e", DType::kF32, {1}, std::vector<uint8_t>(4)), Error);  // duplicate
  EXPECT_THROW(w.write(temp_path("x.gguf"), 24), Error);                              // not a power of two
  EXPECT_THROW(w.write("/nonexistent-dir/x.gguf"), Error);
  GgufValue bad;
  bad.type = GgufType::kU8;
  bad.scalar = uint64_t{300};
  w.set("bad", bad);
  EXPECT_THROW(w.write(temp_path("y.gguf")), Error);  // 300 does not fit in u8
}

}  // namespace
}  // namespace qvl
