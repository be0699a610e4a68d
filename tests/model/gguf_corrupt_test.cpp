// Hostile GGUF files: a table of hand-built faults (each must raise qvl::Error
// with the expected words), truncation at every offset, and 2000 random byte flips
// where nothing but qvl::Error may escape. Files are built byte by byte here so
// each fault lands exactly where intended.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

#include <gtest/gtest.h>

#include "base/error.h"
#include "model/gguf/gguf.h"

namespace qvl {
namespace {

std::string temp_path(const std::string& name) {
  return testing::TempDir() + "qvl_gguf_bad_" + std::to_string(getpid()) + "_" + name;
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& b) {
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  if (!b.empty()) ASSERT_EQ(std::fwrite(b.data(), 1, b.size(), f), b.size());
  std::fclose(f);
}

// Little-endian byte builder for one GGUF file; each knob is a fault to inject.
struct Builder {
  uint32_t magic = 0x46554747, version = 3;
  uint64_t n_tensors_override = 0, n_kv_override = 0;  // 0: use the real counts
  uint64_t string_len_override = 0;                    // for the first metadata key
  uint32_t kv_type = 4;                                // type id of "k.a" (u32)
  uint32_t alignment = 32, alignment_type = 4;
  bool duplicate_key = false, duplicate_tensor = false;
  uint32_t tensor_type = 0, n_dims = 2;
  int64_t dim0 = 4;
  uint64_t offset1 = 0;  // offset of the second tensor (0: the correct one)
  size_t drop_data = 0;  // bytes cut from the end

  std::vector<uint8_t> b;
  template <typename T>
  void put(T v) {
    const size_t n = b.size();
    b.resize(n + sizeof(T));
    std::memcpy(b.data() + n, &v, sizeof(T));
  }
  void put_str(const std::string& s, uint64_t len_override = 0) {
    put<uint64_t>(len_override ? len_override : s.size());
    b.insert(b.end(), s.begin(), s.end());
  }

