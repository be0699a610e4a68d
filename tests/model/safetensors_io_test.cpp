// safetensors and Hugging Face checkpoint directories: write_safetensors ->
// SafetensorsFile round trips, single-file and sharded HfCheckpoint, and the
// directory-level faults (missing config, bad index, shard escaping the dir).
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "base/error.h"
#include "base/fp16.h"
#include "model/hf/safetensors.h"

namespace qvl {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  fs::path p = fs::path(testing::TempDir()) / ("qvl_st_" + std::to_string(getpid()) + "_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

void write_text(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

struct Owned {
  std::vector<uint8_t> bytes;
  Tensor t;
};

Owned make(const std::string& name, DType dt, std::vector<int64_t> shape, uint32_t seed) {
  Owned o;
  o.t.name = name;
  o.t.dtype = dt;
  o.t.shape = std::move(shape);
  o.bytes.resize(o.t.numel() * dtype_info(dt).type_size);
  std::mt19937 rng(seed);
  for (auto& b : o.bytes) b = static_cast<uint8_t>(rng());
  o.t.data = o.bytes.data();
  return o;
}

void expect_same(const Tensor& got, const Owned& want) {
  EXPECT_EQ(got.name, want.t.name);
  EXPECT_EQ(got.dtype, want.t.dtype) << got.name;
  EXPECT_EQ(got.shape, want.t.shape) << got.name;
  if (!want.bytes.empty()) EXPECT_EQ(0, std::memcmp(got.data, want.bytes.data(), want.bytes.size())) << got.name;
}

TEST(SafetensorsIo, RoundTripAllDtypes) {
  const fs::path dir = fresh_dir("rt");
  // Odd-sized BF16 first: the writer must still keep the F32 tensors 4-byte aligned.
  std::vector<Owned> ts;
  ts.push_back(make("a.bf16", DType::kBF16, {3}, 1));
  ts.push_back(make("b.f32", DType::kF32, {2, 3}, 2));
  ts.push_back(make("c.f16", DType::kF16, {5, 1, 1}, 3));
  ts.push_back(make("d.scalar", DType::kF32, {}, 4));
  ts.push_back(make("e.empty", DType::kBF16, {0, 8}, 5));
  std::vector<Tensor> views;
  for (auto& o : ts) views.push_back(o.t);
  const std::string path = (dir / "m.safetensors").string();
  write_safetensors(path, views, {{"format", "pt"}});

  SafetensorsFile f(path);
  EXPECT_EQ(f.metadata(), (nlohmann::json{{"format", "pt"}}));
  ASSERT_EQ(f.tensors().size(), ts.size());
  for (const Owned& o : ts) {
    const Tensor* got = nullptr;
    for (const Tensor& t : f.tensors())
      if (t.name == o.t.name) got = &t;
    ASSERT_NE(got, nullptr) << o.t.name;
    expect_same(*got, o);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(got->data) % dtype_info(got->dtype).type_size, 0u) << got->name;
  }
  fs::remove_all(dir);
}

TEST(SafetensorsIo, ValuesSurviveAsNumbers) {
  const fs::path dir = fresh_dir("vals");
  const std::vector<uint16_t> bf = {f32_to_bf16(1.0f), f32_to_bf16(-2.5f)};
  Tensor t{"w", DType::kBF16, {2}, bf.data()};
  write_safetensors((dir / "m.safetensors").string(), {t});
  SafetensorsFile f((dir / "m.safetensors").string());
  const auto* p = static_cast<const uint16_t*>(f.tensors().at(0).data);
  EXPECT_EQ(bf16_to_f32(p[0]), 1.0f);
  EXPECT_EQ(bf16_to_f32(p[1]), -2.5f);
  EXPECT_TRUE(f.metadata().empty());
  fs::remove_all(dir);
}

TEST(SafetensorsIo, WriterRejectsBadInput) {
  const fs::path dir = fresh_dir("wbad");
  const std::string p = (dir / "x.safetensors").string();
  std::vector<uint8_t> buf(64);
  EXPECT_THROW(write_safetensors(p, {Tensor{"q", DType::kQ8_0, {32}, buf.data()}}), Error);
  EXPECT_THROW(write_safetensors(p, {Tensor{"i", DType::kI32, {2}, buf.data()}}), Error);
  EXPECT_THROW(write_safetensors(p, {Tensor{"a", DType::kF32, {1}, buf.data()}, Tensor{"a", DType::kF32, {1}, buf.data()}}),
               Error);
  EXPECT_THROW(write_safetensors(p, {Tensor{"n", DType::kF32, {2}, nullptr}}), Error);
  EXPECT_THROW(write_safetensors(p, {}, {{"k", 1}}), Error);  // metadata values are strings
  EXPECT_THROW(write_safetensors((dir / "no/such/dir.safetensors").string(), {}), Error);
  fs::remove_all(dir);
}

TEST(HfCheckpoint, SingleFile) {
  const fs::path dir = fresh_dir("single");
  write_text(dir / "config.json", R"({"model_type": "qwen3", "hidden_size": 64})");
  Owned a = make("model.embed_tokens.weight", DType::kBF16, {4, 8}, 7);
  write_safetensors((dir / "model.safetensors").string(), {a.t});
  HfCheckpoint ck(dir.string());
  EXPECT_EQ(ck.config()["hidden_size"], 64);
  EXPECT_EQ(ck.tensor_names(), std::vector<std::string>{"model.embed_tokens.weight"});
  ASSERT_NE(ck.find_tensor("model.embed_tokens.weight"), nullptr);
  expect_same(*ck.find_tensor("model.embed_tokens.weight"), a);
  EXPECT_EQ(ck.find_tensor("nope"), nullptr);
  fs::remove_all(dir);
}

// Two shards plus an index, the layout `save_pretrained` produces for big models.
fs::path sharded_dir(const std::string& name, const std::string& index_json, std::vector<Owned>* keep) {
  const fs::path dir = fresh_dir(name);
  write_text(dir / "config.json", R"({"text_config": {"hidden_size": 8}})");
  keep->push_back(make("x.0", DType::kF32, {2, 2}, 11));
  keep->push_back(make("x.1", DType::kF16, {3}, 12));
  keep->push_back(make("y.0", DType::kBF16, {1, 5}, 13));
  write_safetensors((dir / "model-00001-of-00002.safetensors").string(), {(*keep)[0].t, (*keep)[1].t});
  write_safetensors((dir / "model-00002-of-00002.safetensors").string(), {(*keep)[2].t});
  write_text(dir / "model.safetensors.index.json", index_json);
  return dir;
}

const char* kGoodIndex = R"({"metadata": {"total_size": 30}, "weight_map": {
  "x.0": "model-00001-of-00002.safetensors", "x.1": "model-00001-of-00002.safetensors",
  "y.0": "model-00002-of-00002.safetensors"}})";

