// GGUF v2/v3 parser over a memory map (model layer): header, metadata, tensor infos,
// zero-copy tensor views. Distrusts every count and offset in the file: each read is
// bounds-checked first, so a hostile file ends in a one-line qvl::Error, never a
// crash or an allocation larger than the file itself warrants.
#include <cstring>
#include <limits>

#include "base/error.h"
#include "model/gguf/gguf.h"

namespace qvl {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as little-endian u32
constexpr int kMaxDims = 4;              // GGML_MAX_DIMS
constexpr int kMaxArrayDepth = 8;        // nested arrays deeper than this are not real metadata
// Each parsed element costs ~72 bytes in memory against 1 byte on disk at worst, so
// the total is capped: 8M is ~18x a Qwen3 vocabulary's tokens + types + merges.
constexpr uint64_t kMaxArrayElements = uint64_t{1} << 23;

// Smallest encoding of one element of type t; lets array counts be checked
// against the bytes left before anything is allocated.
uint64_t min_encoded_size(GgufType t) {
  switch (t) {
    case GgufType::kU8: case GgufType::kI8: case GgufType::kBool: return 1;
    case GgufType::kU16: case GgufType::kI16: return 2;
    case GgufType::kU32: case GgufType::kI32: case GgufType::kF32: return 4;
    case GgufType::kU64: case GgufType::kI64: case GgufType::kF64: case GgufType::kString: return 8;
    case GgufType::kArray: return 12;  // elem type + count
  }
  return 1;
}

bool known_type(uint32_t id) { return id <= static_cast<uint32_t>(GgufType::kF64); }

class Cursor {
 public:
  Cursor(const std::string& path, const uint8_t* data, size_t size) : path_(path), data_(data), size_(size) {}

  size_t pos() const { return pos_; }
  size_t size() const { return size_; }
  size_t remaining() const { return size_ - pos_; }

  template <typename... Args>
  [[noreturn]] void fail(const Args&... args) const {
    QVL_FAIL(path_, ": ", args...);
  }

  void need(uint64_t n, const std::string& what) const {
    if (n > remaining())
      fail("truncated ", what, " at offset ", pos_, " (needs ", n, " bytes, ", remaining(), " left)");
  }

  template <typename T>
  T read(const std::string& what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  std::string read_string(const std::string& what) {
    const uint64_t len = read<uint64_t>(what + " length");
    if (len > remaining())
      fail("string length ", len, " of ", what, " at offset ", pos_ - 8, " runs past the end of the file (truncated)");
    std::string s(reinterpret_cast<const char*>(data_ + pos_), len);
    pos_ += len;
    return s;
  }

 private:
  const std::string& path_;
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

GgufValue read_value(Cursor& c, GgufType type, const std::string& what, int depth, uint64_t* budget) {
  GgufValue v;
  v.type = type;
  switch (type) {
    case GgufType::kU8: v.scalar = uint64_t{c.read<uint8_t>(what)}; break;
    case GgufType::kI8: v.scalar = int64_t{c.read<int8_t>(what)}; break;
    case GgufType::kU16: v.scalar = uint64_t{c.read<uint16_t>(what)}; break;
    case GgufType::kI16: v.scalar = int64_t{c.read<int16_t>(what)}; break;
    case GgufType::kU32: v.scalar = uint64_t{c.read<uint32_t>(what)}; break;
    case GgufType::kI32: v.scalar = int64_t{c.read<int32_t>(what)}; break;
    case GgufType::kU64: v.scalar = c.read<uint64_t>(what); break;
    case GgufType::kI64: v.scalar = c.read<int64_t>(what); break;
    case GgufType::kF32: v.scalar = double{c.read<float>(what)}; break;
    case GgufType::kF64: v.scalar = c.read<double>(what); break;
    case GgufType::kBool: {
      const uint8_t b = c.read<uint8_t>(what);
      if (b > 1) c.fail("invalid bool value ", int{b}, " in ", what, " at offset ", c.pos() - 1);
      v.scalar = b == 1;
      break;
    }
    case GgufType::kString: v.scalar = c.read_string(what); break;
    case GgufType::kArray: {
      if (depth >= kMaxArrayDepth) c.fail("arrays nested deeper than ", kMaxArrayDepth, " in ", what);
      const uint32_t elem = c.read<uint32_t>(what + " element type");
      if (!known_type(elem)) c.fail("unknown metadata type id ", elem, " for elements of ", what);
      v.elem_type = static_cast<GgufType>(elem);
      const uint64_t n = c.read<uint64_t>(what + " element count");
      if (n > c.remaining() / min_encoded_size(v.elem_type))
        c.fail("array count ", n, " of ", what, " at offset ", c.pos() - 8, " runs past the end of the file (truncated)");
      if (n > *budget) c.fail("absurd metadata: arrays hold more than ", kMaxArrayElements, " elements in total (", what, ")");
      *budget -= n;
      v.array.reserve(n);
      for (uint64_t i = 0; i < n; ++i) v.array.push_back(read_value(c, v.elem_type, what, depth + 1, budget));
      break;
    }
  }
  return v;
}

uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

}  // namespace

GgufFile::GgufFile(const std::string& path) : file_(path) {
  Cursor c(file_.path(), file_.data(), file_.size());
  if (file_.size() < 4) c.fail("truncated header: file is ", file_.size(), " bytes, not a GGUF file");
  const uint32_t magic = c.read<uint32_t>("magic");
  if (magic != kMagic) c.fail("not a GGUF file (bad magic)");
  version_ = c.read<uint32_t>("header version");
  if (version_ != 2 && version_ != 3) c.fail("unsupported GGUF version ", version_, " (supported: 2, 3)");
  const uint64_t n_tensors = c.read<uint64_t>("header tensor count");
  const uint64_t n_kv = c.read<uint64_t>("header metadata count");
  // A tensor info takes at least 28 bytes and a metadata pair at least 13.
  if (n_tensors > c.remaining() / 28)
    c.fail("absurd tensor count ", n_tensors, " for a file of ", file_.size(), " bytes (corrupt or truncated)");
  if (n_kv > c.remaining() / 13)
    c.fail("absurd metadata count ", n_kv, " for a file of ", file_.size(), " bytes (corrupt or truncated)");

  uint64_t budget = kMaxArrayElements;
  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key = c.read_string(str("metadata key #", i));
    const std::string what = "metadata '" + key + "'";
    const uint32_t type = c.read<uint32_t>(what + " type");
    if (!known_type(type)) c.fail("unknown metadata type id ", type, " for key '", key, "'");
    GgufValue v = read_value(c, static_cast<GgufType>(type), what, 0, &budget);
    if (kv_.count(key)) c.fail("duplicate metadata key '", key, "'");
    kv_.emplace(std::move(key), std::move(v));
  }

