// Vision tower: a tiny random mmproj written by write_test_mmproj, run by the
// encoder and by a plain double-precision re-implementation of HF's
// Qwen3VLVisionModel.forward in this file (written from the spec's formulas, not
// from the encoder's code). Also GGUF vs HF directory, errors, prompt expansion
// and the cache.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "base/fp16.h"
#include "base/thread_pool.h"
#include "model/gguf/gguf.h"
#include "kernels/vision_attention.h"
#include "model/vision/test_mmproj.h"
#include "model/vision/vision_internal.h"
#include "model/vision/vision_prompt.h"

namespace qvl {
namespace {

namespace fs = std::filesystem;
using Vec = std::vector<double>;

fs::path temp_dir() {
  fs::path d = fs::temp_directory_path() / ("qvl_vision_test_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

struct RefWeights {
  const GgufFile& f;
  Vec get(const std::string& name) const {
    const Tensor* t = f.find_tensor(name);
    EXPECT_NE(t, nullptr) << name;
    Vec v(t->numel());
    for (int64_t i = 0; i < t->numel(); ++i) {
      v[i] = t->dtype == DType::kF16 ? fp16_to_f32(static_cast<const uint16_t*>(t->data)[i])
                                     : static_cast<const float*>(t->data)[i];
    }
    return v;
  }
};

// y[n][out] = x[n][in] · W[out][in]ᵀ + b
Vec lin(const Vec& x, int64_t n, const Vec& w, const Vec& b, int64_t in, int64_t out) {
  Vec y(n * out);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t o = 0; o < out; ++o) {
      double s = b[o];
      for (int64_t i = 0; i < in; ++i) s += x[r * in + i] * w[o * in + i];
      y[r * out + o] = s;
    }
  return y;
}
Vec ln(const Vec& x, int64_t n, int64_t d, const Vec& w, const Vec& b, double eps) {
  Vec y(x.size());
  for (int64_t r = 0; r < n; ++r) {
    double m = 0, v = 0;
    for (int64_t i = 0; i < d; ++i) m += x[r * d + i];
    m /= d;
    for (int64_t i = 0; i < d; ++i) v += (x[r * d + i] - m) * (x[r * d + i] - m);
    v /= d;
    for (int64_t i = 0; i < d; ++i) y[r * d + i] = (x[r * d + i] - m) / std::sqrt(v + eps) * w[i] + b[i];
  }
  return y;
}
double gelu_tanh(double x) { return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))); }
double gelu_erf(double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }

struct RefOut {
  Vec main;
  std::vector<Vec> ds;
};

