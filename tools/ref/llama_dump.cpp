// Investigation tool (not part of the build): runs one prompt through llama.cpp and
// writes every graph tensor it computes, as F32, so qvl's QVL_DUMP_DIR dumps can be
// compared layer by layer (tools/ref/compare_dumps.mjs). Links the llama.cpp build in
// .cache (bench/build-llamacpp.sh); nothing built from it is committed.
//
// build: g++ -O2 -std=c++17 tools/ref/llama_dump.cpp -I.cache/llama.cpp-src/include \
//          -I.cache/llama.cpp-src/ggml/include -L.cache/llama.cpp-build/bin -lllama -lggml -lggml-base \
//          -Wl,-rpath,$PWD/.cache/llama.cpp-build/bin -o /tmp/llama_dump
// or, to run node-llama-cpp's own kernels (the parity reference), link its prebuilt
// libraries instead: -L$NLC -l:libllama.v0.5.0.so -l:libggml.v0.5.0.so -l:libggml-base.so
// -Wl,-rpath,$NLC with NLC=node_modules/@node-llama-cpp/linux-x64/bins/linux-x64, and
// run with GGML_BACKEND_DIR=$NLC.
// usage: llama_dump MODEL.gguf OUTDIR PROMPT [threads]
// OUTDIR/index.txt: one line per tensor "file name type ne0 ne1 ne2 ne3"; the file
// holds ne0*ne1*ne2*ne3 floats, ne0 fastest (ggml order), non-contiguous views copied.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "ggml-backend.h"
#include "ggml.h"
#include "llama.h"

namespace {

struct Dump {
  std::string dir;
  FILE* index = nullptr;
  int n = 0;
};

float element(const ggml_tensor* t, int64_t i0, int64_t i1, int64_t i2, int64_t i3) {
  const char* p = static_cast<const char*>(t->data) + i0 * t->nb[0] + i1 * t->nb[1] + i2 * t->nb[2] + i3 * t->nb[3];
  switch (t->type) {
    case GGML_TYPE_F32: { float f; std::memcpy(&f, p, 4); return f; }
    case GGML_TYPE_F16: { ggml_fp16_t h; std::memcpy(&h, p, 2); return ggml_fp16_to_fp32(h); }
    case GGML_TYPE_I32: { int32_t v; std::memcpy(&v, p, 4); return float(v); }
    default: return 0.0f;
  }
}

bool on_tensor(ggml_tensor* t, bool ask, void* user) {
  if (ask) return true;
  auto* d = static_cast<Dump*>(user);
  if (t->type != GGML_TYPE_F32 && t->type != GGML_TYPE_F16 && t->type != GGML_TYPE_I32) return true;
  if (!t->data) return true;
  char file[64];
  std::snprintf(file, sizeof file, "%04d.bin", d->n++);
  FILE* f = std::fopen((d->dir + "/" + file).c_str(), "wb");
  if (!f) return true;
  std::vector<float> row(size_t(t->ne[0]));
  for (int64_t i3 = 0; i3 < t->ne[3]; ++i3)
    for (int64_t i2 = 0; i2 < t->ne[2]; ++i2)
      for (int64_t i1 = 0; i1 < t->ne[1]; ++i1) {
        for (int64_t i0 = 0; i0 < t->ne[0]; ++i0) row[size_t(i0)] = element(t, i0, i1, i2, i3);
        std::fwrite(row.data(), 4, row.size(), f);
      }
  std::fclose(f);
  std::fprintf(d->index, "%s %s %s %lld %lld %lld %lld\n", file, t->name, ggml_op_desc(t), (long long)t->ne[0],
               (long long)t->ne[1], (long long)t->ne[2], (long long)t->ne[3]);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: llama_dump MODEL.gguf OUTDIR PROMPT [threads]\n");
    return 2;
  }
  Dump d;
  d.dir = argv[2];
  d.index = std::fopen((d.dir + "/index.txt").c_str(), "w");
  if (!d.index) {
    std::fprintf(stderr, "llama_dump: cannot write %s/index.txt\n", argv[2]);
    return 1;
  }
  const int threads = argc > 4 ? std::atoi(argv[4]) : 2;
  // node-llama-cpp's prebuilt libggml loads its CPU variant at run time: point
  // GGML_BACKEND_DIR at node_modules/@node-llama-cpp/linux-x64/bins/linux-x64.
  if (const char* dir = std::getenv("GGML_BACKEND_DIR")) ggml_backend_load_all_from_path(dir);
  llama_backend_init();
  llama_model_params mp = llama_model_default_params();
  mp.n_gpu_layers = 0;
  llama_model* model = llama_model_load_from_file(argv[1], mp);
  if (!model) return 1;
  const llama_vocab* vocab = llama_model_get_vocab(model);
  const std::string prompt = argv[3];
  std::vector<llama_token> toks(prompt.size() + 8);
  const int n = llama_tokenize(vocab, prompt.c_str(), int(prompt.size()), toks.data(), int(toks.size()), false, true);
  if (n <= 0) return 1;
  toks.resize(size_t(n));
  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = uint32_t(n + 40);
  cp.n_batch = cp.n_ubatch = uint32_t(std::max(n, 32));
  cp.n_threads = cp.n_threads_batch = threads;
  cp.cb_eval = on_tensor;
  cp.cb_eval_user_data = &d;
  cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
  llama_context* ctx = llama_init_from_model(model, cp);
  if (!ctx) return 1;
  llama_batch b = llama_batch_get_one(toks.data(), n);
  if (llama_decode(ctx, b) != 0) return 1;
  std::fclose(d.index);
  const float* logits = llama_get_logits_ith(ctx, -1);
  int best = 0;
  for (int i = 1; i < llama_vocab_n_tokens(vocab); ++i)
    if (logits[i] > logits[best]) best = i;
  std::printf("n_prompt %d argmax %d logit %.6f tensors %d\n", n, best, logits[best], d.n);
  llama_free(ctx);
  llama_model_free(model);
  return 0;
}
