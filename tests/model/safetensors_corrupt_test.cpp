// Hostile safetensors files: hand-written headers with one fault each (must raise
// qvl::Error with the expected words), truncation at every offset, deep JSON
// nesting, and 2000 random byte flips where only qvl::Error may escape.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

#include <gtest/gtest.h>

#include "base/error.h"
#include "model/hf/safetensors.h"

namespace qvl {
namespace {

std::string temp_path() { return testing::TempDir() + "qvl_st_bad_" + std::to_string(getpid()) + ".safetensors"; }

// header JSON + `data_len` payload bytes; `len_override` replaces the length prefix.
std::vector<uint8_t> file_bytes(const std::string& header, size_t data_len, uint64_t len_override = 0) {
  std::vector<uint8_t> b(8 + header.size() + data_len);
  const uint64_t len = len_override ? len_override : header.size();
  std::memcpy(b.data(), &len, 8);
  std::memcpy(b.data() + 8, header.data(), header.size());
  for (size_t i = 0; i < data_len; ++i) b[8 + header.size() + i] = static_cast<uint8_t>(i * 7);
  return b;
}

std::string load_error(const std::vector<uint8_t>& bytes) {
  const std::string path = temp_path();
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return "cannot write temp file";
  if (!bytes.empty()) std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  std::string msg;
  try {
    SafetensorsFile st(path);
    unsigned sum = 0;  // touch every byte of every view
    for (const Tensor& t : st.tensors())
      for (int64_t i = 0; i < t.numel() * dtype_info(t.dtype).type_size; ++i) sum += static_cast<const uint8_t*>(t.data)[i];
    (void)sum;
  } catch (const Error& e) {
    msg = e.what();
    if (msg.empty()) msg = "(empty message)";
  }
  unlink(path.c_str());
  return msg;
}

// Spaces up to a multiple of 8 keep the data section 8-byte aligned, as real writers do.
std::string pad(std::string h) {
  h.resize((h.size() + 7) / 8 * 8, ' ');
  return h;
}

const char* kGood =
    R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
    R"("b":{"dtype":"BF16","shape":[4],"data_offsets":[16,24]}})";

TEST(SafetensorsCorrupt, ValidBaselineLoads) {
  EXPECT_EQ(load_error(file_bytes(pad(kGood), 24)), "");
}

TEST(SafetensorsCorrupt, TableOfFaults) {
  struct Case {
    const char* name;
    std::string header;
    size_t data_len;
    uint64_t len_override;
    const char* words;
  };
  const Case cases[] = {
      {"unsupported dtype", R"({"pos":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}})", 16, 0,
       "tensor 'pos' has dtype I64"},
      {"fp8 dtype", R"({"w":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}})", 8, 0, "has dtype F8_E4M3"},
      {"huge header length", "{}", 0, 1ull << 62, "header length"},
      {"header past end", "{}", 0, 1000, "runs past the end"},
      {"not json", "{\"a\": ", 0, 0, "not valid JSON"},
      {"not an object", "[1,2]", 0, 0, "not a JSON object"},
      {"entry not object", R"({"a": 3})", 0, 0, "entry is not a JSON object"},
      {"missing dtype", R"({"a":{"shape":[1],"data_offsets":[0,4]}})", 8, 0, "missing dtype"},
      {"missing shape", R"({"a":{"dtype":"F32","data_offsets":[0,4]}})", 8, 0, "missing shape"},
      {"negative shape", R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 8, 0, "non-negative"},
      {"huge shape", R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})", 8, 0,
       "larger than the file"},
      {"bad offsets", R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", 8, 0, "data_offsets must be"},
      {"offsets out of bounds", R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[1000,1004]}})", 8, 0,
       "out of bounds"},
      {"offsets reversed", R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})", 8, 0, "out of bounds"},
      {"size mismatch", R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 16, 0, "needs 12"},
      {"misaligned", R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})", 8, 0, "misaligned"},
      {"overlap", R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
       16, 0, "overlap"},
      {"metadata not object", R"({"__metadata__": 5})", 0, 0, "__metadata__ is not a JSON object"},
  };
  for (const Case& c : cases) {
    const std::string msg = load_error(file_bytes(pad(c.header), c.data_len, c.len_override));
    EXPECT_NE(msg.find(c.words), std::string::npos) << c.name << ": got \"" << msg << "\"";
    EXPECT_NE(msg.find(".safetensors"), std::string::npos) << c.name << ": message must name the file";
    EXPECT_EQ(msg.find('\n'), std::string::npos) << c.name << ": message must be one line";
  }
}

TEST(SafetensorsCorrupt, TruncatedAtEveryOffset) {
  const std::vector<uint8_t> full = file_bytes(pad(kGood), 24);
  for (size_t n = 0; n < full.size(); ++n) {
    const std::string msg = load_error(std::vector<uint8_t>(full.begin(), full.begin() + n));
    EXPECT_FALSE(msg.empty()) << "cut at " << n << " loaded";
  }
}

TEST(SafetensorsCorrupt, DeeplyNestedJsonIsJustAnError) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_NE(load_error(file_bytes(deep, 0)).find("not a JSON object"), std::string::npos);
}

TEST(SafetensorsCorrupt, RandomByteFlipsOnlyRaiseErrors) {
  const std::vector<uint8_t> full = file_bytes(pad(kGood), 24);
  std::mt19937 rng(99);
  int rejected = 0;
  // QVL_FUZZ_ITERS raises the count for a longer local run; CI keeps 2000.
  const int iters = std::getenv("QVL_FUZZ_ITERS") ? std::atoi(std::getenv("QVL_FUZZ_ITERS")) : 2000;
  for (int iter = 0; iter < iters; ++iter) {
    std::vector<uint8_t> bytes = full;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) bytes[rng() % bytes.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    try {
      if (!load_error(bytes).empty()) ++rejected;
    } catch (...) {
      FAIL() << "iteration " << iter << ": an exception other than qvl::Error escaped";
    }
  }
  EXPECT_GT(rejected, iters / 4);  // the header is most of the file, so most flips must be caught
}

}  // namespace
}  // namespace qvl