  std::vector<uint8_t> build() {
    const uint64_t n_kv = duplicate_key ? 4 : 3;
    put(magic);
    put(version);
    put<uint64_t>(n_tensors_override ? n_tensors_override : 2);
    put<uint64_t>(n_kv_override ? n_kv_override : n_kv);
    put_str("k.a", string_len_override);
    put(kv_type);
    put<uint32_t>(42);
    put_str("general.alignment");
    put(alignment_type);
    put(alignment);
    put_str("k.arr");
    put<uint32_t>(9);  // array
    put<uint32_t>(8);  // of strings
    put<uint64_t>(2);
    put_str("x");
    put_str("yy");
    if (duplicate_key) {
      put_str("k.a");
      put<uint32_t>(4);
      put<uint32_t>(1);
    }
    // tensor 0: f32 [dim0 x 2] -> 32 bytes at offset 0 (when dim0 = 4)
    put_str("w0");
    put(n_dims);
    for (uint32_t d = 0; d < n_dims && d < 8; ++d) put<int64_t>(d == 0 ? dim0 : 2);
    put(tensor_type);
    put<uint64_t>(0);
    put_str(duplicate_tensor ? "w0" : "w1");
    put<uint32_t>(1);
    put<int64_t>(8);
    put<uint32_t>(0);
    put<uint64_t>(offset1 ? offset1 : 32);
    b.resize((b.size() + 31) / 32 * 32, 0);
    for (int i = 0; i < 64; ++i) b.push_back(static_cast<uint8_t>(i));
    b.resize(b.size() - drop_data);
    return b;
  }
};

// Opens `bytes` as a GGUF and returns the error message ("" when it loaded).
std::string load_error(const std::vector<uint8_t>& bytes, const std::string& name = "case.gguf") {
  const std::string path = temp_path(name);
  write_bytes(path, bytes);
  std::string msg;
  try {
    GgufFile f(path);
    // Touch every byte of every view: out-of-range views would fault here.
    unsigned sum = 0;
    for (const Tensor& t : f.tensors())
      for (size_t i = 0; i < t.nbytes(); ++i) sum += static_cast<const uint8_t*>(t.data)[i];
    (void)sum;
  } catch (const Error& e) {
    msg = e.what();
    if (msg.empty()) msg = "(empty message)";
  }
  unlink(path.c_str());
  return msg;
}

TEST(GgufCorrupt, ValidBaselineLoads) {
  Builder b;
  const std::string path = temp_path("ok.gguf");
  write_bytes(path, b.build());
  GgufFile f(path);
  EXPECT_EQ(f.get("k.a").as_int(), 42);
  EXPECT_EQ(f.get("k.arr").as_string_array(), (std::vector<std::string>{"x", "yy"}));
  ASSERT_EQ(f.tensors().size(), 2u);
  EXPECT_EQ(f.tensors()[0].shape, (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(static_cast<const uint8_t*>(f.find_tensor("w1")->data)[0], 32);
  unlink(path.c_str());
}

TEST(GgufCorrupt, TableOfFaults) {
  struct Case {
    const char* name;
    void (*apply)(Builder&);
    const char* words;
  };
  const Case cases[] = {
      {"wrong magic", [](Builder& b) { b.magic = 0x46554746; }, "bad magic"},
      {"version 1", [](Builder& b) { b.version = 1; }, "unsupported GGUF version 1"},
      {"version 99", [](Builder& b) { b.version = 99; }, "unsupported GGUF version 99"},
      {"huge tensor count", [](Builder& b) { b.n_tensors_override = 1ull << 60; }, "absurd tensor count"},
      {"huge metadata count", [](Builder& b) { b.n_kv_override = UINT64_MAX; }, "absurd metadata count"},
      {"huge string length", [](Builder& b) { b.string_len_override = UINT64_MAX - 3; }, "string length"},
      {"unknown metadata type", [](Builder& b) { b.kv_type = 13; }, "unknown metadata type id 13"},
      {"duplicate key", [](Builder& b) { b.duplicate_key = true; }, "duplicate metadata key 'k.a'"},
      {"alignment zero", [](Builder& b) { b.alignment = 0; }, "bad alignment 0"},
      {"alignment 48", [](Builder& b) { b.alignment = 48; }, "bad alignment 48"},
      {"alignment wrong type", [](Builder& b) { b.alignment_type = 5; }, "general.alignment must be u32"},
      {"unknown tensor type", [](Builder& b) { b.tensor_type = 99; }, "unknown tensor type id 99"},
      {"removed tensor type 4", [](Builder& b) { b.tensor_type = 4; }, "unknown tensor type id 4"},
      {"zero dims", [](Builder& b) { b.n_dims = 0; }, "0 dimensions"},
      {"five dims", [](Builder& b) { b.n_dims = 5; }, "5 dimensions"},
      {"negative dim", [](Builder& b) { b.dim0 = -4; }, "negative dimension"},
      {"absurd dim", [](Builder& b) { b.dim0 = int64_t{1} << 40; }, "more than the file holds"},
      {"partial block", [](Builder& b) { b.tensor_type = 8; }, "block size 32"},  // q8_0 row of 4
      {"misaligned offset", [](Builder& b) { b.offset1 = 36; }, "misaligned"},
      {"offset out of bounds", [](Builder& b) { b.offset1 = 1ull << 40; }, "out of file bounds"},
      {"offset wraps around", [](Builder& b) { b.offset1 = UINT64_MAX - 31; }, "out of file bounds"},
      {"data cut short", [](Builder& b) { b.drop_data = 1; }, "out of file bounds"},
      {"duplicate tensor", [](Builder& b) { b.duplicate_tensor = true; }, "duplicate tensor name 'w0'"},
  };
  for (const Case& c : cases) {
    Builder b;
    c.apply(b);
    const std::string msg = load_error(b.build());
    EXPECT_NE(msg.find(c.words), std::string::npos) << c.name << ": got \"" << msg << "\"";
    EXPECT_NE(msg.find(".gguf: "), std::string::npos) << c.name << ": message must name the file: " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << c.name << ": message must be one line";
    if (getenv("QVL_TEST_VERBOSE")) std::printf("%-24s %s\n", c.name, msg.c_str());
  }
}

// Nesting and total element count are capped so a small file cannot demand deep
// recursion or gigabytes of parsed values.
TEST(GgufCorrupt, NestingAndElementCaps) {
  auto nested = [](int levels) {
    GgufValue v = GgufValue::make_array(GgufType::kU8, {GgufValue::make_uint(GgufType::kU8, 1)});
    for (int i = 1; i < levels; ++i) v = GgufValue::make_array(GgufType::kArray, {v});
    return v;
  };
  const std::string path = temp_path("nest.gguf");
  GgufWriter ok;
  ok.set("n", nested(8));
  ok.write(path);
  EXPECT_EQ(GgufFile(path).get("n").array.size(), 1u);
  GgufWriter deep;
  deep.set("n", nested(9));
  deep.write(path);
  try {
    GgufFile f(path);
    ADD_FAILURE() << "9 levels of arrays loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nested deeper than 8"), std::string::npos) << e.what();
  }
  // 9M one-byte bools: a 9 MB file whose parsed form would take ~650 MB.
  Builder b;
  b.put<uint32_t>(0x46554747);
  b.put<uint32_t>(3);
  b.put<uint64_t>(0);
  b.put<uint64_t>(1);
  b.put_str("big");
  b.put<uint32_t>(9);
  b.put<uint32_t>(7);
  b.put<uint64_t>(9u << 20);
  b.b.resize(b.b.size() + (9u << 20), 0);
  EXPECT_NE(load_error(b.b).find("absurd metadata"), std::string::npos);
  unlink(path.c_str());
}

TEST(GgufCorrupt, EmptyAndTinyFiles) {
  EXPECT_NE(load_error({}).find("truncated"), std::string::npos);
  EXPECT_NE(load_error({'G', 'G'}).find("truncated"), std::string::npos);
  EXPECT_THROW(GgufFile("/nonexistent/file.gguf"), Error);
}

TEST(GgufCorrupt, TruncatedAtEveryOffset) {
  const std::vector<uint8_t> full = Builder().build();
  for (size_t n = 0; n < full.size(); ++n) {
    const std::vector<uint8_t> cut(full.begin(), full.begin() + n);
    const std::string msg = load_error(cut);
    EXPECT_NE(msg.find("truncated"), std::string::npos) << "cut at " << n << ": \"" << msg << "\"";
  }
}

TEST(GgufCorrupt, RandomByteFlipsOnlyRaiseErrors) {
  const std::vector<uint8_t> full = Builder().build();
  std::mt19937 rng(1234);
  int rejected = 0;
  // QVL_FUZZ_ITERS raises the count for a longer local run; CI keeps 2000.
  const int iters = std::getenv("QVL_FUZZ_ITERS") ? std::atoi(std::getenv("QVL_FUZZ_ITERS")) : 2000;
  for (int iter = 0; iter < iters; ++iter) {
    std::vector<uint8_t> bytes = full;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) bytes[rng() % bytes.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    try {
      if (!load_error(bytes, "fuzz.gguf").empty()) ++rejected;  // qvl::Error is caught inside
    } catch (...) {
      FAIL() << "iteration " << iter << ": an exception other than qvl::Error escaped";
    }
  }
  // Most flips land in the header or metadata, so most files must be rejected.
  EXPECT_GT(rejected, iters / 10);
}

}  // namespace
}  // namespace qvl