RefOut reference_forward(const GgufFile& f, const VisionConfig& c, const PixelValues& pv) {
  RefWeights W{f};
  const int64_t hv = c.hidden_size, n = pv.n_patches(), dv = c.head_dim(), nh = c.num_heads, I = c.intermediate_size;
  const int64_t k = pv.row_size, pp = c.patch_size * c.patch_size;
  // Patch kernel as Conv3d: column (ch, t, py, px).
  Vec wp(hv * k);
  for (int64_t t = 0; t < 2; ++t) {
    const Vec w = W.get(t == 0 ? "v.patch_embd.weight" : "v.patch_embd.weight.1");
    for (int64_t o = 0; o < hv; ++o)
      for (int64_t ch = 0; ch < 3; ++ch)
        for (int64_t i = 0; i < pp; ++i) wp[o * k + (ch * 2 + t) * pp + i] = w[(o * 3 + ch) * pp + i];
  }
  Vec px(pv.data.begin(), pv.data.end());
  Vec x = lin(px, n, wp, W.get("v.patch_embd.bias"), k, hv);
  // Positions: token order t, block row, block col, in-block row, col.
  const Vec table = W.get("v.position_embd.weight");
  std::vector<int> rows, cols;
  for (int t = 0; t < pv.grid_t; ++t)
    for (int bh = 0; bh < pv.grid_h / 2; ++bh)
      for (int bw = 0; bw < pv.grid_w / 2; ++bw)
        for (int mh = 0; mh < 2; ++mh)
          for (int mw = 0; mw < 2; ++mw) rows.push_back(bh * 2 + mh), cols.push_back(bw * 2 + mw);
  auto lsp = [](int steps, int i) { return steps == 1 ? 0.0 : 47.0 * i / (steps - 1); };
  for (int64_t i = 0; i < n; ++i) {
    const double hy = lsp(pv.grid_h, rows[i]), wx = lsp(pv.grid_w, cols[i]);
    const int y0 = int(hy), x0 = int(wx), y1 = std::min(y0 + 1, 47), x1 = std::min(x0 + 1, 47);
    const double dy = hy - y0, dx = wx - x0;
    for (int64_t e = 0; e < hv; ++e) {
      auto P = [&](int r, int cc) { return table[(r * 48 + cc) * hv + e]; };
      x[i * hv + e] += (1 - dy) * (1 - dx) * P(y0, x0) + (1 - dy) * dx * P(y0, x1) + dy * (1 - dx) * P(y1, x0) +
                       dy * dx * P(y1, x1);
    }
  }
  auto merger = [&](const Vec& in, const std::string& norm, const std::string& fc1, const std::string& fc2, bool post) {
    const int64_t m = n / 4, wide = 4 * hv;
    Vec h = post ? ln(in, m, wide, W.get(norm + ".weight"), W.get(norm + ".bias"), c.layer_norm_eps)
                 : ln(in, n, hv, W.get(norm + ".weight"), W.get(norm + ".bias"), c.layer_norm_eps);
    h = lin(h, m, W.get(fc1 + ".weight"), W.get(fc1 + ".bias"), wide, wide);
    for (double& v : h) v = gelu_erf(v);
    return lin(h, m, W.get(fc2 + ".weight"), W.get(fc2 + ".bias"), wide, c.out_hidden_size);
  };
  RefOut out;
  const int64_t per_frame = int64_t{pv.grid_h} * pv.grid_w;
  for (int64_t l = 0; l < c.depth; ++l) {
    const std::string b = "v.blk." + std::to_string(l) + ".";
    Vec h = ln(x, n, hv, W.get(b + "ln1.weight"), W.get(b + "ln1.bias"), c.layer_norm_eps);
    Vec qkv = lin(h, n, W.get(b + "attn_qkv.weight"), W.get(b + "attn_qkv.bias"), hv, 3 * hv);
    // 2-D rotary: angle pair i uses row (i < dv/4) or col, freq 10000^(-2j/(dv/2)).
    for (int64_t i = 0; i < n; ++i)
      for (int part = 0; part < 2; ++part)
        for (int64_t hd = 0; hd < nh; ++hd) {
          double* v = &qkv[i * 3 * hv + part * hv + hd * dv];
          for (int64_t p = 0; p < dv / 2; ++p) {
            const int64_t j = p < dv / 4 ? p : p - dv / 4;
            const double a = (p < dv / 4 ? rows[i] : cols[i]) * std::pow(10000.0, -2.0 * j / (dv / 2));
            const double u = v[p], w = v[p + dv / 2];
            v[p] = u * std::cos(a) - w * std::sin(a);
            v[p + dv / 2] = w * std::cos(a) + u * std::sin(a);
          }
        }
    Vec att(n * hv);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t f0 = (i / per_frame) * per_frame;
      for (int64_t hd = 0; hd < nh; ++hd) {
        Vec s(per_frame);
        double mx = -1e300, sum = 0;
        for (int64_t j = 0; j < per_frame; ++j) {
          double d = 0;
          for (int64_t e = 0; e < dv; ++e) d += qkv[i * 3 * hv + hd * dv + e] * qkv[(f0 + j) * 3 * hv + hv + hd * dv + e];
          s[j] = d / std::sqrt(double(dv));
          mx = std::max(mx, s[j]);
        }
        for (double& v : s) sum += (v = std::exp(v - mx));
        for (int64_t e = 0; e < dv; ++e) {
          double o = 0;
          for (int64_t j = 0; j < per_frame; ++j) o += s[j] / sum * qkv[(f0 + j) * 3 * hv + 2 * hv + hd * dv + e];
          att[i * hv + hd * dv + e] = o;
        }
      }
    }
    Vec o = lin(att, n, W.get(b + "attn_out.weight"), W.get(b + "attn_out.bias"), hv, hv);
    for (size_t i = 0; i < x.size(); ++i) x[i] += o[i];
    h = ln(x, n, hv, W.get(b + "ln2.weight"), W.get(b + "ln2.bias"), c.layer_norm_eps);
    h = lin(h, n, W.get(b + "ffn_up.weight"), W.get(b + "ffn_up.bias"), hv, I);
    for (double& v : h) v = gelu_tanh(v);
    o = lin(h, n, W.get(b + "ffn_down.weight"), W.get(b + "ffn_down.bias"), I, hv);
    for (size_t i = 0; i < x.size(); ++i) x[i] += o[i];
    for (int64_t tap : c.deepstack_visual_indexes) {
      if (tap != l) continue;
      const std::string d = "v.deepstack." + std::to_string(tap) + ".";
      out.ds.push_back(merger(x, d + "norm", d + "fc1", d + "fc2", true));
    }
  }
  out.main = merger(x, "v.post_ln", "mm.0", "mm.2", false);
  return out;
}

