// GgufValue constructors and typed accessors (model layer). Parsing and writing
// live in gguf_reader.cpp / gguf_writer.cpp.
#include <limits>

#include "base/error.h"
#include "model/gguf/gguf.h"

namespace qvl {
namespace {

bool is_unsigned(GgufType t) {
  return t == GgufType::kU8 || t == GgufType::kU16 || t == GgufType::kU32 || t == GgufType::kU64;
}
bool is_signed(GgufType t) {
  return t == GgufType::kI8 || t == GgufType::kI16 || t == GgufType::kI32 || t == GgufType::kI64;
}
bool is_float(GgufType t) { return t == GgufType::kF32 || t == GgufType::kF64; }

}  // namespace

const char* gguf_type_name(GgufType t) {
  switch (t) {
    case GgufType::kU8: return "u8";
    case GgufType::kI8: return "i8";
    case GgufType::kU16: return "u16";
    case GgufType::kI16: return "i16";
    case GgufType::kU32: return "u32";
    case GgufType::kI32: return "i32";
    case GgufType::kF32: return "f32";
    case GgufType::kBool: return "bool";
    case GgufType::kString: return "string";
    case GgufType::kArray: return "array";
    case GgufType::kU64: return "u64";
    case GgufType::kI64: return "i64";
    case GgufType::kF64: return "f64";
  }
  return "?";
}

GgufValue GgufValue::make_uint(GgufType t, uint64_t v) {
  QVL_CHECK(is_unsigned(t), "make_uint: ", gguf_type_name(t), " is not an unsigned type");
  GgufValue g;
  g.type = t;
  g.scalar = v;
  return g;
}

GgufValue GgufValue::make_int(GgufType t, int64_t v) {
  QVL_CHECK(is_signed(t), "make_int: ", gguf_type_name(t), " is not a signed type");
  GgufValue g;
  g.type = t;
  g.scalar = v;
  return g;
}

GgufValue GgufValue::make_float(GgufType t, double v) {
  QVL_CHECK(is_float(t), "make_float: ", gguf_type_name(t), " is not a float type");
  GgufValue g;
  g.type = t;
  g.scalar = v;
  return g;
}

GgufValue GgufValue::make_bool(bool v) {
  GgufValue g;
  g.type = GgufType::kBool;
  g.scalar = v;
  return g;
}

GgufValue GgufValue::make_string(std::string v) {
  GgufValue g;
  g.type = GgufType::kString;
  g.scalar = std::move(v);
  return g;
}

GgufValue GgufValue::make_array(GgufType elem, std::vector<GgufValue> elems) {
  for (const GgufValue& e : elems)
    QVL_CHECK(e.type == elem, "make_array: element of type ", gguf_type_name(e.type), " in an array of ",
              gguf_type_name(elem));
  GgufValue g;
  g.type = GgufType::kArray;
  g.elem_type = elem;
  g.array = std::move(elems);
  return g;
}

int64_t GgufValue::as_int() const {
  if (const auto* s = std::get_if<int64_t>(&scalar); s && is_signed(type)) return *s;
  if (const auto* u = std::get_if<uint64_t>(&scalar); u && is_unsigned(type)) {
    QVL_CHECK(*u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()), "metadata value ", *u,
              " does not fit in a signed 64-bit integer");
    return static_cast<int64_t>(*u);
  }
  QVL_FAIL("metadata value of type ", gguf_type_name(type), " is not an integer");
}

double GgufValue::as_double() const {
  if (const auto* d = std::get_if<double>(&scalar); d && is_float(type)) return *d;
  if (const auto* s = std::get_if<int64_t>(&scalar); s && is_signed(type)) return static_cast<double>(*s);
  if (const auto* u = std::get_if<uint64_t>(&scalar); u && is_unsigned(type)) return static_cast<double>(*u);
  QVL_FAIL("metadata value of type ", gguf_type_name(type), " is not a number");
}

bool GgufValue::as_bool() const {
  const auto* b = std::get_if<bool>(&scalar);
  QVL_CHECK(b && type == GgufType::kBool, "metadata value of type ", gguf_type_name(type), " is not a bool");
  return *b;
}

const std::string& GgufValue::as_string() const {
  const auto* s = std::get_if<std::string>(&scalar);
  QVL_CHECK(s && type == GgufType::kString, "metadata value of type ", gguf_type_name(type), " is not a string");
  return *s;
}

std::vector<int64_t> GgufValue::as_int_array() const {
  QVL_CHECK(type == GgufType::kArray, "metadata value of type ", gguf_type_name(type), " is not an array");
  std::vector<int64_t> out;
  out.reserve(array.size());
  for (const GgufValue& e : array) out.push_back(e.as_int());
  return out;
}

std::vector<double> GgufValue::as_double_array() const {
  QVL_CHECK(type == GgufType::kArray, "metadata value of type ", gguf_type_name(type), " is not an array");
  std::vector<double> out;
  out.reserve(array.size());
  for (const GgufValue& e : array) out.push_back(e.as_double());
  return out;
}

std::vector<std::string> GgufValue::as_string_array() const {
  QVL_CHECK(type == GgufType::kArray, "metadata value of type ", gguf_type_name(type), " is not an array");
  std::vector<std::string> out;
  out.reserve(array.size());
  for (const GgufValue& e : array) out.push_back(e.as_string());
  return out;
}

}  // namespace qvl
