// load_model(): picks the GGUF or the Hugging Face loader by looking at the path
// (model layer). A directory is an HF checkpoint; a file must start with "GGUF".
#include <cstring>
#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "model/model.h"
#include "model/qwen3vl/text_model.h"

namespace qvl {

std::unique_ptr<Model> load_gguf_model(const std::string& path, const ProgressFn& progress);
std::unique_ptr<Model> load_hf_model(const std::string& dir, const ProgressFn& progress);

namespace {
std::unique_ptr<Model> load_any(const std::string& path, const ProgressFn& progress) {
  namespace fs = std::filesystem;
  std::error_code ec;
  QVL_CHECK(fs::exists(path, ec), path, ": no such file or directory");
  if (fs::is_directory(path, ec)) {
    QVL_CHECK(fs::exists(fs::path(path) / "config.json", ec), path, ": directory has no config.json");
    return load_hf_model(path, progress);
  }
  char magic[4] = {0, 0, 0, 0};
  std::ifstream in(path, std::ios::binary);
  in.read(magic, 4);
  QVL_CHECK(in.gcount() == 4 && std::memcmp(magic, "GGUF", 4) == 0, path,
            ": not a GGUF file (expected a .gguf file or an HF directory with config.json)");
  return load_gguf_model(path, progress);
}
}  // namespace

std::unique_ptr<Model> load_model(const std::string& path, const ModelOptions& options) {
  auto m = load_any(path, options.progress);
  if (auto* text = dynamic_cast<Qwen3TextModel*>(m.get())) text->set_numerics(options.numerics);
  return m;
}

}  // namespace qvl