// Max |a - b| relative to the reference's RMS. The encoder feeds F16 weights
// F16-rounded activations (2^-11 relative), so a few 1e-3 is expected after
// 4 blocks; 2e-2 leaves room without hiding a wrong formula (those give O(1)).
double rel_err(const std::vector<float>& got, const Vec& want) {
  double rms = 0, worst = 0;
  for (double v : want) rms += v * v;
  rms = std::sqrt(rms / want.size());
  for (size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::fabs(got[i] - want[i]));
  return worst / rms;
}

Image gradient(int w, int h, int seed) {
  Image img(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = img.at(x, y);
      p[0] = uint8_t(x * 255 / w), p[1] = uint8_t(y * 255 / h), p[2] = uint8_t((x * 7 + y * 3 + seed * 50) % 256);
    }
  return img;
}

TEST(VisionPosEmbed, InterpolationModes) {
  const int64_t side = 6, hv = 3;
  std::vector<float> table(side * side * hv);
  for (size_t i = 0; i < table.size(); ++i) table[i] = std::sin(0.37 * i) * 3;
  for (auto mode : {PosEmbedInterp::kHfLinspace, PosEmbedInterp::kGgmlBilinearAA}) {
    EXPECT_EQ(interpolate_pos_embed(table, side, hv, side, side, mode), table);  // same grid: the table itself
  }
  // HF linspace: corners map to corners (align_corners), e.g. a 3x4 grid's last row/col = table's last.
  auto hf = interpolate_pos_embed(table, side, hv, 3, 4, PosEmbedInterp::kHfLinspace);
  for (int e = 0; e < hv; ++e) EXPECT_NEAR(hf[(2 * 4 + 3) * hv + e], table[(5 * side + 5) * hv + e], 1e-6);
  // ggml antialias, 2x upsampling: half-pixel bilinear, output (1, 1) sits at source (0.25, 0.25).
  auto aa = interpolate_pos_embed(table, side, hv, 12, 12, PosEmbedInterp::kGgmlBilinearAA);
  for (int e = 0; e < hv; ++e) {
    auto P = [&](int r, int c) { return double(table[(r * side + c) * hv + e]); };
    const double want = 0.75 * 0.75 * P(0, 0) + 0.75 * 0.25 * (P(0, 1) + P(1, 0)) + 0.25 * 0.25 * P(1, 1);
    EXPECT_NEAR(aa[(1 * 12 + 1) * hv + e], want, 1e-5);
  }
  // 2x downsampling averages a 4x4 triangle window: output (0, 0) centres on source (1, 1).
  auto down = interpolate_pos_embed(table, side, hv, 3, 3, PosEmbedInterp::kGgmlBilinearAA);
  for (int e = 0; e < hv; ++e) {
    double num = 0, den = 0;
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) {
        const double w = (1 - std::fabs(r + 0.5 - 1.0) / 2) * (1 - std::fabs(c + 0.5 - 1.0) / 2);
        num += w * table[(r * side + c) * hv + e], den += w;
      }
    EXPECT_NEAR(down[e], num / den, 1e-5);
  }
}

