// QVL_DUMP_DIR writer (model layer): see tensor_dump.h. Debug only: files are
// overwritten per process, errors are ignored (a failed dump must not stop inference).
#include "model/qwen3vl/tensor_dump.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace qvl {
namespace {

const char* dump_dir() {
  static const char* dir = std::getenv("QVL_DUMP_DIR");
  return dir && *dir ? dir : nullptr;
}

}  // namespace

bool tensor_dump_enabled() { return dump_dir() != nullptr; }

void tensor_dump(const std::string& name, int layer, const float* data, int64_t rows, int64_t cols) {
  const char* dir = dump_dir();
  if (!dir) return;
  static std::mutex mu;
  static int counter = 0;
  std::lock_guard<std::mutex> lock(mu);
  char file[32];
  std::snprintf(file, sizeof file, "%04d.bin", counter++);
  const std::string base(dir);
  if (FILE* f = std::fopen((base + "/" + file).c_str(), "wb")) {
    std::fwrite(data, sizeof(float), size_t(rows * cols), f);
    std::fclose(f);
  }
  if (FILE* idx = std::fopen((base + "/index.txt").c_str(), counter == 1 ? "w" : "a")) {
    const std::string full = layer >= 0 ? name + "-" + std::to_string(layer) : name;
    std::fprintf(idx, "%s %s - %lld %lld 1 1\n", file, full.c_str(), (long long)cols, (long long)rows);
    std::fclose(idx);
  }
}

}  // namespace qvl
