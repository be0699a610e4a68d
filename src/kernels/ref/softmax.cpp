// Scalar softmax oracle (kernels/ref): ggml_vec_soft_max_f32's order (softmax.h).
#include <cmath>

#include "kernels/activation.h"
#include "kernels/ggml_order.h"
#include "kernels/softmax.h"

namespace qvl::kernels {

double softmax_exp_sum_ref(float* x, int64_t n, float mx, bool all_vector) {
  const int64_t nv = all_vector ? n : ggml_vec_span(n);
  double sum = 0;
  int64_t i = 0;
  for (; i < nv; i += 16) {
    float lanes[16] = {};
    for (int l = 0; l < 16 && i + l < n; ++l) lanes[l] = x[i + l] = expf_ggml(x[i + l] - mx);
    sum += double(reduce16(lanes));
  }
  for (; i < n; ++i) {
    x[i] = std::exp(x[i] - mx);
    sum += double(x[i]);
  }
  return sum;
}

void softmax_ref(float* x, int64_t n) {
  float mx = x[0];
  for (int64_t i = 1; i < n; ++i) mx = x[i] > mx ? x[i] : mx;
  const float inv = float(1.0 / softmax_exp_sum_ref(x, n, mx, false));
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

}  // namespace qvl::kernels