  if (const GgufValue* a = find("general.alignment")) {
    if (a->type != GgufType::kU32) c.fail("general.alignment must be u32, not ", gguf_type_name(a->type));
    const uint64_t al = std::get<uint64_t>(a->scalar);
    if (al == 0 || (al & (al - 1)) != 0) c.fail("bad alignment ", al, " (general.alignment must be a power of two)");
    alignment_ = al;
  }

  struct Info {
    uint64_t offset;
    size_t nbytes;
  };
  std::vector<Info> infos;
  infos.reserve(n_tensors);
  tensors_.reserve(n_tensors);
  for (uint64_t i = 0; i < n_tensors; ++i) {
    Tensor t;
    t.name = c.read_string(str("tensor #", i, " name"));
    const std::string what = "tensor '" + t.name + "'";
    const uint32_t n_dims = c.read<uint32_t>(what + " dimension count");
    if (n_dims == 0 || n_dims > kMaxDims) c.fail(what, " has ", n_dims, " dimensions (1 to ", kMaxDims, " allowed)");
    std::vector<int64_t> ne(n_dims);
    int64_t numel = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      ne[d] = c.read<int64_t>(what + " shape");
      if (ne[d] < 0) c.fail(what, " has negative dimension ", ne[d]);
      if (ne[d] != 0 && numel > std::numeric_limits<int64_t>::max() / ne[d])
        c.fail(what, " has an absurd element count (overflow)");
      numel *= ne[d];
    }
    const uint32_t type = c.read<uint32_t>(what + " type");
    if (!dtype_known(type)) c.fail(what, " has unknown tensor type id ", type);
    t.dtype = static_cast<DType>(type);
    const uint64_t offset = c.read<uint64_t>(what + " data offset");
    const DTypeInfo& info = dtype_info(t.dtype);
    if (ne[0] % info.block_size != 0)
      c.fail(what, " row of ", ne[0], " elements is not a multiple of ", info.name, "'s block size ", info.block_size);
    const uint64_t blocks = static_cast<uint64_t>(numel) / info.block_size;
    if (blocks > file_.size() / info.type_size)
      c.fail(what, " needs ", blocks, " blocks of ", info.type_size, " bytes: more than the file holds");
    if (offset % alignment_ != 0)
      c.fail(what, " data offset ", offset, " is misaligned (alignment ", alignment_, ")");
    t.shape.assign(ne.rbegin(), ne.rend());
    infos.push_back({offset, static_cast<size_t>(blocks * info.type_size)});
    if (!tensor_index_.emplace(t.name, tensors_.size()).second) c.fail("duplicate tensor name '", t.name, "'");
    tensors_.push_back(std::move(t));
  }

  const uint64_t data_start = align_up(c.pos(), alignment_);
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const uint64_t size = file_.size();
    if (data_start > size || infos[i].offset > size - data_start || infos[i].nbytes > size - data_start - infos[i].offset)
      c.fail("tensor '", tensors_[i].name, "' data [", infos[i].offset, ", +", infos[i].nbytes,
             ") is out of file bounds (data section starts at ", data_start, ", file is ", size,
             " bytes; truncated?)");
    tensors_[i].data = file_.data() + data_start + infos[i].offset;
  }
}

const GgufValue* GgufFile::find(const std::string& key) const {
  auto it = kv_.find(key);
  return it == kv_.end() ? nullptr : &it->second;
}

const GgufValue& GgufFile::get(const std::string& key) const {
  const GgufValue* v = find(key);
  QVL_CHECK(v, path(), ": missing metadata key '", key, "'");
  return *v;
}

const Tensor* GgufFile::find_tensor(const std::string& name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

}  // namespace qvl