TEST(HfCheckpoint, Sharded) {
  std::vector<Owned> keep;
  const fs::path dir = sharded_dir("sharded", kGoodIndex, &keep);
  HfCheckpoint ck(dir.string());
  EXPECT_EQ(ck.config()["text_config"]["hidden_size"], 8);
  EXPECT_EQ(ck.tensor_names(), (std::vector<std::string>{"x.0", "x.1", "y.0"}));
  for (const Owned& o : keep) {
    ASSERT_NE(ck.find_tensor(o.t.name), nullptr) << o.t.name;
    expect_same(*ck.find_tensor(o.t.name), o);
  }
  fs::remove_all(dir);
}

std::string checkpoint_error(const fs::path& dir) {
  try {
    HfCheckpoint ck(dir.string());
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(HfCheckpoint, DirectoryFaults) {
  struct Case {
    const char* name;
    std::string index;
    const char* words;
  };
  const Case cases[] = {
      {"index not json", "{oops", "not valid JSON"},
      {"no weight_map", R"({"metadata": {}})", "missing weight_map"},
      {"empty weight_map", R"({"weight_map": {}})", "weight_map is empty"},
      {"shard escapes dir", R"({"weight_map": {"x.0": "../model-00001-of-00002.safetensors"}})", "not a plain file name"},
      {"missing shard file", R"({"weight_map": {"x.0": "model-00003-of-00003.safetensors"}})", "cannot open"},
      {"wrong shard", R"({"weight_map": {"x.0": "model-00002-of-00002.safetensors"}})", "does not hold it"},
      {"unknown tensor", R"({"weight_map": {"z": "model-00002-of-00002.safetensors"}})", "'z'"},
      {"non-string entry", R"({"weight_map": {"x.0": 3}})", "is not a string"},
  };
  for (const Case& c : cases) {
    std::vector<Owned> keep;
    const fs::path dir = sharded_dir("fault", c.index, &keep);
    const std::string msg = checkpoint_error(dir);
    EXPECT_NE(msg.find(c.words), std::string::npos) << c.name << ": got \"" << msg << "\"";
    fs::remove_all(dir);
  }

  const fs::path dir = fresh_dir("bare");
  EXPECT_NE(checkpoint_error(dir / "missing").find("not a directory"), std::string::npos);
  EXPECT_NE(checkpoint_error(dir).find("no config.json"), std::string::npos);
  write_text(dir / "config.json", "[1, 2]");
  EXPECT_NE(checkpoint_error(dir).find("not a JSON object"), std::string::npos);
  write_text(dir / "config.json", "{}");
  EXPECT_NE(checkpoint_error(dir).find("no model.safetensors"), std::string::npos);
  // The same tensor in two shards is ambiguous.
  Owned a = make("dup", DType::kF32, {1}, 1);
  write_safetensors((dir / "s1.safetensors").string(), {a.t});
  write_safetensors((dir / "s2.safetensors").string(), {a.t});
  write_text(dir / "model.safetensors.index.json", R"({"weight_map": {"dup": "s1.safetensors", "other": "s2.safetensors"}})");
  EXPECT_NE(checkpoint_error(dir).find("appears in both"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace qvl
