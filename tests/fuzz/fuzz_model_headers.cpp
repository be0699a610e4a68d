// GGUF and safetensors headers (metadata, tensor tables, offsets): the first byte
// picks the format, the rest is the file. Written to a per-process file because
// both readers map a path.
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "fuzz_util.h"
#include "model/gguf/gguf.h"
#include "model/hf/safetensors.h"

using namespace qvl;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const std::string path = "/tmp/qvl-fuzz-model-" + std::to_string(getpid());
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
  }
  if (data[0] & 1) {
    fuzz::expect_clean([&] {
      GgufFile g(path);
      for (const auto& t : g.tensors()) (void)t.nbytes();
    });
  } else {
    fuzz::expect_clean([&] {
      SafetensorsFile s(path);
      for (const auto& t : s.tensors()) (void)t.nbytes();
    });
  }
  return 0;
}
