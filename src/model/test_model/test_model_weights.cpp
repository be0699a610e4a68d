// Deterministic random numbers and the init scales of test models (model layer).
// Why these scales: the final RMSNorm gives the LM head unit-RMS inputs, so logits
// have std ≈ sigma_out·sqrt(H); sigma_out = 4/sqrt(H) gives a logit std near 4, so
// greedy argmax is a clear winner rather than a near-tie (meaningful parity tests).
// With tied embeddings the input token's own row would then win every step (its
// logit is |e|²/rms(x) = 16/rms(x)), so the residual branches (o_proj, down) use a
// gain of 6/sqrt(fan_in): their outputs (RMS ~8) swamp the 0.25-RMS embedding and
// the self-logit drops to ~2, inside the spread of the others.
#include <cmath>
#include <cstring>

#include "model/test_model/test_model.h"

namespace qvl {
namespace {

uint64_t splitmix64(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

}  // namespace

std::vector<float> test_weights(uint64_t seed, const std::string& name, int64_t n, float sigma, float mean) {
  std::vector<float> out(static_cast<size_t>(n));
  uint64_t s = seed * 0x2545f4914f6cdd1dull ^ fnv1a(name);
  // Box-Muller on 53-bit uniforms: platform-independent, unlike std::normal_distribution.
  for (int64_t i = 0; i < n; i += 2) {
    const double u1 = (double(splitmix64(s) >> 11) + 1.0) * 0x1.0p-53;
    const double u2 = double(splitmix64(s) >> 11) * 0x1.0p-53;
    const double r = std::sqrt(-2.0 * std::log(u1));
    out[i] = float(mean + sigma * r * std::cos(2 * M_PI * u2));
    if (i + 1 < n) out[i + 1] = float(mean + sigma * r * std::sin(2 * M_PI * u2));
  }
  return out;
}

}  // namespace qvl