TEST(VisionPrompt, VideoPlaceholderBecomesTimestampedFramePairs) {
  auto feat = std::make_shared<VisionOutput>();
  feat->grid = {2, 4, 6};  // two temporal patches of 2 x 3 merged tokens
  feat->n_tokens = 12;
  feat->hidden = 1;
  const VisionTokenIds ids;
  VideoInput v{feat, {0.25, 1.25}};
  // Fake tokenizer: one token per character, ids 1000 + char.
  const TextTokenizer tok = [](const std::string& s) {
    std::vector<int32_t> r;
    for (char c : s) r.push_back(1000 + c);
    return r;
  };
  const std::vector<int32_t> raw = {7, ids.vision_start, ids.video_pad, ids.vision_end, 8};
  const VisionPrompt p = expand_vision_pads(raw, {}, {v}, tok, ids);
  const std::string t0 = "<0.2 seconds>", t1 = "<1.2 seconds>";
  ASSERT_EQ(p.tokens.size(), 1 + (t0.size() + 1 + 6 + 1) + (t1.size() + 1 + 6 + 1) + 1);
  EXPECT_EQ(p.tokens[1], 1000 + '<');
  EXPECT_EQ(p.tokens[1 + t0.size()], ids.vision_start);
  ASSERT_EQ(p.spans.size(), 2u);
  EXPECT_EQ(p.spans[0].start, static_cast<int32_t>(2 + t0.size()));
  EXPECT_EQ(p.spans[1].row_offset, 6);
  EXPECT_EQ(p.spans[1].n_tokens, 6);
  // Positions: each frame pair restarts t at 0; the second block starts after the
  // first's max (2 + 13 text, 3 columns) and its own timestamp text.
  const int32_t s0 = p.spans[0].start;
  EXPECT_EQ(p.positions[s0], (std::array<int32_t, 3>{s0, s0, s0}));
  EXPECT_EQ(p.positions[s0 + 5], (std::array<int32_t, 3>{s0, s0 + 1, s0 + 2}));
  const int32_t s1 = p.spans[1].start;
  const int32_t next = s0 + 3 + 1 + static_cast<int32_t>(t1.size()) + 1;  // vision_end, text, vision_start
  EXPECT_EQ(p.positions[s1], (std::array<int32_t, 3>{next, next, next}));
  EXPECT_EQ(p.tokens.back(), 8);
  EXPECT_THROW(expand_vision_pads(raw, {}, {}, tok, ids), Error);
  EXPECT_THROW(expand_vision_pads(raw, {}, {v}, nullptr, ids), Error);
}

TEST(VisionAttention, MatmulPathMatchesKernelReference) {
  // Odd shapes: 2 frames of 37 tokens, 3 heads of 12.
  const int64_t frames = 2, per = 37, nh = 3, dv = 12, hv = nh * dv;
  std::vector<float> qkv(frames * per * 3 * hv);
  for (size_t i = 0; i < qkv.size(); ++i) qkv[i] = static_cast<float>(std::sin(0.13 * i) * 2);
  std::vector<float> got(frames * per * hv), want(got.size()), scratch(per);
  ThreadPool pool(2);
  const float scale = 1.0f / std::sqrt(12.0f);
  vision_attention(qkv.data(), frames, per, nh, dv, scale, got.data(), pool);
  for (int64_t f = 0; f < frames; ++f)
    for (int64_t h = 0; h < nh; ++h) {
      const float* q = qkv.data() + f * per * 3 * hv + h * dv;
      kernels::vision_attention_ref(q, q + hv, q + 2 * hv, 3 * hv, 0, per, per, static_cast<int>(dv), scale,
                                    want.data() + f * per * hv + h * dv, hv, scratch.data());
    }
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-5 * (1 + std::fabs(want[i]))) << i;
}

