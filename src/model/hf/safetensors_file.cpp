// One .safetensors file (model layer): 8-byte little-endian header length, JSON
// header, then raw tensor bytes; views point into the memory map (no copies).
// Every offset, shape and dtype is validated; only BF16 / F16 / F32 are accepted.
#include <algorithm>
#include <cstring>
#include <limits>

#include "base/error.h"
#include "model/hf/safetensors.h"

namespace qvl {
namespace {

// The reference implementation refuses headers above 100 MB; so do we, so a
// hostile length never turns into a huge parse.
constexpr uint64_t kMaxHeader = 100u << 20;

bool parse_dtype(const std::string& s, DType* out) {
  if (s == "BF16") *out = DType::kBF16;
  else if (s == "F16") *out = DType::kF16;
  else if (s == "F32") *out = DType::kF32;
  else return false;
  return true;
}

bool as_u64(const nlohmann::json& j, uint64_t* out) {
  if (j.is_number_unsigned()) {
    *out = j.get<uint64_t>();
    return true;
  }
  if (j.is_number_integer() && j.get<int64_t>() >= 0) {
    *out = static_cast<uint64_t>(j.get<int64_t>());
    return true;
  }
  return false;
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::string& path) : file_(path), metadata_(nlohmann::json::object()) {
  const size_t size = file_.size();
  const uint8_t* base = file_.data();
  QVL_CHECK(size >= 8, path, ": truncated header: file is ", size, " bytes (a safetensors file starts with 8)");
  uint64_t header_len;
  std::memcpy(&header_len, base, 8);
  QVL_CHECK(header_len <= kMaxHeader, path, ": header length ", header_len, " is absurd (limit ", kMaxHeader, ")");
  QVL_CHECK(header_len <= size - 8, path, ": header length ", header_len, " runs past the end of the ", size,
            "-byte file (truncated)");
  const char* hb = reinterpret_cast<const char*>(base + 8);
  nlohmann::json header = nlohmann::json::parse(hb, hb + header_len, nullptr, /*allow_exceptions=*/false);
  QVL_CHECK(!header.is_discarded(), path, ": header is not valid JSON");
  QVL_CHECK(header.is_object(), path, ": header is not a JSON object");

  const uint64_t data_start = 8 + header_len;
  const uint64_t data_size = size - data_start;
  struct Span {
    uint64_t begin, end;
    size_t index;
  };
  std::vector<Span> spans;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const nlohmann::json& e = it.value();
    if (name == "__metadata__") {
      QVL_CHECK(e.is_object(), path, ": __metadata__ is not a JSON object");
      metadata_ = e;
      continue;
    }
    const std::string what = path + ": tensor '" + name + "'";
    QVL_CHECK(e.is_object(), what, ": entry is not a JSON object");
    QVL_CHECK(e.contains("dtype") && e["dtype"].is_string(), what, ": missing dtype");
    const std::string dt = e["dtype"].get<std::string>();
    Tensor t;
    t.name = name;
    QVL_CHECK(parse_dtype(dt, &t.dtype), what, " has dtype ", dt, "; only BF16, F16 and F32 are supported");
    QVL_CHECK(e.contains("shape") && e["shape"].is_array(), what, ": missing shape");
    uint64_t numel = 1;
    for (const auto& d : e["shape"]) {
      uint64_t v;
      QVL_CHECK(as_u64(d, &v), what, ": shape entries must be non-negative integers");
      QVL_CHECK(v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) && (v == 0 || numel <= size / v),
                what, ": shape ", e["shape"].dump(), " is larger than the file");
      numel *= v;
      t.shape.push_back(static_cast<int64_t>(v));
    }
    const auto& off = e.contains("data_offsets") ? e["data_offsets"] : nlohmann::json();
    uint64_t begin, end;
    QVL_CHECK(off.is_array() && off.size() == 2 && as_u64(off[0], &begin) && as_u64(off[1], &end), what,
              ": data_offsets must be [begin, end] non-negative integers");
    QVL_CHECK(begin <= end && end <= data_size, what, ": data_offsets [", begin, ", ", end,
              "] are out of bounds (data section is ", data_size, " bytes; truncated?)");
    const uint64_t elem = dtype_info(t.dtype).type_size;
    QVL_CHECK(end - begin == numel * elem, what, ": data_offsets span ", end - begin, " bytes but shape ",
              e["shape"].dump(), " ", dt, " needs ", numel * elem);
    QVL_CHECK((data_start + begin) % elem == 0, what, ": data at file offset ", data_start + begin,
              " is misaligned for ", dt);
    t.data = base + data_start + begin;
    spans.push_back({begin, end, tensors_.size()});
    tensors_.push_back(std::move(t));
  }
  // Tensors must not share bytes: overlapping views would alias silently.
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < spans.size(); ++i)
    QVL_CHECK(spans[i].begin >= spans[i - 1].end || spans[i].begin == spans[i].end, path, ": tensors '",
              tensors_[spans[i - 1].index].name, "' and '", tensors_[spans[i].index].name, "' overlap");
  // File order is the natural order to stream weights in.
  std::vector<Tensor> ordered;
  ordered.reserve(spans.size());
  for (const Span& s : spans) ordered.push_back(std::move(tensors_[s.index]));
  tensors_ = std::move(ordered);
}

}  // namespace qvl
