// llama_embedding_stats (vision_model.h): the summary line llama.cpp's mtmd logs
// with MTMD_DEBUG_EMBEDDINGS, computed the same way (float running sums) over the
// same layout, so equal features give an equal line. Debug aid only.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "model/vision/vision_model.h"

namespace qvl {

std::string llama_embedding_stats(const VisionOutput& out) {
  float sum = 0.0f, sum_sq = 0.0f, lo = INFINITY, hi = -INFINITY;
  size_t count = 0;
  auto add = [&](float v) {
    sum += v;
    sum_sq += v * v;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    ++count;
  };
  for (int64_t t = 0; t < out.n_tokens; ++t) {
    for (int64_t e = 0; e < out.hidden; ++e) add(out.main[static_cast<size_t>(t * out.hidden + e)]);
    for (const auto& d : out.deepstack)
      for (int64_t e = 0; e < out.hidden; ++e) add(d[static_cast<size_t>(t * out.hidden + e)]);
  }
  if (count == 0) return "empty";
  const float mean = sum / static_cast<float>(count);
  const float variance = (sum_sq / static_cast<float>(count)) - (mean * mean);
  char buf[160];
  std::snprintf(buf, sizeof buf, "mean=%.6f, std=%.6f, min=%.6f, max=%.6f, sum=%.6f", mean, std::sqrt(variance), lo, hi,
                sum);
  return buf;
}

}  // namespace qvl
