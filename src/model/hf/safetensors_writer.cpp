// write_safetensors (model layer): JSON header padded with spaces to 8 bytes, then
// tensor bytes back to back, wider dtypes first (as the reference writer does) so
// every tensor is aligned to its element size without holes. BF16 / F16 / F32 only.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include "base/error.h"
#include "model/hf/safetensors.h"

namespace qvl {
namespace {

const char* dtype_name(DType t) {
  switch (t) {
    case DType::kBF16: return "BF16";
    case DType::kF16: return "F16";
    case DType::kF32: return "F32";
    default: return nullptr;
  }
}

}  // namespace

void write_safetensors(const std::string& path, const std::vector<Tensor>& input, const nlohmann::json& metadata) {
  std::vector<Tensor> tensors = input;
  std::stable_sort(tensors.begin(), tensors.end(), [](const Tensor& a, const Tensor& b) {
    return dtype_info(a.dtype).type_size > dtype_info(b.dtype).type_size;
  });
  QVL_CHECK(metadata.is_object(), path, ": safetensors metadata must be a JSON object");
  for (auto it = metadata.begin(); it != metadata.end(); ++it)
    QVL_CHECK(it.value().is_string(), path, ": metadata value '", it.key(), "' must be a string");

  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string> seen;
  uint64_t offset = 0;
  for (const Tensor& t : tensors) {
    const char* dt = dtype_name(t.dtype);
    QVL_CHECK(dt, path, ": tensor '", t.name, "' has dtype ", dtype_info(t.dtype).name,
              "; safetensors output supports BF16, F16 and F32 only");
    QVL_CHECK(!t.name.empty() && t.name != "__metadata__", path, ": invalid tensor name '", t.name, "'");
    QVL_CHECK(seen.insert(t.name).second, path, ": duplicate tensor name '", t.name, "'");
    for (int64_t d : t.shape) QVL_CHECK(d >= 0, path, ": tensor '", t.name, "' has negative dimension ", d);
    const uint64_t n = t.numel() * dtype_info(t.dtype).type_size;
    QVL_CHECK(n == 0 || t.data, path, ": tensor '", t.name, "' has no data");
    header[t.name] = {{"dtype", dt}, {"shape", t.shape}, {"data_offsets", {offset, offset + n}}};
    offset += n;
  }
  std::string h = header.dump();
  h.resize((h.size() + 7) / 8 * 8, ' ');  // keeps every tensor 8-byte aligned in the file

  FILE* f = std::fopen(path.c_str(), "wb");
  QVL_CHECK(f, path, ": cannot create: ", std::strerror(errno));
  const uint64_t len = h.size();
  bool ok = std::fwrite(&len, 1, 8, f) == 8 && std::fwrite(h.data(), 1, h.size(), f) == h.size();
  for (const Tensor& t : tensors) {
    const size_t n = t.numel() * dtype_info(t.dtype).type_size;
    if (!ok) break;
    ok = n == 0 || std::fwrite(t.data, 1, n, f) == n;
  }
  const int err = errno;
  ok = (std::fclose(f) == 0) && ok;
  QVL_CHECK(ok, path, ": write failed: ", std::strerror(err));
}

}  // namespace qvl