class VisionTiny : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = temp_dir();
    write_test_mmproj("tiny", 64, 11, (dir_ / "mmproj.gguf").string(), "gguf");
    write_test_mmproj("tiny", 64, 11, (dir_ / "hf").string(), "hf");
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  static fs::path dir_;
};
fs::path VisionTiny::dir_;

TEST_F(VisionTiny, MatchesDoublePrecisionReference) {
  const std::string path = (dir_ / "mmproj.gguf").string();
  auto vm = load_vision_model(path);
  const VisionConfig& c = vm->config();
  EXPECT_EQ(c.depth, 4);
  EXPECT_EQ(c.hidden_size, 128);
  EXPECT_EQ(c.out_hidden_size, 64);
  EXPECT_EQ(c.deepstack_visual_indexes, (std::vector<int64_t>{1, 2, 3}));
  GgufFile f(path);
  ThreadPool pool(2);
  for (auto [w, h] : {std::pair{64, 64}, {96, 64}, {32, 128}}) {
    PreprocessOptions opt = vm->preprocess_options({1024, 1 << 20});
    const PixelValues pv = preprocess_image(gradient(w, h, w), opt);
    const VisionOutput out = vm->encode(pv, pool);
    ASSERT_EQ(out.n_tokens, int64_t{w / 32} * (h / 32));
    ASSERT_EQ(out.deepstack.size(), 3u);
    const RefOut ref = reference_forward(f, c, pv);
    const double e_main = rel_err(out.main, ref.main);
    std::printf("[ vision   ] %dx%d: worst |error| / rms vs the f64 reference: main %.2e, taps", w, h, e_main);
    for (int k = 0; k < 3; ++k) std::printf(" %.2e", rel_err(out.deepstack[k], ref.ds[k]));
    std::printf("\n");
    // F32 arithmetic throughout (panel GEMMs): measured 3.7e-6 .. 6.1e-6 on AVX2 and
    // AVX-512 alike; 2e-5 is about 3x that. (Rounding activations to F16, as the
    // llama.cpp path does, gives ~1e-3.)
    EXPECT_LT(e_main, 2e-5) << w << "x" << h;
    for (int k = 0; k < 3; ++k) EXPECT_LT(rel_err(out.deepstack[k], ref.ds[k]), 2e-5) << "tap " << k;
  }
}

TEST_F(VisionTiny, HfDirectoryGivesTheSameTower) {
  auto g = load_vision_model((dir_ / "mmproj.gguf").string());
  auto h = load_vision_model((dir_ / "hf").string());
  EXPECT_EQ(h->config().deepstack_visual_indexes, g->config().deepstack_visual_indexes);
  ThreadPool pool(2);
  const PixelValues pv = preprocess_image(gradient(64, 96, 3), g->preprocess_options({1024, 1 << 20}));
  const VisionOutput a = g->encode(pv, pool), b = h->encode(pv, pool);
  ASSERT_EQ(a.main.size(), b.main.size());
  Vec bm(b.main.begin(), b.main.end());
  Vec bd(b.deepstack[2].begin(), b.deepstack[2].end());
  std::printf("[ vision   ] gguf vs hf directory: main %.2e, tap 2 %.2e\n", rel_err(a.main, bm), rel_err(a.deepstack[2], bd));
  // The same weight values in another container and dtype: the panel GEMM widens
  // every stored dtype exactly and sums in one order, so the bits are equal.
  EXPECT_EQ(rel_err(a.main, bm), 0.0);
  EXPECT_EQ(rel_err(a.deepstack[2], bd), 0.0);
}

