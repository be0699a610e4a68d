// Progress mode parsing and the never / always switches (the TTY test of "auto"
// runs end to end: tests/e2e/pull.test.mjs sees no '\r' when stderr is a pipe).
#include "base/progress.h"

#include <gtest/gtest.h>

#include "base/error.h"

namespace qvl {
namespace {

TEST(Progress, ModesParseAndSwitchBarsOnAndOff) {
  EXPECT_EQ(parse_progress_mode("auto"), ProgressMode::kAuto);
  EXPECT_EQ(parse_progress_mode("always"), ProgressMode::kAlways);
  EXPECT_EQ(parse_progress_mode("never"), ProgressMode::kNever);
  EXPECT_THROW(parse_progress_mode("yes"), Error);
  set_progress_mode(ProgressMode::kNever);
  EXPECT_FALSE(progress_enabled());
  set_progress_mode(ProgressMode::kAlways);
  EXPECT_TRUE(progress_enabled());
  testing::internal::CaptureStderr();
  {
    ProgressBar bar("load", 4, false);
    for (int i = 1; i <= 4; ++i) bar.update(i);
  }
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("load  [##############################] 100%  4/4"), std::string::npos) << out;
  EXPECT_EQ(out.back(), '\n');
  set_progress_mode(ProgressMode::kNever);
  testing::internal::CaptureStderr();
  {
    ProgressBar bar("quiet", 4, false);
    bar.update(4);
  }
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

}  // namespace
}  // namespace qvl
