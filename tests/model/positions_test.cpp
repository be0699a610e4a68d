// MRoPE positions: get_rope_index against a literal re-implementation of HF's
// Qwen3VLModel.get_rope_index (list-based: find next pad with index(), emit a
// text arange then the t/h/w grid, st_idx = previous max + 1) on random mixed
// sequences, plus the worked example of spec §3.3.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "base/error.h"
#include "model/positions/mrope_positions.h"

namespace qvl {
namespace {

constexpr int32_t kStart = 151652, kEnd = 151653, kImg = 151655, kVid = 151656;

// Transcription of the HF algorithm (per sequence, attention mask all ones).
RopeIndex hf_reference(const std::vector<int32_t>& ids, std::vector<VisualGrid> images, std::vector<VisualGrid> videos) {
  std::vector<VisualGrid> vids;
  for (auto g : videos)
    for (int i = 0; i < g.t; ++i) vids.push_back({1, g.h, g.w});
  int image_nums = 0, video_nums = 0;
  for (size_t i = 0; i + 1 < ids.size(); ++i) {
    if (ids[i] != kStart) continue;
    image_nums += ids[i + 1] == kImg;
    video_nums += ids[i + 1] == kVid;
  }
  auto index_from = [&](int32_t tok, size_t st) -> size_t {
    return std::find(ids.begin() + st, ids.end(), tok) - ids.begin();
  };
  const bool has_img = std::count(ids.begin(), ids.end(), kImg) > 0;
  const bool has_vid = std::count(ids.begin(), ids.end(), kVid) > 0;
  std::vector<std::array<int32_t, 3>> out;
  int32_t last_max = -1;
  size_t st = 0, image_index = 0, video_index = 0;
  int remain_images = image_nums, remain_videos = video_nums;
  for (int k = 0; k < image_nums + video_nums; ++k) {
    const size_t ed_image = has_img && remain_images > 0 ? index_from(kImg, st) : ids.size() + 1;
    const size_t ed_video = has_vid && remain_videos > 0 ? index_from(kVid, st) : ids.size() + 1;
    VisualGrid g;
    size_t ed;
    if (ed_image < ed_video) {
      g = images[image_index++], --remain_images, ed = ed_image;
    } else {
      g = vids[video_index++], --remain_videos, ed = ed_video;
    }
    const int32_t lt = g.t, lh = g.h / 2, lw = g.w / 2;
    const int32_t text_len = static_cast<int32_t>(ed - st);
    const int32_t st_idx = last_max + 1;
    for (int32_t i = 0; i < text_len; ++i) out.push_back({st_idx + i, st_idx + i, st_idx + i});
    last_max = std::max(last_max, text_len > 0 ? st_idx + text_len - 1 : last_max);
    for (int32_t t = 0; t < lt; ++t)
      for (int32_t y = 0; y < lh; ++y)
        for (int32_t x = 0; x < lw; ++x) {
          std::array<int32_t, 3> p{t + text_len + st_idx, y + text_len + st_idx, x + text_len + st_idx};
          out.push_back(p);
          last_max = std::max({last_max, p[0], p[1], p[2]});
        }
    st = ed + static_cast<size_t>(lt) * lh * lw;
  }
  if (st < ids.size()) {
    const int32_t st_idx = last_max + 1;
    for (size_t i = 0; i < ids.size() - st; ++i) {
      const int32_t v = st_idx + static_cast<int32_t>(i);
      out.push_back({v, v, v});
      last_max = v;
    }
  }
  RopeIndex r;
  r.pos = out;
  r.rope_delta = last_max + 1 - static_cast<int32_t>(ids.size());
  return r;
}

TEST(RopeIndex, SpecWorkedExample) {
  // 5 text tokens, <|vision_start|> at index 5, a 4x6 merged image (grid 8x12).
  std::vector<int32_t> ids = {1, 2, 3, 4, 5, kStart};
  ids.insert(ids.end(), 24, kImg);
  ids.push_back(kEnd);
  const RopeIndex r = get_rope_index(ids, {{1, 8, 12}}, {});
  EXPECT_EQ(r.pos[5], (std::array<int32_t, 3>{5, 5, 5}));
  EXPECT_EQ(r.pos[6], (std::array<int32_t, 3>{6, 6, 6}));
  EXPECT_EQ(r.pos[6 + 23], (std::array<int32_t, 3>{6, 9, 11}));
  EXPECT_EQ(r.pos.back(), (std::array<int32_t, 3>{12, 12, 12}));
  EXPECT_EQ(r.rope_delta, 13 - 31);
}

TEST(RopeIndex, TextOnlyIsPlainIndex) {
  const RopeIndex r = get_rope_index({7, 8, 9}, {}, {});
  EXPECT_EQ(r.pos[2], (std::array<int32_t, 3>{2, 2, 2}));
  EXPECT_EQ(r.rope_delta, 0);
}

TEST(RopeIndex, MatchesHfOnRandomMixedSequences) {
  std::mt19937 rng(42);
  int checked = 0;
  for (int trial = 0; trial < 40; ++trial) {
    std::vector<int32_t> ids;
    std::vector<VisualGrid> images, videos;
    const int n_items = rng() % 5;
    auto text = [&](int n) {
      for (int i = 0; i < n; ++i) ids.push_back(100 + rng() % 1000);
    };
    text(rng() % 6);
    for (int k = 0; k < n_items; ++k) {
      const int32_t h = 2 * (1 + rng() % 5), w = 2 * (1 + rng() % 7);
      if (rng() % 3 == 0) {
        // Video: gt blocks, each "<x.x seconds><|vision_start|> pads <|vision_end|>".
        const int32_t t = 1 + rng() % 3;
        videos.push_back({t, h, w});
        for (int i = 0; i < t; ++i) {
          text(3);  // timestamp text
          ids.push_back(kStart);
          ids.insert(ids.end(), (h / 2) * (w / 2), kVid);
          ids.push_back(kEnd);
        }
      } else {
        images.push_back({1, h, w});
        ids.push_back(kStart);
        ids.insert(ids.end(), (h / 2) * (w / 2), kImg);
        ids.push_back(kEnd);
      }
      text(rng() % 4);
    }
    const RopeIndex want = hf_reference(ids, images, videos);
    const RopeIndex got = get_rope_index(ids, images, videos);
    ASSERT_EQ(got.pos.size(), ids.size());
    ASSERT_EQ(want.pos.size(), ids.size());
    for (size_t i = 0; i < ids.size(); ++i) ASSERT_EQ(got.pos[i], want.pos[i]) << "trial " << trial << " index " << i;
    EXPECT_EQ(got.rope_delta, want.rope_delta) << "trial " << trial;
    checked += n_items > 0;
  }
  EXPECT_GE(checked, 20);
}

TEST(RopeIndex, MismatchedInputsAreErrors) {
  std::vector<int32_t> ids = {kStart, kImg, kImg, kImg, kImg, kEnd};
  EXPECT_NO_THROW(get_rope_index(ids, {{1, 4, 4}}, {}));
  EXPECT_THROW(get_rope_index(ids, {{1, 4, 8}}, {}), Error);               // too few pads
  EXPECT_THROW(get_rope_index(ids, {}, {}), Error);                        // no grid for the image
  EXPECT_THROW(get_rope_index(ids, {{1, 4, 4}, {1, 4, 4}}, {}), Error);    // unused grid
  EXPECT_THROW(get_rope_index({kImg, kImg, kImg, kImg}, {{1, 4, 4}}, {}), Error);  // no vision_start
}

}  // namespace
}  // namespace qvl