// write_test_mmproj(..., f32_matrices = true) (make-test-model --mmproj-type f32): the
// same tower with F32 matrices, which the F32 GEMM path then runs.
TEST_F(VisionTiny, F32MatricesGiveTheSameTower) {
  const std::string path = (dir_ / "mmproj-f32.gguf").string();
  write_test_mmproj("tiny", 64, 11, path, "gguf", true);
  GgufFile f32(path), f16((dir_ / "mmproj.gguf").string());
  ASSERT_EQ(f32.tensors().size(), f16.tensors().size());
  int matrices = 0;
  for (const Tensor& t : f16.tensors()) {
    const Tensor* u = f32.find_tensor(t.name);
    ASSERT_NE(u, nullptr) << t.name;
    EXPECT_EQ(u->shape, t.shape) << t.name;
    EXPECT_EQ(u->dtype, DType::kF32) << t.name;
    matrices += t.dtype == DType::kF16;
  }
  EXPECT_GT(matrices, 0);
  auto a = load_vision_model((dir_ / "mmproj.gguf").string());
  auto b = load_vision_model(path);
  ThreadPool pool(2);
  const PixelValues pv = preprocess_image(gradient(64, 64, 5), a->preprocess_options({1024, 1 << 20}));
  const VisionOutput oa = a->encode(pv, pool), ob = b->encode(pv, pool);
  Vec bm(ob.main.begin(), ob.main.end());
  std::printf("[ vision   ] f16 vs f32 matrices: main %.2e\n", rel_err(oa.main, bm));
  // The F32 file holds the F16 file's values (write_test_mmproj rounds them), and
  // the panel GEMM widens F16 exactly: equal bits.
  EXPECT_EQ(rel_err(oa.main, bm), 0.0);
}

TEST_F(VisionTiny, BadFilesAreErrors) {
  EXPECT_THROW(load_vision_model((dir_ / "missing.gguf").string()), Error);
  const fs::path junk = dir_ / "junk.gguf";
  std::ofstream(junk) << "not a gguf file at all";
  EXPECT_THROW(load_vision_model(junk.string()), Error);
  // A truncated copy.
  const fs::path cut = dir_ / "cut.gguf";
  fs::copy_file(dir_ / "mmproj.gguf", cut, fs::copy_options::overwrite_existing);
  fs::resize_file(cut, fs::file_size(cut) / 2);
  EXPECT_THROW(load_vision_model(cut.string()), Error);
  EXPECT_THROW(write_test_mmproj("huge", 64, 1, (dir_ / "x.gguf").string(), "gguf"), Error);
}

TEST_F(VisionTiny, PromptExpansionPositionsAndCache) {
  auto vm = load_vision_model((dir_ / "mmproj.gguf").string());
  ThreadPool pool(2);
  VisionCache cache(4);
  const PixelBudget budget{1024, 1 << 20};
  auto a = encode_image(*vm, gradient(128, 64, 1), budget, pool, &cache);  // 4 x 2 merged
  auto a2 = encode_image(*vm, gradient(128, 64, 1), budget, pool, &cache);
  EXPECT_EQ(a.get(), a2.get());  // served from the cache
  auto b = encode_image(*vm, gradient(64, 64, 2), budget, pool, &cache);
  EXPECT_EQ(cache.size(), 2u);
  const VisionTokenIds ids;
  const std::vector<int32_t> raw = {10, ids.vision_start, ids.image_pad, ids.vision_end, 11,
                                    ids.vision_start, ids.image_pad, ids.vision_end, 12};
  const VisionPrompt p = expand_image_pads(raw, {a, b}, ids);
  ASSERT_EQ(p.tokens.size(), raw.size() - 2 + 8 + 4);
  ASSERT_EQ(p.spans.size(), 2u);
  EXPECT_EQ(p.spans[0].start, 2);
  EXPECT_EQ(p.spans[1].start, 2 + 8 + 3);
  // First image: 2 rows x 4 cols merged, starting at position 2.
  EXPECT_EQ(p.positions[2], (std::array<int32_t, 3>{2, 2, 2}));
  EXPECT_EQ(p.positions[2 + 7], (std::array<int32_t, 3>{2, 3, 5}));
  EXPECT_EQ(p.positions[10], (std::array<int32_t, 3>{6, 6, 6}));  // vision_end: 2 + max(1, 2, 4)
  EXPECT_THROW(expand_image_pads(raw, {a}, ids), Error);
  EXPECT_THROW(expand_image_pads({ids.image_pad}, {a}, ids), Error);
}

}  // namespace
}  // namespace qvl
