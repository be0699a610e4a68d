// The llama.cpp-mirroring vision arithmetic (model/vision/vision_ggml.h, used by
// --vision-compat llama): each op against the F32/double references within the
// error its F16 casts allow, both flash-attention paths (< 64 and >= 64 queries,
// partial key tiles), and the whole encoder against the HF-semantics path.
// Bit-equality with llama.cpp itself is checked by tests/parity/vision_llamacpp.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "base/fp16.h"
#include "base/thread_pool.h"
#include "input/image/image.h"
#include "kernels/gelu.h"
#include "kernels/layernorm.h"
#include "kernels/vision_attention.h"
#include "kernels/vision_rope.h"
#include "model/vision/test_mmproj.h"
#include "model/vision/vision_ggml.h"
#include "model/vision/vision_internal.h"
#include "runtime/matmul.h"

namespace qvl {
namespace {

namespace fs = std::filesystem;

std::vector<float> wave(size_t n, double f, double amp) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(amp * std::sin(f * static_cast<double>(i) + 0.3));
  return v;
}

TEST(VisionGgml, GeluTableTracksTanhGelu) {
  std::vector<float> x = {-12.0f, -10.0f, -3.3f, -0.01f, 0.0f, 0.7f, 2.5f, 9.99f, 10.0f, 15.0f};
  std::vector<float> want(x.size());
  kernels::gelu_tanh_ref(x.data(), want.data(), static_cast<int64_t>(x.size()));
  std::vector<float> got = x;
  ggml_ops::gelu(got.data(), static_cast<int64_t>(got.size()));
  EXPECT_EQ(got[0], 0.0f);     // <= -10: zero
  EXPECT_EQ(got[1], 0.0f);
  EXPECT_EQ(got[8], 10.0f);    // >= 10: identity
  EXPECT_EQ(got[9], 15.0f);
  for (size_t i = 2; i < 8; ++i) EXPECT_NEAR(got[i], want[i], 2e-3 * (1 + std::fabs(want[i]))) << x[i];
  // Table values are halves.
  for (float g : got) EXPECT_EQ(g, fp16_to_f32(f32_to_fp16(g)));
}

TEST(VisionGgml, LayerNormMatchesReference) {
  for (int64_t n : {int64_t{128}, int64_t{131}}) {  // a multiple of 4 and a tail
    const int64_t rows = 5;
    auto x = wave(rows * n, 0.37, 3.0), w = wave(n, 0.11, 1.0), b = wave(n, 0.05, 0.5);
    std::vector<float> got(x.size()), want(x.size());
    ThreadPool pool(2);
    ggml_ops::layer_norm(x.data(), w, b, got.data(), rows, n, 1e-6f, pool);
    kernels::layer_norm_ref(x.data(), w.data(), b.data(), want.data(), rows, n, 1e-6f);
    for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-5) << n << " " << i;
  }
}

TEST(VisionGgml, RopeMatchesReference) {
  const int nh = 3, dv = 16;
  const int64_t n = 7, stride = nh * dv + 5;
  auto x = wave(n * stride, 0.21, 2.0), y = x;
  std::vector<int32_t> rows = {0, 1, 5, 9, 30, 47, 63}, cols = {0, 2, 4, 40, 7, 0, 63};
  ggml_ops::vision_rope(x.data(), stride, n, nh, dv, rows.data(), cols.data());
  kernels::vision_rope_ref(y.data(), stride, n, nh, dv, rows.data(), cols.data(), 10000.0f);
  for (size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(x[i], y[i], 2e-5 * (1 + std::fabs(y[i]))) << i;
}

TEST(VisionGgml, FlashAttentionBothPathsMatchReference) {
  // 37 queries: the one-chunk path (F16 accumulator); 64 and 150: the tiled path,
  // 150 with a partial last key tile. Two frames, odd head size.
  for (int64_t per : {int64_t{37}, int64_t{64}, int64_t{150}}) {
    const int64_t frames = 2, nh = 2, dv = 12, hv = nh * dv;
    auto qkv = wave(frames * per * 3 * hv, 0.13, 2.0);
    std::vector<float> got(frames * per * hv), want(got.size()), scratch(per);
    ThreadPool pool(2);
    const float scale = 1.0f / std::sqrt(12.0f);
    ggml_ops::flash_attention(qkv.data(), frames, per, nh, dv, scale, got.data(), pool);
    for (int64_t f = 0; f < frames; ++f)
      for (int64_t h = 0; h < nh; ++h) {
        const float* q = qkv.data() + f * per * 3 * hv + h * dv;
        kernels::vision_attention_ref(q, q + hv, q + 2 * hv, 3 * hv, 0, per, per, static_cast<int>(dv), scale,
                                      want.data() + f * per * hv + h * dv, hv, scratch.data());
      }
    // K/V (and in the one-chunk path q and the running sum) are F16: ~1e-3 relative.
    for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-2 * (1 + std::fabs(want[i]))) << per;
  }
}

