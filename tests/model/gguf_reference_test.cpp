// Reads GGUF files written by the reference (Python gguf) writer: the vocabulary
// files shipped in llama.cpp's source, which `make deps` clones from the bundle in
// node-llama-cpp into .cache/ (a missing reference fails: tests/reference_required.h).
// Each is re-written by GgufWriter and read back.
// Three files keep it fast: Qwen2 BPE (our family), Aquila (GGUF v2), Llama SPM.
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "../reference_required.h"

#include "base/error.h"
#include "model/gguf/gguf.h"

namespace qvl {
namespace {

namespace fs = std::filesystem;

bool same(const GgufValue& a, const GgufValue& b) {
  if (a.type != b.type) return false;
  if (a.type != GgufType::kArray) return a.scalar == b.scalar;
  if (a.elem_type != b.elem_type || a.array.size() != b.array.size()) return false;
  for (size_t i = 0; i < a.array.size(); ++i)
    if (!same(a.array[i], b.array[i])) return false;
  return true;
}

TEST(GgufReference, ReadsAndRewritesLlamaCppVocabFiles) {
  const fs::path dir = fs::path(QVL_SOURCE_DIR) / ".cache/llama.cpp-src/models";
  std::vector<fs::path> files;
  for (const char* name : {"ggml-vocab-qwen2.gguf", "ggml-vocab-aquila.gguf", "ggml-vocab-llama-spm.gguf"})
    if (fs::exists(dir / name)) files.push_back(dir / name);
  QVL_REQUIRE_REFERENCE(files.size() == 3, "llama.cpp's vocabulary GGUFs in " << dir.string());

  const std::string out = ::testing::TempDir() + "qvl_gguf_ref_" + std::to_string(getpid()) + ".gguf";
  for (const fs::path& p : files) {
    SCOPED_TRACE(p.filename().string());
    GgufFile f(p.string());
    EXPECT_TRUE(f.version() == 2 || f.version() == 3);
    EXPECT_FALSE(f.get("general.architecture").as_string().empty());
    const GgufValue& tokens = f.get("tokenizer.ggml.tokens");
    ASSERT_EQ(tokens.elem_type, GgufType::kString);
    EXPECT_GT(tokens.array.size(), 1000u);  // every shipped vocabulary is a real one
    if (const GgufValue* types = f.find("tokenizer.ggml.token_type"))
      EXPECT_EQ(types->array.size(), tokens.array.size());

    GgufWriter w;
    for (const auto& [k, v] : f.metadata()) w.set(k, v);
    w.write(out, f.alignment());
    GgufFile g(out);
    ASSERT_EQ(g.metadata().size(), f.metadata().size());
    for (const auto& [k, v] : f.metadata()) EXPECT_TRUE(same(v, g.get(k))) << k;
  }
  unlink(out.c_str());
}

}  // namespace
}  // namespace qvl
