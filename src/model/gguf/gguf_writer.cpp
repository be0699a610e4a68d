// GgufWriter (model layer): serialises metadata in insertion order, tensor infos,
// then tensor data padded to the alignment. Does not quantise or convert data.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>

#include "base/error.h"
#include "model/gguf/gguf.h"

namespace qvl {
namespace {

constexpr uint32_t kMagic = 0x46554747;
constexpr uint32_t kVersion = 3;

// Appends little-endian encodings to a byte buffer (the header is small; tensor
// data is streamed separately so large models are not copied twice).
class Out {
 public:
  std::vector<uint8_t> buf;

  template <typename T>
  void put(T v) {
    const size_t n = buf.size();
    buf.resize(n + sizeof(T));
    std::memcpy(buf.data() + n, &v, sizeof(T));
  }
  void put_string(const std::string& s) {
    put<uint64_t>(s.size());
    buf.insert(buf.end(), s.begin(), s.end());
  }
};

template <typename T>
T checked_int(const GgufValue& v, const std::string& key) {
  if (const auto* u = std::get_if<uint64_t>(&v.scalar)) {
    QVL_CHECK(*u <= static_cast<uint64_t>(std::numeric_limits<T>::max()), "metadata '", key, "': value ", *u,
              " out of range for ", gguf_type_name(v.type));
    return static_cast<T>(*u);
  }
  if (const auto* s = std::get_if<int64_t>(&v.scalar)) {
    QVL_CHECK(*s >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
                  (*s < 0 || static_cast<uint64_t>(*s) <= static_cast<uint64_t>(std::numeric_limits<T>::max())),
              "metadata '", key, "': value ", *s, " out of range for ", gguf_type_name(v.type));
    return static_cast<T>(*s);
  }
  QVL_FAIL("metadata '", key, "': ", gguf_type_name(v.type), " value does not hold an integer");
}

void put_value(Out& o, const GgufValue& v, const std::string& key) {
  switch (v.type) {
    case GgufType::kU8: o.put(checked_int<uint8_t>(v, key)); break;
    case GgufType::kI8: o.put(checked_int<int8_t>(v, key)); break;
    case GgufType::kU16: o.put(checked_int<uint16_t>(v, key)); break;
    case GgufType::kI16: o.put(checked_int<int16_t>(v, key)); break;
    case GgufType::kU32: o.put(checked_int<uint32_t>(v, key)); break;
    case GgufType::kI32: o.put(checked_int<int32_t>(v, key)); break;
    case GgufType::kU64: o.put(checked_int<uint64_t>(v, key)); break;
    case GgufType::kI64: o.put(checked_int<int64_t>(v, key)); break;
    case GgufType::kF32: o.put(static_cast<float>(v.as_double())); break;
    case GgufType::kF64: o.put(v.as_double()); break;
    case GgufType::kBool: o.put<uint8_t>(v.as_bool() ? 1 : 0); break;
    case GgufType::kString: o.put_string(v.as_string()); break;
    case GgufType::kArray:
      o.put(static_cast<uint32_t>(v.elem_type));
      o.put<uint64_t>(v.array.size());
      for (const GgufValue& e : v.array) {
        QVL_CHECK(e.type == v.elem_type, "metadata '", key, "': ", gguf_type_name(e.type), " element in an array of ",
                  gguf_type_name(v.elem_type));
        put_value(o, e, key);
      }
      break;
    default: QVL_FAIL("metadata '", key, "': unknown type id ", static_cast<uint32_t>(v.type));
  }
}

size_t align_up(size_t x, size_t a) { return (x + a - 1) / a * a; }

}  // namespace

void GgufWriter::set(const std::string& key, GgufValue value) {
  for (auto& kv : kv_)
    if (kv.first == key) {
      kv.second = std::move(value);
      return;
    }
  kv_.emplace_back(key, std::move(value));
}

void GgufWriter::set_u32(const std::string& key, uint32_t v) { set(key, GgufValue::make_uint(GgufType::kU32, v)); }
void GgufWriter::set_i32(const std::string& key, int32_t v) { set(key, GgufValue::make_int(GgufType::kI32, v)); }
void GgufWriter::set_f32(const std::string& key, float v) { set(key, GgufValue::make_float(GgufType::kF32, v)); }
void GgufWriter::set_bool(const std::string& key, bool v) { set(key, GgufValue::make_bool(v)); }
void GgufWriter::set_string(const std::string& key, const std::string& v) { set(key, GgufValue::make_string(v)); }

void GgufWriter::set_string_array(const std::string& key, const std::vector<std::string>& v) {
  std::vector<GgufValue> e;
  e.reserve(v.size());
  for (const auto& s : v) e.push_back(GgufValue::make_string(s));
  set(key, GgufValue::make_array(GgufType::kString, std::move(e)));
}

void GgufWriter::set_i32_array(const std::string& key, const std::vector<int32_t>& v) {
  std::vector<GgufValue> e;
  e.reserve(v.size());
  for (int32_t x : v) e.push_back(GgufValue::make_int(GgufType::kI32, x));
  set(key, GgufValue::make_array(GgufType::kI32, std::move(e)));
}

void GgufWriter::set_f32_array(const std::string& key, const std::vector<float>& v) {
  std::vector<GgufValue> e;
  e.reserve(v.size());
  for (float x : v) e.push_back(GgufValue::make_float(GgufType::kF32, x));
  set(key, GgufValue::make_array(GgufType::kF32, std::move(e)));
}

void GgufWriter::add_pending(PendingTensor t) {
  QVL_CHECK(dtype_known(static_cast<uint32_t>(t.dtype)), "tensor '", t.name, "': unknown dtype");
  QVL_CHECK(!t.shape.empty() && t.shape.size() <= 4, "tensor '", t.name, "': GGUF needs 1 to 4 dimensions, got ",
            t.shape.size());
  for (int64_t d : t.shape) QVL_CHECK(d >= 0, "tensor '", t.name, "': negative dimension ", d);
  for (const auto& p : tensors_) QVL_CHECK(p.name != t.name, "duplicate tensor name '", t.name, "'");
  Tensor view;
  view.dtype = t.dtype;
  view.shape = t.shape;
  const size_t want = view.nbytes();  // throws when a row is not whole blocks
  const size_t have = t.view ? t.nbytes : t.bytes.size();
  QVL_CHECK(have == want, "tensor '", t.name, "' ", view.shape_str(), " ", dtype_info(t.dtype).name, " needs ", want,
            " bytes, got ", have);
  t.nbytes = want;
  tensors_.push_back(std::move(t));
}

void GgufWriter::add_tensor(const std::string& name, DType dtype, const std::vector<int64_t>& shape,
                            std::vector<uint8_t> bytes) {
  const size_t n = bytes.size();
  add_pending({name, dtype, shape, std::move(bytes), nullptr, n});
}

void GgufWriter::add_tensor_view(const std::string& name, DType dtype, const std::vector<int64_t>& shape,
                                 const void* data) {
  Tensor view;
  view.dtype = dtype;
  view.shape = shape;
  const size_t n = shape.empty() ? 0 : view.nbytes();
  add_pending({name, dtype, shape, {}, data, n});
}

void GgufWriter::write(const std::string& path, size_t alignment) const {
  QVL_CHECK(alignment > 0 && (alignment & (alignment - 1)) == 0 && alignment <= (1u << 30), path,
            ": alignment ", alignment, " is not a power of two");
  auto kv = kv_;
  bool has_alignment = false;
  for (auto& [k, v] : kv)
    if (k == "general.alignment") {
      v = GgufValue::make_uint(GgufType::kU32, alignment);
      has_alignment = true;
    }
  if (!has_alignment && alignment != 32)
    kv.emplace_back("general.alignment", GgufValue::make_uint(GgufType::kU32, alignment));

  Out o;
  o.put(kMagic);
  o.put(kVersion);
  o.put<uint64_t>(tensors_.size());
  o.put<uint64_t>(kv.size());
  std::set<std::string> seen;
  for (const auto& [k, v] : kv) {
    QVL_CHECK(seen.insert(k).second, "duplicate metadata key '", k, "'");
    o.put_string(k);
    o.put(static_cast<uint32_t>(v.type));
    put_value(o, v, k);
  }
  size_t offset = 0;
  for (const auto& t : tensors_) {
    o.put_string(t.name);
    o.put<uint32_t>(t.shape.size());
    for (auto it = t.shape.rbegin(); it != t.shape.rend(); ++it) o.put<int64_t>(*it);
    o.put(static_cast<uint32_t>(t.dtype));
    o.put<uint64_t>(offset);
    offset = align_up(offset + t.nbytes, alignment);
  }
  o.buf.resize(align_up(o.buf.size(), alignment), 0);

  FILE* f = std::fopen(path.c_str(), "wb");
  QVL_CHECK(f, path, ": cannot create: ", std::strerror(errno));
  const std::vector<uint8_t> zeros(alignment, 0);
  bool ok = std::fwrite(o.buf.data(), 1, o.buf.size(), f) == o.buf.size();
  for (const auto& t : tensors_) {
    if (!ok) break;
    const void* src = t.view ? t.view : t.bytes.data();
    ok = t.nbytes == 0 || std::fwrite(src, 1, t.nbytes, f) == t.nbytes;
    const size_t pad = align_up(t.nbytes, alignment) - t.nbytes;
    ok = ok && (pad == 0 || std::fwrite(zeros.data(), 1, pad, f) == pad);
  }
  const int err = errno;
  ok = (std::fclose(f) == 0) && ok;
  QVL_CHECK(ok, path, ": write failed: ", std::strerror(err));
}

}  // namespace qvl