TEST(VisionGgml, BilinearInterpolationAgreesWithHfLinspace) {
  const int64_t side = 6, hv = 3;
  auto table = wave(side * side * hv, 0.7, 1.0);
  EXPECT_EQ(ggml_ops::interpolate_bilinear(table, side, hv, 6, 6), table);
  for (auto [gh, gw] : {std::pair{3, 4}, {10, 8}, {2, 12}}) {
    auto got = ggml_ops::interpolate_bilinear(table, side, hv, gh, gw);
    auto want = interpolate_pos_embed(table, side, hv, gh, gw, PosEmbedInterp::kHfLinspace);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << gh << "x" << gw;
  }
}

TEST(VisionGgml, F16LinearMatchesReference) {
  const int64_t m = 9, k = 70, n = 4;
  std::vector<uint16_t> w16(m * k);
  auto wf = wave(m * k, 0.31, 0.2);
  for (size_t i = 0; i < w16.size(); ++i) w16[i] = f32_to_fp16(wf[i]);
  Tensor w{"w", DType::kF16, {m, k}, w16.data()};
  auto x = wave(n * k, 0.17, 1.5), b = wave(m, 0.9, 0.1);
  std::vector<float> got(n * m), want(n * m);
  ThreadPool pool(2);
  ggml_ops::linear(w, b, x.data(), n, got.data(), pool);
  matmul_ref(w, x.data(), n, want.data());
  for (int64_t t = 0; t < n; ++t)
    for (int64_t o = 0; o < m; ++o) EXPECT_NEAR(got[t * m + o], want[t * m + o] + b[o], 2e-3) << t << "," << o;
}

TEST(VisionGgml, EncoderTracksHfPathOnBothAttentionPaths) {
  const fs::path dir = fs::temp_directory_path() / ("qvl_vision_ggml_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "p.gguf").string();
  write_test_mmproj("tiny", 64, 5, path, "gguf");
  auto hf = load_vision_model(path), ll = load_vision_model(path);
  hf->options().merger_gelu_tanh = true;  // isolate the arithmetic from the GELU choice
  ll->options() = llama_cpp_vision_options();
  ThreadPool pool(2);
  for (auto [w, h] : {std::pair{64, 96}, {160, 128}}) {  // 24 and 80 patches per head
    Image img;
    img.width = w, img.height = h;
    img.rgb.resize(static_cast<size_t>(w) * h * 3);
    for (size_t i = 0; i < img.rgb.size(); ++i) img.rgb[i] = static_cast<uint8_t>((i * 37 + i / 97) & 255);
    const PixelValues pv = preprocess_image(img, hf->preprocess_options({1024, 1 << 20}));
    const VisionOutput a = hf->encode(pv, pool), b = ll->encode(pv, pool);
    ASSERT_EQ(a.n_tokens, b.n_tokens);
    double num = 0, den = 0;
    for (size_t i = 0; i < a.main.size(); ++i) num += std::pow(a.main[i] - b.main[i], 2), den += std::pow(a.main[i], 2);
    EXPECT_LT(std::sqrt(num / den), 1e-2) << w << "x" << h;
    EXPECT_NE(a.main, b.main);  // the llama path really rounds differently
    EXPECT_EQ(llama_embedding_stats(b), llama_embedding_stats(ll->encode(pv, pool)));  // deterministic
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace qvl
