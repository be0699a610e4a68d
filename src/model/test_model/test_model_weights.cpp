// Deterministic N(0, sigma) weights for test models (model layer), keyed by seed and
// tensor name. The scales themselves are chosen in test_model.cpp.
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
