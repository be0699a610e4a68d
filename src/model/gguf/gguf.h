// GGUF v3 reader (v2 too: same layout) over mmap with zero-copy tensor views, and a
// v3 writer (model layer).
// Every malformed file ends in a qvl::Error whose one-line message names the file
// and the problem (bad magic, truncated, unknown tensor type, out-of-range data…).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "base/mapped_file.h"
#include "runtime/tensor.h"

namespace qvl {

enum class GgufType : uint32_t {
  kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7,
  kString = 8, kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12,
};

// A metadata value. Integers of every width are stored widened (type keeps the
// on-disk type so a writer can round-trip it); arrays hold one element type.
struct GgufValue {
  GgufType type = GgufType::kU32;
  GgufType elem_type = GgufType::kU32;  // for arrays
  std::variant<uint64_t, int64_t, double, bool, std::string> scalar;
  std::vector<GgufValue> array;  // elements (elem_type)

  static GgufValue make_uint(GgufType t, uint64_t v);  // kU8 / kU16 / kU32 / kU64
  static GgufValue make_int(GgufType t, int64_t v);    // kI8 / kI16 / kI32 / kI64
  static GgufValue make_float(GgufType t, double v);   // kF32 / kF64
  static GgufValue make_bool(bool v);
  static GgufValue make_string(std::string v);
  static GgufValue make_array(GgufType elem, std::vector<GgufValue> elems);  // elems must all be `elem`

  int64_t as_int() const;             // any integer type (throws otherwise)
  double as_double() const;           // any numeric type
  bool as_bool() const;
  const std::string& as_string() const;
  std::vector<int64_t> as_int_array() const;
  std::vector<double> as_double_array() const;
  std::vector<std::string> as_string_array() const;
};

const char* gguf_type_name(GgufType t);  // "u32", "string", ... ("?" when unknown)

class GgufFile {
 public:
  explicit GgufFile(const std::string& path);  // throws qvl::Error

  const std::string& path() const { return file_.path(); }
  uint32_t version() const { return version_; }
  size_t alignment() const { return alignment_; }
  const std::map<std::string, GgufValue>& metadata() const { return kv_; }
  const GgufValue* find(const std::string& key) const;  // nullptr if absent
  const GgufValue& get(const std::string& key) const;   // throws "missing metadata key"
  const std::vector<Tensor>& tensors() const { return tensors_; }
  const Tensor* find_tensor(const std::string& name) const;

 private:
  MappedFile file_;
  uint32_t version_ = 0;
  size_t alignment_ = 32;
  std::map<std::string, GgufValue> kv_;
  std::vector<Tensor> tensors_;
  std::map<std::string, size_t> tensor_index_;
};

// Builds a GGUF file in memory order: metadata in insertion order, then tensors.
class GgufWriter {
 public:
  void set(const std::string& key, GgufValue value);
  void set_u32(const std::string& key, uint32_t v);
  void set_i32(const std::string& key, int32_t v);
  void set_f32(const std::string& key, float v);
  void set_bool(const std::string& key, bool v);
  void set_string(const std::string& key, const std::string& v);
  void set_string_array(const std::string& key, const std::vector<std::string>& v);
  void set_i32_array(const std::string& key, const std::vector<int32_t>& v);
  void set_f32_array(const std::string& key, const std::vector<float>& v);
  // shape outermost first (as Tensor); bytes are row data already in `dtype`.
  void add_tensor(const std::string& name, DType dtype, const std::vector<int64_t>& shape, std::vector<uint8_t> bytes);
  // Same without a copy: `data` (nbytes of the tensor) must outlive write().
  void add_tensor_view(const std::string& name, DType dtype, const std::vector<int64_t>& shape, const void* data);
  void write(const std::string& path, size_t alignment = 32) const;  // throws on I/O errors

 private:
  std::vector<std::pair<std::string, GgufValue>> kv_;
  struct PendingTensor {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;  // owned copy, or empty when `view` is set
    const void* view = nullptr;
    size_t nbytes = 0;
  };
  void add_pending(PendingTensor t);
  std::vector<PendingTensor> tensors_;
};

}  // namespace qvl
