// Shared by the libFuzzer harnesses: the one rule every parser under test must keep
// is "a clear qvl::Error (or ApiError) or a result; never a crash, hang or leak".
// Any other exception escaping is a finding, so it aborts.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "base/error.h"

namespace qvl::fuzz {

template <class F>
void expect_clean(F&& f) {
  try {
    f();
  } catch (const Error&) {
    // the documented way to refuse input
  } catch (const std::exception& e) {
    std::fprintf(stderr, "finding: unexpected exception: %s\n", e.what());
    std::abort();
  }
}

inline std::string as_string(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

}  // namespace qvl::fuzz
