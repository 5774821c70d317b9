// The bounded log tail kept for /logs.
#include "reconciler/build/log_tail.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace prevu::reconciler::build {
namespace {

TEST(LogTail, KeepsShortLogsWhole) {
  LogTail tail(100);
  tail.Append("Step 1/2 : FROM scratch");
  tail.Append("Step 2/2 : COPY . /");
  EXPECT_EQ(tail.Text(), "Step 1/2 : FROM scratch\nStep 2/2 : COPY . /\n");
}

TEST(LogTail, KeepsOnlyTheLastBytesFromALineStart) {
  LogTail tail(64);
  for (int i = 0; i < 1000; ++i) {
    tail.Append(absl::StrCat("line ", i));
  }
  std::string text = tail.Text();
  EXPECT_LE(text.size(), 64u);
  EXPECT_EQ(text.substr(0, 5), "line ");
  EXPECT_EQ(text.substr(text.size() - 9), "line 999\n");
}

}  // namespace
}  // namespace prevu::reconciler::build
